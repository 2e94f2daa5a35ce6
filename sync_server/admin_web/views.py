"""The pages of the terminal-management web (``/admin``); Chinese UI, server-rendered.

Every page but the login needs an admin session (auth.require_admin) and shows the dead-outbox
alert when any item is dead. Actions answer with a redirect back to their page carrying the
outcome (``ok`` / ``err`` in the query, escaped when shown), so a reload never posts twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from billing_core import terminal_params as tp
from billing_core.errors import BillingError
from sync_server.admin_web import auth, forms
from sync_server.connectors.masking import mask_text
from sync_server.errors import PasswordChangeRequired, WeakPasswordError
from sync_server.fleet import logs, queues, settings, terminals
from sync_server.fleet.errors import AdminSessionError
from sync_server.store.db import read_tx

bp = Blueprint("admin_web", __name__, url_prefix="/admin", template_folder="templates")

NAV = (("terminals", "终端"), ("functions", "功能授权"), ("params", "参数下发"), ("upgrade", "升级信息"),
       ("logs", "日志"), ("carry", "结转队列"), ("outbox", "失败任务"))


@bp.after_request
def _headers(resp: Response) -> Response:
    """No caching of admin pages, no framing, no scripts at all (the pages need none)."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                                               "form-action 'self'; frame-ancestors 'none'")
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


@bp.app_template_filter("masked")
def _masked(value: Any, size: int = 300) -> str:
    """Text for a screen: ID and mobile numbers masked, cut to ``size`` characters."""
    text = "" if value is None else str(value)
    text = mask_text(text)
    return text if len(text) <= size else text[:size] + "…"


@bp.app_template_filter("ts")
def _ts(value: Any) -> str:
    """A ts17 stamp as ``YYYY-MM-DD HH:MM:SS``."""
    s = str(value or "")
    return f"{s[0:4]}-{s[4:6]}-{s[6:8]} {s[8:10]}:{s[10:12]}:{s[12:14]}" if len(s) >= 14 else s


def _page(template: str, **values: Any) -> str:
    context = auth.ctx()
    return render_template(template, nav=NAV, active=request.endpoint, admin=g.admin, csrf=g.csrf,
                           dead=queues.dead_total(context.engine), ok=request.args.get("ok", "")[:200],
                           err=request.args.get("err", "")[:300], **values)


def _back(endpoint: str, exc: BillingError | None = None, ok: str = "", **args: Any) -> Response:
    if exc is not None:
        args["err"] = f"{exc.code} {exc.message}"
    elif ok:
        args["ok"] = ok
    return redirect(url_for(f"admin_web.{endpoint}", **args))


def _scene_arg() -> str:
    scene = request.values.get("scene", "kiosk")
    return scene if scene in tp.SCENES else "kiosk"


# --- login -----------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a POST checks the password and opens the session."""
    error = ""
    target = request.values.get("next", "")
    if not target.startswith("/admin/") or urlsplit(target).netloc:
        target = url_for("admin_web.terminals")
    change = request.values.get("change") == "1"
    if request.method == "POST" and change:
        try:
            auth.check_login_csrf()
            if request.form.get("new_password", "") != request.form.get("confirm_password", ""):
                raise WeakPasswordError("两次输入的新密码不一致")
            auth.change_password(request.form.get("username", ""), request.form.get("password", "")[:256],
                                 request.form.get("new_password", "")[:256])
        except BillingError as exc:
            error = f"{exc.code} {exc.message}"
        else:
            return redirect(url_for("admin_web.login", changed="1"))
    elif request.method == "POST":
        try:
            auth.check_login_csrf()
            token, _name = auth.log_in(request.form.get("username", "")[:64], request.form.get("password", "")[:256])
        except PasswordChangeRequired as exc:
            error, change = f"{exc.code} {exc.message}", True
        except BillingError as exc:
            error = f"{exc.code} {exc.message}"
        else:
            resp = redirect(target)
            auth.set_cookie(resp, auth.COOKIE, token)
            resp.delete_cookie(auth.PRE_COOKIE, path=auth.PATH)
            return resp
    if not error and request.method == "GET" and request.args.get("next"):
        error = f"{AdminSessionError.code} {AdminSessionError.default_message}"
    pre = auth.login_form_token()
    resp = Response(render_template("login.html", error=error, csrf=pre, next=target, change=change,
                                    changed=request.args.get("changed") == "1",
                                    username=request.form.get("username", "")[:64]),
                    status=401 if request.method == "POST" else 200, mimetype="text/html")
    auth.set_cookie(resp, auth.PRE_COOKIE, pre, max_age=3600)
    return resp


@bp.post("/logout")
@auth.require_admin
def logout() -> Any:
    """End the session."""
    auth.log_out()
    resp = redirect(url_for("admin_web.login"))
    resp.delete_cookie(auth.COOKIE, path=auth.PATH)
    return resp


# --- terminals -------------------------------------------------------------------------------


@bp.get("/")
@auth.require_admin
def index() -> Any:
    """The terminals list is the home page."""
    return redirect(url_for("admin_web.terminals"))


