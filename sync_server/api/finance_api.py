"""The finance workspace's terminal-api methods (issue 18 §3, §4), merged into terminal_api.ROUTES.

* ``financeReport``  — reports/service.py (finance, admin);
* ``financeConfig``  — baseinfo/config_tables.py: departments, checkers, common payers, item
  groups (finance, admin);
* ``financeBaseInfo`` — baseinfo/download.py: the platform's unit, bill kinds and income items
  downloaded and listed (finance, admin);
* ``manageUsers``    — ``{action: list | create {username, name, role} | role {username, role} |
  disable | enable | reset {username}}`` (admin): security/accounts.py, the same functions as
  ``python -m sync_server admin``; a generated password is answered once;
* ``manageCallers``  — ``{action: list | create {appid, name, kind, placeCodes} | grant {appid,
  placeCodes} | disable | enable | rotate {appid}}`` (admin); a generated key is answered once
  (the caller's cache is refreshed at once);
* ``auditLog``       — reports/audit_log.py (admin, finance, IT): read-only.

The role of each method is in security/permissions.py; the actor of every audit row is the
session's user at this terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from billing_core import methods
from sync_server.api.access import current_actor
from sync_server.baseinfo import config_tables, download
from sync_server.context import ServerContext
from sync_server.errors import RequestDataError
from sync_server.reports import audit_log
from sync_server.reports import service as reports
from sync_server.security import accounts
from sync_server.security.auth import Caller, CallerCache


def _field(data: dict[str, Any], name: str, label: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise RequestDataError(f"{name}（{label}）必填")
    return value


def _places(data: dict[str, Any]) -> list[str]:
    raw = data.get("placeCodes")
    places = [str(p).strip() for p in (raw if isinstance(raw, list) else str(raw or "").split(",")) if str(p).strip()]
    if not places:
        raise RequestDataError("placeCodes（开票点）至少一个")
    return places


def _users(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    action, who, eng, clock = str(data.get("action") or "list"), current_actor(caller), ctx.engine, ctx.clock
    if action == "list":
        return {"users": accounts.listing(eng)["users"]}
    username = _field(data, "username", "用户名")
    if action == "create":
        return accounts.add_user(eng, username, _field(data, "name", "姓名"), _field(data, "role", "角色"),
                                 clock=clock, who=who)
    if action == "role":
        return accounts.set_role(eng, username, _field(data, "role", "角色"), clock=clock, who=who)
    if action == "disable":
        return accounts.disable_user(eng, username, clock=clock, who=who)
    if action == "enable":
        return accounts.enable_user(eng, username, clock=clock, who=who)
    if action == "reset":
        return accounts.reset_password(eng, username, clock=clock, who=who)
    raise RequestDataError("action（操作）必须是：list、create、role、disable、enable、reset")


def _callers(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    action, who, eng, clock = str(data.get("action") or "list"), current_actor(caller), ctx.engine, ctx.clock
    if action == "list":
        return {"callers": accounts.listing(eng)["callers"]}
    appid = _field(data, "appid", "调用方编号")
    out: Any
    if action == "create":
        out = accounts.add_caller(eng, appid, _field(data, "name", "名称"), _field(data, "kind", "类型"),
                                  _places(data), clock=clock, who=who)
    elif action == "grant":
        accounts.grant(eng, appid, _places(data), clock=clock, who=who)
        out = {"appid": appid}
    elif action == "disable":
        accounts.disable_caller(eng, appid, clock=clock, who=who)
        out = {"appid": appid, "enabled": "0"}
    elif action == "enable":
        accounts.enable_caller(eng, appid, clock=clock, who=who)
        out = {"appid": appid, "enabled": "1"}
    elif action == "rotate":
        out = accounts.rotate_key(eng, appid, clock=clock, who=who)
    else:
        raise RequestDataError("action（操作）必须是：list、create、grant、disable、enable、rotate")
    current_app.extensions["sync_callers"].invalidate()
    return out


Route = Callable[[ServerContext, CallerCache, Caller, dict[str, Any]], Any]

ROUTES: dict[str, Route] = {
    methods.TERMINAL_REPORT: lambda ctx, cache, caller, data: reports.run(ctx, data),
    methods.TERMINAL_CONFIG: lambda ctx, cache, caller, data: config_tables.handle(ctx, current_actor(caller), data),
    methods.TERMINAL_BASE_INFO: lambda ctx, cache, caller, data: download.handle(ctx, current_actor(caller), data),
    methods.TERMINAL_USERS: _users,
    methods.TERMINAL_CALLERS: _callers,
    methods.TERMINAL_AUDIT: lambda ctx, cache, caller, data: audit_log.view(ctx, data),
}
