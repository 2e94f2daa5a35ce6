"""``/terminal/api/<method>``: what our terminals need beyond the platform interface.

Method names are billing_core.methods.TERMINAL_* (the constants workflows.sync_client sends).

Same signed envelope as the platform interface, with the terminal's own appid/key:

* ``register``        — ``{sm2PublicKey}`` (hex, 64 or 65 bytes): the key that verifies the
  terminal's emergency bills (issue 7).
* ``heartbeat``       — terminal status -> server time, outbox backlog, ``revokedBlocks``, ``alarms``
  (services/terminal_watch.py: overdue and low-stock alarms on the server side) and
  ``terminalConfig`` (fleet/settings.py: the functions, parameters and upgrade the management
  web pushes to the terminal's scene; the terminal reports the version it applied as ``configVersion``).
* ``login``           — ``{username, password}`` -> the user's name, role, ``sessionToken``,
  ``expiresAt`` and ``mustChangePassword`` (E2014 wrong, E2032 locked out; HIS callers: E2015).
  Later requests carry the token in the signed data (``sessionToken``, api/access.py).
* ``changePassword``  — ``{username, oldPassword, newPassword}``: every session of the user ends.
* ``logout``          — ends the session the request carries.
* ``catalog``         — 应急开票基础信息: granted billing points, pay channels, charge items.
* ``emergencyStock``  — ``{placeCode, count}``: a block reserved on the platform for the terminal.
* ``emergencyStockReturn`` — 申退 of unused numbers (services/terminal_stock.py -> platform).
* ``stock*`` — the finance office's bill stock (api/terminal_stock_api.py, docs/STOCK.md).
* ``uploadEmergencyBills`` — the terminal's emergency journal (services/terminal_bills.py), carried
  forward through the outbox like the server's own emergency bills (issue 7).
* ``findBills``       — a window finds any bill of the hospital by busNo, number, payer, ID number,
  phone or card number (his/search.py, issue 18 §1): hospital-wide for cashier / finance / admin
  sessions (api/access.hospital_wide), else the caller's granted points.

Every terminal request carries a signed stamp in its noise (billing_core.request_stamp, issue 14
§7): the method, which must be the URL's (E2062), and the send time, within :data:`MAX_SKEW`
seconds of the server's clock (E2061).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import select, update

from billing_core import methods, request_stamp
from billing_core.clock import ts17
from billing_core.codes import BUS_TYPE, CARD_TYPE, PAY_CHANNEL
from sync_server.api import finance_api
from sync_server.api.access import authorise, current_actor, hospital_wide, policy, session_token
from sync_server.api.envelope_io import handle
from sync_server.api.terminal_stock_api import STOCK_ROUTES
from sync_server.bills.catalog import charge_item_list
from sync_server.context import ServerContext
from sync_server.emergency import terminal_bills, terminal_stock, terminal_watch
from sync_server.errors import (
    RequestDataError,
    RequestStampError,
    SessionError,
    SignedMethodError,
    TerminalSignatureError,
    UnknownMethodError,
)
from sync_server.fleet import settings as fleet_settings
from sync_server.his import search
from sync_server.outbox import queue as outbox
from sync_server.security import sessions
from sync_server.security.audit import audit
from sync_server.security.auth import Caller, CallerCache
from sync_server.stock import emergency_stock as emergency
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import billing_points, callers

bp = Blueprint("terminal_api", __name__)


def _register(ctx: ServerContext, caller: Caller, data: dict[str, Any]) -> dict[str, str]:
    key = str(data.get("sm2PublicKey", "")).lower()
    try:
        raw = bytes.fromhex(key)
    except ValueError:
        raw = b""
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise TerminalSignatureError("sm2PublicKey必须是64字节（或04开头65字节）的十六进制SM2公钥")
    with write_tx(ctx.engine) as conn:
        before = conn.execute(select(callers.c.sm2_public_key).where(callers.c.appid == caller.appid)).scalar()
        conn.execute(update(callers).where(callers.c.appid == caller.appid).values(sm2_public_key=raw.hex()))
        audit(conn, ctx.clock, current_actor(caller), "register_key",
              "caller", caller.appid, {"sm2_public_key": before}, {"sm2_public_key": raw.hex()})
    current_app.extensions["sync_callers"].invalidate()
    return {"terminalId": caller.appid, "registered": ts17(ctx.clock.now())}


def _catalog(ctx: ServerContext, caller: Caller) -> dict[str, Any]:
    with read_tx(ctx.engine) as conn:
        points = [{"placeCode": r["place_code"], "name": r["name"]}
                  for r in conn.execute(select(billing_points)).mappings() if r["place_code"] in caller.places]

    def entries(code_list: Any) -> list[dict[str, str]]:
        return [{"code": k, "name": v} for k, v in code_list.entries.items()]

    return {"billingPoints": points, "chargeItems": charge_item_list(ctx.engine),
            "payChannels": entries(PAY_CHANNEL), "busTypes": entries(BUS_TYPE),
            "cardTypes": entries(CARD_TYPE), "serverTime": ts17(ctx.clock.now())}


def _heartbeat(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    with read_tx(ctx.engine) as conn:
        backlog = outbox.counts(conn).get("pending", 0)
    answer = {"serverTime": ts17(ctx.clock.now()), "outboxPending": str(backlog),
              **terminal_watch.heartbeat(ctx, caller.appid, data)}
    pushed = fleet_settings.delivery_for(ctx.engine, caller.kind)  # issue 19: the scene's functions, params, upgrade
    if pushed is not None:
        answer["terminalConfig"] = pushed
    return answer


def _login(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    if not data.get("username") or not data.get("password"):
        raise RequestDataError("username和password必填")
    return sessions.login(ctx.engine, ctx.clock, policy(ctx), str(data["username"]), str(data["password"]),
                          caller.appid)


def _change_password(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    for name in ("username", "oldPassword", "newPassword"):
        if not data.get(name):
            raise RequestDataError(f"{name}必填")
    return sessions.change_password(ctx.engine, ctx.clock, policy(ctx), str(data["username"]),
                                    str(data["oldPassword"]), str(data["newPassword"]), caller.appid)


def _logout(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    token = session_token()
    if not token:
        raise SessionError("logout需要sessionToken")
    sessions.logout(ctx.engine, ctx.clock, token, caller.appid)
    return None


def _stock_out(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    if not data.get("placeCode"):
        raise RequestDataError("placeCode必填")
    cache.check_place(caller, data["placeCode"])
    try:
        count = int(data.get("count", 100))
    except (TypeError, ValueError):
        raise RequestDataError("count必须是整数") from None
    if not 1 <= count <= 5000:
        raise RequestDataError("count必须在1到5000之间")
    return emergency.hand_out(ctx, current_actor(caller), str(data["placeCode"]), count, caller.appid)


def _stock_return(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    if not data.get("placeCode"):
        raise RequestDataError("placeCode必填")
    cache.check_place(caller, data["placeCode"])
    return terminal_stock.stock_return(ctx, current_actor(caller), caller.appid, data)


def _find_bills(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    places = cache.all_places() if hospital_wide(caller) else caller.places
    return search.find_bills(ctx, current_actor(caller), places, data)


Route = Callable[[ServerContext, CallerCache, Caller, dict[str, Any]], Any]

#: Every terminal-api method and its handler, keyed by the vocabulary's constants.
ROUTES: dict[str, Route] = {
    methods.TERMINAL_REGISTER: lambda ctx, cache, caller, data: _register(ctx, caller, data),
    methods.TERMINAL_HEARTBEAT: _heartbeat,
    methods.TERMINAL_LOGIN: _login,
    methods.TERMINAL_CATALOG: lambda ctx, cache, caller, data: _catalog(ctx, caller),
    methods.TERMINAL_STOCK_OUT: _stock_out,
    methods.TERMINAL_UPLOAD: terminal_bills.upload,
    methods.TERMINAL_STOCK_RETURN: _stock_return,
    methods.TERMINAL_CHANGE_PASSWORD: _change_password,
    methods.TERMINAL_LOGOUT: _logout,
    **STOCK_ROUTES,  # the finance office's bill stock (issue 18 §2)
    methods.TERMINAL_FIND_BILLS: _find_bills,
    **finance_api.ROUTES,  # the finance workspace (issue 18): reports, configuration, users, audit
}


def dispatch(ctx: ServerContext, cache: CallerCache, caller: Caller, method: str, data: dict[str, Any]) -> Any:
    """Route one verified terminal request: caller kind and session role first (api/access.py)."""
    route = ROUTES.get(method)
    if route is None:
        raise UnknownMethodError(f"终端接口不支持的方法：{method}")
    authorise(ctx, caller, method)
    return route(ctx, cache, caller, data)


#: How far a terminal's signed send time may be from the server's clock (seconds, either way).
MAX_SKEW = 300.0


def check_stamp(method: str, noise: str, now: float) -> None:
    """Refuse a terminal request whose noise is not a stamp of ``method`` made near ``now`` (epoch s)."""
    stamp = request_stamp.parse(noise)
    if stamp is None:
        raise RequestStampError("终端请求的noise必须是签名时间戳（T1.<方法>.<毫秒时间>.<随机串>），请升级终端")
    if stamp.method != method:
        raise SignedMethodError(f"签名中的接口方法{stamp.method}与请求地址的方法{method[:64]}不一致")
    skew = stamp.epoch_ms / 1000.0 - now
    if abs(skew) > MAX_SKEW:
        raise RequestStampError(f"终端请求时间与服务器时间相差{abs(skew):.0f}秒（上限{MAX_SKEW:.0f}秒），"
                                "请校准终端时钟")


@bp.post("/terminal/api/<method>")
def call(method: str) -> Any:
    """Every terminal method."""
    ctx: ServerContext = current_app.extensions["sync_server"]
    cache: CallerCache = current_app.extensions["sync_callers"]
    return handle(lambda caller, data: dispatch(ctx, cache, caller, method, data),
                  guard=lambda caller, noise: check_stamp(method, noise, time.time()))