@bp.get("/terminals", endpoint="terminals")
@auth.require_admin
def terminals_page() -> Any:
    """Every terminal with its last heartbeat."""
    context = auth.ctx()
    with read_tx(context.engine) as conn:
        rows = terminals.terminals(conn, context.clock.now())
    return _page("terminals.html", rows=rows, stale_minutes=int(terminals.STALE_AFTER.total_seconds() // 60))


@bp.get("/terminals/<appid>")
@auth.require_admin
def terminal(appid: str) -> Any:
    """One terminal: status, devices, alarms, pushed configuration, its recent audit rows."""
    context = auth.ctx()
    with read_tx(context.engine) as conn:
        row = terminals.terminal(conn, appid[:64], context.clock.now())
        pushed = settings.read_scene(conn, row["scene"]) if row is not None and row["scene"] else None
    if row is None:
        return Response("404 未找到该终端", status=404, mimetype="text/plain; charset=utf-8")
    return _page("terminal.html", t=row, pushed=pushed)


# --- what is pushed --------------------------------------------------------------------------


@bp.route("/functions", methods=["GET", "POST"])
@auth.require_admin
def functions() -> Any:
    """Scene-based function authorisation."""
    context = auth.ctx()
    if request.method == "POST":
        scene = _scene_arg()
        try:
            version = settings.set_functions(context.engine, context.clock, auth.actor(), scene,
                                             request.form.getlist("function"))
        except BillingError as exc:
            return _back("functions", exc)
        return _back("functions", ok=f"已保存{tp.SCENE_NAMES[scene]}的功能授权（版本{version}），终端下次心跳时生效")
    with read_tx(context.engine) as conn:
        stored = {scene: settings.read_scene(conn, scene) for scene in tp.SCENES}
    return _page("functions.html", stored=stored, catalogue=tp.FUNCTIONS, scene_names=tp.SCENE_NAMES)


@bp.route("/params", methods=["GET", "POST"])
@auth.require_admin
def params() -> Any:
    """Parameters pushed to the terminals of a scene."""
    context = auth.ctx()
    scene = _scene_arg()
    if request.method == "POST":
        try:
            version = settings.set_params(context.engine, context.clock, auth.actor(), scene,
                                          forms.params_of(request.form))
        except BillingError as exc:
            return _back("params", exc, scene=scene)
        return _back("params", ok=f"已下发{tp.SCENE_NAMES[scene]}参数（版本{version}），终端下次心跳时生效",
                     scene=scene)
    with read_tx(context.engine) as conn:
        stored = settings.read_scene(conn, scene)
    return _page("params.html", scene=scene, scene_names=tp.SCENE_NAMES, values=stored["params"],
                 version=stored["version"], labels=tp.PARAM_LABELS, fields=forms.PARAM_FIELDS,
                 survey=forms.survey_text(stored["params"].get("survey")))


@bp.route("/upgrade", methods=["GET", "POST"])
@auth.require_admin
def upgrade() -> Any:
    """Upgrade information (version, URL, SHA-256) the terminals of each scene see."""
    context = auth.ctx()
    if request.method == "POST":
        scene = _scene_arg()
        try:
            version = settings.set_upgrade(context.engine, context.clock, auth.actor(), scene,
                                           forms.upgrade_of(request.form))
        except BillingError as exc:
            return _back("upgrade", exc)
        return _back("upgrade", ok=f"已保存{tp.SCENE_NAMES[scene]}的升级信息（版本{version}）")
    with read_tx(context.engine) as conn:
        stored = {scene: settings.read_scene(conn, scene) for scene in tp.SCENES}
    return _page("upgrade.html", stored=stored, scene_names=tp.SCENE_NAMES)


# --- logs and queues -------------------------------------------------------------------------


@bp.get("/logs", endpoint="logs")
@auth.require_admin
def logs_page() -> Any:
    """The audit log, filtered and paged."""
    a = request.args
    before = a.get("before", "")
    f = logs.LogFilter(actor=a.get("actor", "").strip(), action=a.get("action", "").strip(),
                       entity=a.get("entity", "").strip(), entity_id=a.get("entity_id", "").strip(),
                       day_from=a.get("from", "").strip(), day_to=a.get("to", "").strip(),
                       before=int(before) if before.isdigit() else 0)
    size = a.get("size", "")
    size_n = min(max(int(size), 10), 200) if size.isdigit() else logs.PAGE
    context = auth.ctx()
    with read_tx(context.engine) as conn:
        rows, next_before = logs.page(conn, f, size_n)
    query = {k: v for k, v in (("actor", f.actor), ("action", f.action), ("entity", f.entity),
                               ("entity_id", f.entity_id), ("from", f.day_from), ("to", f.day_to),
                               ("size", size if size.isdigit() else "")) if v}
    return _page("logs.html", rows=rows, f=f, next_before=next_before, query=query)


@bp.get("/carry")
@auth.require_admin
def carry() -> Any:
    """The carry-forward queue (emergency bills waiting to reach the platform)."""
    context = auth.ctx()
    with read_tx(context.engine) as conn:
        rows, counts = queues.carry_queue(conn)
    return _page("carry.html", rows=rows, counts=counts)


@bp.get("/outbox")
@auth.require_admin
def outbox() -> Any:
    """Dead outbox items with retry / resolve."""
    context = auth.ctx()
    with read_tx(context.engine) as conn:
        rows = queues.dead_items(conn)
    return _page("outbox.html", rows=rows)


@bp.post("/outbox/<int:item_id>/retry")
@auth.require_admin
def outbox_retry(item_id: int) -> Any:
    """Send a dead item again."""
    context = auth.ctx()
    try:
        queues.retry(context.engine, context.clock, auth.actor(), item_id)
    except BillingError as exc:
        return _back("outbox", exc)
    context.wake.set()  # the worker takes it now rather than at its next tick
    return _back("outbox", ok=f"外发任务{item_id}已重新排队发送")


@bp.post("/outbox/<int:item_id>/resolve")
@auth.require_admin
def outbox_resolve(item_id: int) -> Any:
    """Mark a dead item handled by hand."""
    context = auth.ctx()
    try:
        queues.resolve(context.engine, context.clock, auth.actor(), item_id, request.form.get("reason", ""))
    except BillingError as exc:
        return _back("outbox", exc)
    return _back("outbox", ok=f"外发任务{item_id}已标记为手工处理")
