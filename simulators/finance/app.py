"""The Flask app of the finance platform simulator.

Routes:

* ``POST /medical-web/api/medical/<method>`` — the HIS interface (signed envelopes, spec §1);
* ``GET /medical-web/h5/ebill`` — the H5 page behind ``pictureUrl``;
* ``GET|POST /medical-web/verify`` — the public verification endpoint (QR payload of
  billing_core.qr_payload, or billBatchCode + billNo + random);
* ``/_control/...`` — test and demo knobs (faults, call log, stock, booking); docs/FINANCE_SIMULATOR.md.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
from decimal import Decimal
from typing import Any

from flask import Flask, Response, jsonify, render_template_string, request

from billing_core.qr_payload import QrPayloadError
from billing_core.qr_payload import parse as parse_qr
from simulators.finance import api, h_bills, h_stock, render
from simulators.finance.errors import SimError
from simulators.finance.platform import (
    Platform,
    find_bill,
    items_of,
    notice_bill,
    qr_text,
)

log = logging.getLogger(__name__)

CONTROL_LIMIT_DOWN = 3600.0


def create_app(platform: Platform) -> Flask:
    """The WSGI app over a :class:`Platform` (``app.config["SIM_SERVER"]`` is set by SimServer)."""
    app = Flask(__name__)
    app.config["PLATFORM"] = platform
    app.config["SIM_SERVER"] = None
    # SimServer answers these POSTs without Flask: the same function, ~20 % less CPU per call
    app.config["SIM_FAST_POST"] = (api.PREFIX, functools.partial(api.answer, platform))

    @app.post("/medical-web/api/medical/<method_name>")
    def his_interface(method_name: str) -> Response:
        return _handle(platform, method_name)

    @app.get("/medical-web/h5/ebill")
    def h5() -> Any:
        args = request.args
        try:
            with platform.store.tx() as db:
                bill = find_bill(db, args.get("billBatchCode", ""), args.get("billNo", ""), args.get("random", ""))
                items = items_of(db, bill["blue_id"] if bill["kind"] == "red" else bill["id"], "charge")
                bill_d = notice_bill(db, bill)
        except SimError as exc:
            # the message names what was asked for: escaped, never markup of the caller's (issue 14 §11)
            return Response(f"<html><body><h1>{html.escape(exc.message)}</h1></body></html>", 404,
                            mimetype="text/html")
        text = qr_text(bill_d)
        state = "已冲红" if bill_d["is_scarlet"] else ("红字票据" if bill_d["kind"] == "red" else "")
        return render_template_string(
            render.H5_TEMPLATE, title="医疗收费电子票据", lines=render.notice_lines(bill_d), items=items,
            qr_b64=base64.b64encode(render.qr_png(text)).decode("ascii"), qr_text=text, state_text=state)

    @app.get("/medical-web/pdf/ebill")
    def pdf() -> Any:
        """The layout file (版式文件) as a download, same content as getEBillLayoutFile."""
        args = request.args
        try:
            with platform.store.tx() as db:
                bill = find_bill(db, args.get("billBatchCode", ""), args.get("billNo", ""), args.get("random", ""))
                parts = h_bills.notice_parts(db, bill)
        except SimError as exc:
            return Response(exc.message, 404, mimetype="text/plain")
        name = f"{parts[0]['bill_batch_code']}-{parts[0]['bill_no']}.pdf"
        return Response(render.layout_pdf(*parts), 200, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.route("/medical-web/verify", methods=["GET", "POST"])
    def verify() -> Any:
        return _verify(platform)

    @app.route("/_control/faults", methods=["GET", "POST"])
    def faults() -> Any:
        if request.method == "POST":
            changes = dict(request.get_json(force=True) or {})
            down = changes.pop("down", None)
            try:
                platform.faults.update(changes)
                if down is not None and not 0 < float(down) <= CONTROL_LIMIT_DOWN:
                    raise ValueError("down")
            except (ValueError, TypeError) as exc:
                return jsonify({"error": f"参数不正确：{exc}"}), 400
            server = app.config["SIM_SERVER"]
            if down is not None:
                if server is None:
                    return jsonify({"error": "未通过SimServer运行，无法关闭监听端口"}), 409
                server.down_for(float(down), delay=0.05)
        return jsonify(platform.faults.as_dict())

    @app.get("/_control/calls")
    def calls() -> Any:
        since = int(request.args.get("since", "0"))
        sql, args = "SELECT * FROM calls WHERE id > ?", [since]
        if request.args.get("method"):
            sql += " AND method = ?"
            args.append(request.args["method"])
        with platform.store.tx() as db:
            rows = [dict(r) for r in db.execute(sql + " ORDER BY id", args)]
        return jsonify({"calls": rows})

    @app.post("/_control/stock")
    def stock() -> Any:
        """Leave only ``remaining`` online e-bill numbers at a point (to test running out)."""
        body = request.get_json(force=True) or {}
        with platform.store.tx() as db:
            row = db.execute("SELECT * FROM stock WHERE kind = 'E' AND place_code = ? AND state = 'active'"
                             " ORDER BY id LIMIT 1", (str(body.get("placeCode", "")),)).fetchone()
            if row is None:
                return jsonify({"error": "开票点没有电子票据库存"}), 404
            db.execute("UPDATE stock SET end_no = ? WHERE id = ?",
                       (row["next_no"] + int(body.get("remaining", 0)) - 1, row["id"]))
        return jsonify({"ok": True})

    @app.post("/_control/stock_apply")
    def stock_apply() -> Any:
        """Approve or reject a 票据申领 (``{"applyNo", "approve": true|false, "opinion"}``), as the
        finance bureau would in its console (issue 18 §2; knob ``stock_approval=manual``)."""
        body = request.get_json(force=True) or {}
        try:
            with platform.store.tx() as db:
                row = h_stock.decide(platform, db, str(body.get("applyNo", "")), bool(body.get("approve")),
                                     str(body.get("opinion") or ""))
        except SimError as exc:
            return jsonify({"error": exc.message, "code": exc.code}), 409
        return jsonify({"applyNo": row["apply_no"], "state": row["state"]})

    @app.post("/_control/book")
    def book() -> Any:
        """Mark a bill booked (已入账), as the hospital's finance office would in the platform UI."""
        body = request.get_json(force=True) or {}
        with platform.store.tx() as db:
            cur = db.execute("UPDATE bills SET account_state = 1 WHERE bill_batch_code = ? AND bill_no = ?",
                             (str(body.get("billBatchCode", "")), str(body.get("billNo", ""))))
        return jsonify({"ok": cur.rowcount == 1}), (200 if cur.rowcount == 1 else 404)

    return app


