"""The Flask app of the HIS simulator.

* ``POST /his/api/<operation>`` — the interface (docs/HIS_ADAPTER.md): signed JSON in, ``{"code",
  "msg", "data"}`` out, HTTP 200 for every answer the HIS gives (errors included), 503 while the
  "down" knob holds;
* ``/_sim/...`` — simulator control for tests and demos (no authentication; the simulator listens
  on 127.0.0.1): faults, config, and records tests seed (patients, charges, inpatients, slots).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, request

from simulators.his import auth, catalog, dispatch, seed
from simulators.his import errors as e
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.ops_charges import render_charge
from simulators.his.ops_inpatient import render_stay
from simulators.his.ops_patients import render_patient
from simulators.his.people import amount_fen

_HIDDEN = ("syncKey",)


def _json(code: str, msg: str, data: Any) -> bytes:
    def default(v: object) -> object:
        if isinstance(v, Decimal):
            return f"{v:f}"
        raise TypeError(type(v).__name__)
    return json.dumps({"code": code, "msg": msg, "data": data}, ensure_ascii=False, separators=(",", ":"),
                      default=default).encode("utf-8")


def create_app(ctx: HisContext) -> Flask:
    """The WSGI app over one :class:`HisContext`."""
    app = Flask(__name__)
    app.config["HIS"] = ctx

    @app.post("/his/api/<operation>")
    def interface(operation: str) -> Response:
        if ctx.faults.take_down():
            return Response(_json(e.UNAVAILABLE, "HIS系统暂不可用，请稍后重试", None), 503, mimetype="application/json")
        body = request.get_data()
        try:
            with ctx.store.tx() as db:
                headers = {h: request.headers.get(h, "") for h in auth.HEADERS}
                appid, ts, nonce = auth.verify(headers, body, ctx.keys(), int(ctx.now().timestamp() * 1000),
                                               int(ctx.config["clockSkewSeconds"]), db)
        except HisError as exc:
            return Response(_json(exc.code, exc.message, None), 200, mimetype="application/json")
        try:
            parsed = json.loads(body or b"{}", parse_float=Decimal)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            code, msg, data = e.BAD_JSON, "请求体必须是JSON对象", None
        else:
            code, msg, data = dispatch.call(ctx, appid, operation, parsed)
        delay = ctx.faults.take_delay()
        if delay:
            time.sleep(delay)  # the work is committed; only the answer is late
        out = _json(code, msg, data)
        key = ctx.keys()[appid]
        return Response(out, 200, mimetype="application/json",
                        headers={auth.SIGNATURE: auth.signature(key, ts, nonce, out)})

    @app.route("/_sim/faults", methods=["GET", "POST"])
    def faults() -> Any:
        f = ctx.faults
        if request.method == "POST":
            body = request.get_json(force=True) or {}
            try:
                with f.lock:
                    f.down_calls = int(body.get("down", f.down_calls))
                    f.refuse_settlements = int(body.get("refuseSettlements", f.refuse_settlements))
                    f.refuse_message = str(body.get("refuseMessage", f.refuse_message))
                    f.slow_seconds = float(body.get("slow", f.slow_seconds))
                    f.slow_calls = int(body.get("slowCalls", f.slow_calls))
            except (TypeError, ValueError) as exc:
                return jsonify({"error": f"参数不正确：{exc}"}), 400
        return jsonify(f.as_dict())

    @app.route("/_sim/config", methods=["GET", "POST"])
    def config() -> Any:
        if request.method == "POST":
            body = request.get_json(force=True) or {}
            unknown = set(body) - set(seed.DEFAULT_CONFIG)
            if unknown:
                return jsonify({"error": f"未知配置项：{'、'.join(sorted(unknown))}"}), 400
            ctx.update_config(body)
        return jsonify({k: ("***" if k in _HIDDEN and v else v) for k, v in ctx.config.items() if k != "callers"})

    @app.post("/_sim/patients")
    def add_patient() -> Any:
        try:
            with ctx.store.tx() as db:
                row = seed.control_patient(db, request.get_json(force=True) or {}, ctx.now())
        except HisError as exc:
            return jsonify({"code": exc.code, "error": exc.message}), 400
        except (sqlite3.IntegrityError, ValueError) as exc:  # duplicate card, bad date
            return jsonify({"error": f"参数不正确：{exc}"}), 400
        return jsonify({"patient": render_patient(row) | {"eVoucher": row["evoucher"] or ""}})

    @app.post("/_sim/charges")
    def add_charge() -> Any:
        b = request.get_json(force=True) or {}
        rng = random.Random(b.get("seed"))
        kind = b.get("kind", "prescription")
        lines = b.get("lines") or (seed.drug_lines(rng, int(b.get("count", 3))) if kind == "prescription"
                                   else seed.exam_lines(rng, int(b.get("count", 1))))
        with ctx.store.tx() as db:
            cid = seed.add_charge(db, str(b["patientId"]), kind, lines, dept_code=b.get("deptCode", "NK"),
                                  doctor_name=b.get("doctorName", "李秀英"), now=ctx.now())
            row = db.execute("SELECT * FROM charges WHERE id = ?", (cid,)).fetchone()
            return jsonify({"charge": render_charge(db, row)})

    @app.post("/_sim/inpatients")
    def add_inpatient() -> Any:
        b = request.get_json(force=True) or {}
        with ctx.store.tx() as db:
            no = seed.add_inpatient(db, str(b["patientId"]), dept_code=b.get("deptCode", "NK"),
                                    days=int(b.get("days", 3)),
                                    deposit_fen=amount_fen(b.get("deposit", "0"), "deposit", positive=False),
                                    today=ctx.today(), rng=random.Random(b.get("seed")),
                                    ward=str(b.get("ward", "")), bed=str(b.get("bed", "")))
            row = db.execute("SELECT * FROM inpatients WHERE admission_no = ?", (no,)).fetchone()
            return jsonify({"inpatient": render_stay(db, dict(row))})

    @app.post("/_sim/inpatients/<admission_no>/fees")
    def add_fee(admission_no: str) -> Any:
        # A ward charge posted today (a test's "charge" step): one line of ``amount``.
        b = request.get_json(force=True) or {}
        fen = amount_fen(b.get("amount", "0"), "amount")
        with ctx.store.tx() as db:
            row = db.execute("SELECT * FROM inpatients WHERE admission_no = ? AND status = 'in'",
                             (admission_no,)).fetchone()
            if row is None:
                return jsonify({"error": "no such stay in hospital"}), 404
            db.execute("INSERT INTO daily_fees (admission_no, day, code, name, spec, unit, price_fen, qty,"
                       " charge_code, charge_name) VALUES (?, ?, ?, ?, '', '次', ?, 1, ?, ?)",
                       (admission_no, ctx.today().isoformat(), b.get("code", "T0001"), b.get("name", "静脉输液"),
                        fen, b.get("chargeCode", "401"), b.get("chargeName", "治疗费")))
            row = db.execute("SELECT * FROM inpatients WHERE admission_no = ?", (admission_no,)).fetchone()
            return jsonify({"inpatient": render_stay(db, dict(row))})

    @app.post("/_sim/slots")
    def set_slot() -> Any:
        b = request.get_json(force=True) or {}
        with ctx.store.tx() as db:
            catalog.ensure_slots(db, ctx.today())
            cur = db.execute("UPDATE slots SET remaining = ? WHERE id = ? AND ? <= total",
                             (int(b["remaining"]), int(b["slotId"]), int(b["remaining"])))
        return jsonify({"ok": cur.rowcount == 1}), (200 if cur.rowcount == 1 else 404)

    return app
