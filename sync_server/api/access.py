"""Who acts, and may they: caller kind, server session and role, for both blueprints (issue 14 item 4).

The session token travels **inside the signed data** as ``sessionToken`` (never in an unsigned
header): :func:`take_token` removes it before the data reaches validation or the platform, so an
HIS that never sends one is served exactly as before. The old ``X-Operator`` header is ignored.

For terminal kinds (terminal, kiosk, ward) a token is resolved to its session: unknown, expired,
revoked or another terminal's token is refused (E2030), a password that must change allows only
the session-less methods (``changePassword``, ``logout``, heartbeat ...; E2031 otherwise), and the role table of
:mod:`sync_server.security.permissions` is applied (E2033). Without a token, role-gated methods of
a staffed terminal (cashier window, ward station) are refused (E2030: a person, or the terminal's
machine account, logs in first); a self-service kiosk acts as itself, limited by its kind's method
list. ``terminal_session_required = false`` (config) lets staffed terminals act as themselves too,
for sites whose terminals predate sessions.
"""

from __future__ import annotations

from typing import Any

from flask import g

from sync_server.context import ServerContext
from sync_server.errors import SessionError
from sync_server.security import permissions, sessions
from sync_server.security.audit import Actor
from sync_server.security.auth import Caller

TOKEN_FIELD = "sessionToken"


def take_token(data: Any) -> None:
    """Move the signed ``sessionToken`` out of the request data into the request context."""
    g.session_token = str(data.pop(TOKEN_FIELD, "") or "")[:128] if isinstance(data, dict) else ""


def policy(ctx: ServerContext) -> sessions.Policy:
    """The login rules of the server's config."""
    cfg = ctx.config
    return sessions.Policy(cfg.login_max_failures, cfg.login_window_minutes, cfg.session_hours,
                           cfg.password_max_age_days)


def session_token() -> str:
    """The token of the current request ('' = none)."""
    return str(g.get("session_token", "") or "")


def session_role() -> str:
    """The role of the current request's session ('' = no session: the caller acts as itself)."""
    return str(g.get("session_role", "") or "")


def current_actor(caller: Caller) -> Actor:
    """The actor :func:`authorise` found for this request (the caller itself before that)."""
    who = g.get("actor")
    return who if isinstance(who, Actor) else Actor(caller.appid, caller=caller.appid)


def authorise(ctx: ServerContext, caller: Caller, method: str) -> Actor:
    """Check the caller kind's method list and the session's role; the actor of the audit rows
    (also kept for :func:`current_actor`)."""
    g.session_role = ""
    g.actor = who = _authorise(ctx, caller, method)
    return who


def hospital_wide(caller: Caller) -> bool:
    """True when this request may reach bills at every billing point of the hospital (issue 18 §1):
    a cashier window (caller kind ``terminal``) with a logged-in session whose role is in
    :data:`sync_server.security.permissions.HOSPITAL_WIDE`. HIS, kiosks, ward stations and a
    window acting as itself (no session) keep their granted points."""
    return (caller.kind in permissions.HOSPITAL_WIDE_KINDS
            and str(g.get("session_role", "") or "") in permissions.HOSPITAL_WIDE)


def _authorise(ctx: ServerContext, caller: Caller, method: str) -> Actor:
    permissions.check_kind(caller.kind, caller.appid, method)
    if caller.kind == "his":
        return Actor(caller.appid, caller=caller.appid)
    token = session_token()
    if method in permissions.SESSIONLESS:
        # login, password change, heartbeat ...: the machine's own traffic, whoever is logged in
        return Actor(caller.appid, caller=caller.appid, terminal=caller.appid)
    if not token:
        if (ctx.config.terminal_session_required and caller.kind in permissions.STAFFED_KINDS
                and permissions.needs_session(method)):
            raise SessionError(f"调用{method}需要先登录（请求缺少sessionToken）")
        return Actor(caller.appid, caller=caller.appid, terminal=caller.appid)
    session = sessions.resolve(ctx.engine, ctx.clock, policy(ctx), token, caller.appid)
    sessions.require_changed(session, method, permissions.SESSIONLESS)
    permissions.check_role(session.role, method)
    g.session_role = session.role  # the insurance API's scope: finance and admin see every settlement
    return Actor(session.username, caller=caller.appid, terminal=caller.appid)
