"""The Flask app of the unified payment platform simulator.

Routes (docs/PAYMENT.md):

* ``POST /pay/<operation>`` — the signed merchant API (unifiedorder, micropay, orderquery,
  closeorder, reverse, refund, refundquery, downloadbill);
* ``POST /face/verify`` — face verification (刷脸核身), same signed protocol;
* ``GET /qr/<token>`` — the page behind a code_url (what the patient's phone opens);
* ``/_sim/...`` — unsigned control endpoints for tests and the demo: knobs, per-order plans, the
  patient's phone (scan and pay, confirm), face enrolment, notifications.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from typing import Any

from flask import Flask, Response, jsonify, request

from simulators.payment import api, errors, faces, orders
from simulators.payment.errors import PayError
from simulators.payment.platform import Platform
from simulators.payment.store import DEMO_MCH_ID


def create_app(platform: Platform) -> Flask:
    """The WSGI app over a :class:`Platform`."""
    app = Flask(__name__)
    app.config["PLATFORM"] = platform

    @app.post("/pay/<op>")
    def pay(op: str) -> Response:
        return _api(platform, op)

    @app.post("/face/verify")
    def face_verify() -> Response:
        return _api(platform, "faceverify")

    @app.get("/qr/<token>")
    def qr_page(token: str) -> Any:
        with platform.store.tx() as db:
            # the token is URL-safe base64: escape LIKE's own wildcard "_" so it matches only itself
            pattern = "%/qr/" + token.replace("\\", "").replace("_", "\\_").replace("%", "") + "%"
            row = db.execute("SELECT * FROM orders WHERE code_url LIKE ? ESCAPE '\\'", (pattern,)).fetchone()
        if row is None:
            return Response("<html><body><h1>二维码无效</h1></body></html>", 404, mimetype="text/html")
        amount = f"{row['total_fee'] // 100}.{row['total_fee'] % 100:02d}"
        return Response(f"<html><head><meta charset='utf-8'><title>统一支付</title></head><body>"
                        f"<h1>{html.escape(row['body'])}</h1><p>金额：¥{amount}</p>"
                        f"<p>订单号：{html.escape(row['out_trade_no'])}</p><p>状态：{row['state']}</p>"
                        f"</body></html>", 200, mimetype="text/html")

    @app.route("/_sim/knobs", methods=["GET", "POST"])
    def knobs() -> Any:
        if request.method == "POST":
            return _control(lambda body: platform.set_knobs(body))
        return jsonify(platform.knobs())

    @app.post("/_sim/orders/<out_trade_no>/plan")
    def plan(out_trade_no: str) -> Any:
        return _control(lambda body: platform.set_plan(_mch(body), out_trade_no, body.get("plan", body)))

    @app.post("/_sim/orders/<out_trade_no>/scan")
    def scan(out_trade_no: str) -> Any:
        def run(body: dict[str, Any]) -> dict[str, Any]:
            with platform.store.tx() as db:
                return orders.patient_scans(platform, db, _mch(body), out_trade_no, str(body.get("channel", "wechat")))
        return _control(run)

    @app.post("/_sim/orders/<out_trade_no>/confirm")
    def confirm(out_trade_no: str) -> Any:
        def run(body: dict[str, Any]) -> dict[str, Any]:
            with platform.store.tx() as db:
                return orders.patient_confirms(platform, db, _mch(body), out_trade_no)
        return _control(run)

    @app.get("/_sim/orders/<out_trade_no>")
    def order(out_trade_no: str) -> Any:
        def run(body: dict[str, Any]) -> dict[str, Any]:
            with platform.store.tx() as db:
                return orders.answer(db, orders.refresh(platform, db, orders.find(
                    db, request.args.get("mch_id", DEMO_MCH_ID), out_trade_no)))
        return _control(run)

    @app.post("/_sim/faces")
    def enrol() -> Any:
        def run(body: dict[str, Any]) -> dict[str, Any]:
            try:
                image = base64.b64decode(str(body.get("face_image", "")), validate=True)
            except (binascii.Error, ValueError):
                raise PayError(errors.FACE_IMAGE, "人脸图像face_image不是有效的base64") from None
            with platform.store.tx() as db:
                return faces.enrol(platform, db, body, image)
        return _control(run)

    @app.get("/_sim/notifications")
    def notifications() -> Any:
        with platform.store.tx() as db:
            rows = [dict(r) for r in db.execute("SELECT n.id, n.url, n.attempts, n.state, n.last_error,"
                                                " n.payload_json, o.out_trade_no FROM notifications n"
                                                " JOIN orders o ON o.id = n.order_id ORDER BY n.id")]
        return jsonify({"notifications": rows})

    return app


def _mch(body: dict[str, Any]) -> str:
    return str(body.get("mch_id") or DEMO_MCH_ID)


def _control(fn: Any) -> Any:
    """Run a control action on the JSON body: its result, or 400 with code and Chinese message."""
    body = request.get_json(silent=True) if request.method == "POST" else {}
    if body is None and request.method == "POST" and request.get_data():
        return jsonify({"err_code": errors.NOT_JSON, "err_code_des": "请求必须是JSON对象"}), 400
    try:
        return jsonify(fn(body or {}))
    except PayError as exc:
        status = 404 if exc.code == errors.ORDER_NOT_EXIST else 400
        return jsonify({"err_code": exc.code, "err_code_des": exc.message}), status


def _api(platform: Platform, op: str) -> Response:
    status, out = api.answer(platform, op, request.get_data(), request.host_url)
    return Response(json.dumps(out, ensure_ascii=False), status, mimetype="application/json")
