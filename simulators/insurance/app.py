"""The Flask app of the insurance platform simulator.

Routes (docs/INSURANCE.md):

* ``POST /fsi/api/rsfComIfsService/callService`` — URL style A, infno in the body (default);
* ``POST /fsi/api/<service>/<method>`` — style C, one service path per infno (spec §1.1);
* ``POST /<infno>`` and ``POST /fsi/<infno>`` — style B, base URL + infno;
* ``/_sim/...`` — unsigned control endpoints: knobs, persons, catalogue versions, state views.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from simulators.insurance import control, dispatch
from simulators.insurance.errors import ControlError
from simulators.insurance.platform import Platform

SINGLE = "/fsi/api/rsfComIfsService/callService"


def create_app(platform: Platform) -> Flask:
    """The WSGI app over a :class:`Platform`."""
    app = Flask(__name__)
    app.config["PLATFORM"] = platform

    def serve(path_infno: str | None) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        reply = dispatch.handle(platform, path_infno, headers, request.get_data())
        resp = Response(reply.body, reply.status, content_type=reply.content_type)
        if reply.filename:
            resp.headers["Content-Disposition"] = f'attachment; filename="{reply.filename}"'
        return resp

    @app.post(SINGLE)
    @app.post("/mss/web/api/fsi/callService")
    def single() -> Response:
        return serve(None)

    @app.post("/<string:infno>")
    @app.post("/fsi/<string:infno>")
    def by_infno(infno: str) -> Response:
        if not (infno[:4].isdigit() and len(infno) <= 6):
            return Response("未知的请求地址", 404, content_type="text/plain; charset=utf-8")
        return serve(infno)

    @app.post("/fsi/api/<string:service>/<string:method>")
    def by_service(service: str, method: str) -> Response:
        infno = dispatch.SERVICE_PATHS.get(f"fsi/api/{service}/{method}")
        if infno is None:
            return Response("未知的服务地址", 404, content_type="text/plain; charset=utf-8")
        return serve(infno)

    @app.route("/_sim/knobs", methods=["GET", "POST"])
    def knobs() -> Any:
        if request.method == "POST":
            return _control(platform.set_knobs)
        return jsonify(platform.knobs())

    @app.post("/_sim/persons")
    def add_person() -> Any:
        return _control(lambda body: control.add_person(platform, body))

    @app.get("/_sim/persons/<psn_no>")
    def person(psn_no: str) -> Any:
        return _control(lambda body: control.person_state(platform, psn_no))

    @app.post("/_sim/catalogue")
    def catalogue() -> Any:
        return _control(lambda body: control.add_catalogue(platform, body))

    @app.get("/_sim/settlements")
    def settlements() -> Any:
        return _control(lambda body: control.settlements(platform, request.args.to_dict()))

    @app.get("/_sim/visits/<mdtrt_id>")
    def visit(mdtrt_id: str) -> Any:
        return _control(lambda body: control.visit(platform, mdtrt_id))

    @app.get("/_sim/messages/<fixmedins_code>/<msgid>")
    def message(fixmedins_code: str, msgid: str) -> Any:
        return _control(lambda body: control.message(platform, fixmedins_code, msgid))

    @app.get("/_sim/vouchers")
    def voucher_list() -> Any:
        return _control(lambda body: control.vouchers(platform))

    return app


def _control(fn: Any) -> Any:
    """Run a control action on the JSON body: its result, or 400 with code and Chinese message."""
    body = request.get_json(silent=True) if request.method == "POST" else {}
    if request.method == "POST" and not isinstance(body, dict):
        return jsonify({"code": "E3602", "message": "控制请求必须是JSON对象"}), 400
    try:
        return jsonify(fn(body or {}))
    except ControlError as exc:
        status = 404 if exc.code == "E3603" else 400
        return jsonify({"code": exc.code, "message": exc.message}), status