def _handle(p: Platform, method_name: str) -> Response:
    """The HIS interface through Flask (the simulator's own server takes a faster path to the
    same :func:`simulators.finance.api.answer`)."""
    out = api.answer(p, method_name, request.get_data(), request.host_url, request.environ.get("werkzeug.socket"))
    if out is None:  # answer dropped: the socket is already shut, nothing more leaves
        return Response(b"", 200)
    return Response(out, 200, mimetype="application/json")


def _verify(p: Platform) -> Any:
    """Genuine or not: the QR payload (``qr`` parameter or the POST body) or code + number + check code."""
    qr = request.values.get("qr") or (request.get_data(as_text=True).strip() if request.method == "POST"
                                      and not request.form else "")
    amount: Decimal | None = None
    date = ""
    if qr:
        try:
            parsed = parse_qr(qr)
        except QrPayloadError as exc:
            return jsonify({"genuine": False, "message": exc.message}), 400
        batch, no, random, amount, date = (parsed.bill_batch_code, parsed.bill_no, parsed.random,
                                           parsed.total_amt, parsed.issue_date)
    else:
        batch, no, random = (request.values.get("billBatchCode", ""), request.values.get("billNo", ""),
                             request.values.get("random", ""))
        if not (batch and no and random):
            return jsonify({"genuine": False, "message": "请提供票据代码、票据号码和校验码"}), 400
    with p.store.tx() as db:
        bill = db.execute("SELECT * FROM bills WHERE bill_batch_code = ? AND bill_no = ?", (batch, no)).fetchone()
    genuine = (bill is not None and bill["random"] == random
               and (amount is None or abs(Decimal(bill["total_amt"])) == amount)
               and (not date or bill["create_time"][:8] == date))
    if not genuine:
        return jsonify({"genuine": False, "message": "查无此票或票据信息不符"})
    state = "已冲红" if bill["is_scarlet"] else ("红字票据" if bill["kind"] == "red" else "正常")
    return jsonify({"genuine": True, "message": "票据真实有效", "billBatchCode": batch, "billNo": no,
                    "totalAmt": bill["total_amt"], "createTime": bill["create_time"], "state": state})
