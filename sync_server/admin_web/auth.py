"""Admin-web login, session cookie and CSRF token.

A login goes through :func:`sync_server.security.sessions.login` like a terminal's, as the
pseudo-terminal :data:`WEB_TERMINAL`: the password is checked against its argon2id hash, every
attempt is audited, and ``login_max_failures`` failures in ``login_window_minutes`` lock the
user (the count is read from the audit rows, so it holds across server processes) — the rate
limit of the login form. Only a user of the ``admin`` role keeps the session; anyone else's is
revoked at once (E5101). A password that must change first (expired, or reset by the admin CLI)
is refused with E2031 and the login page offers the change (:func:`change_password`).

The session token lives in an HttpOnly, SameSite=Strict cookie scoped to ``/admin`` (Secure when
served over TLS); the store keeps only its SHA-256. Every POST carries a CSRF token: after login
the SHA-256 of ``csrf:`` + the session token (it can be derived only by who holds the cookie);
on the login form a random value that must match a SameSite cookie set with the form.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from sync_server.context import ServerContext
from sync_server.errors import PasswordChangeRequired, SessionError
from sync_server.fleet.errors import AdminRoleError, CsrfError
from sync_server.security import sessions
from sync_server.security.audit import Actor

WEB_TERMINAL = "admin-web"
COOKIE = "ebill_admin"
PRE_COOKIE = "ebill_admin_login"
PATH = "/admin"
ADMIN_ROLE = "admin"

F = TypeVar("F", bound=Callable[..., Any])


def ctx() -> ServerContext:
    """The server context of the running app."""
    context: ServerContext = current_app.extensions["sync_server"]
    return context


def policy(context: ServerContext) -> sessions.Policy:
    """The login rules of the server's config (the same as the terminals')."""
    cfg = context.config
    return sessions.Policy(cfg.login_max_failures, cfg.login_window_minutes, cfg.session_hours,
                           cfg.password_max_age_days)


def csrf_of(token: str) -> str:
    """The CSRF token of a session token."""
    return hashlib.sha256(f"csrf:{token}".encode()).hexdigest()


def set_cookie(resp: Response, name: str, value: str, max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Strict cookie under /admin (Secure over TLS)."""
    resp.set_cookie(name, value, max_age=max_age, path=PATH, httponly=True, samesite="Strict",
                    secure=request.is_secure)


def login_form_token() -> str:
    """The pre-login CSRF value (the cookie of the login form), made when missing."""
    value = request.cookies.get(PRE_COOKIE, "")
    if len(value) != 43:
        value = g.get("pre_token") or secrets.token_urlsafe(32)
    g.pre_token = value
    return value


def check_login_csrf() -> None:
    """The login form's token must match its cookie (E5102)."""
    sent, cookie = request.form.get("csrf", ""), request.cookies.get(PRE_COOKIE, "")
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        raise CsrfError()


def log_in(username: str, password: str) -> tuple[str, str]:
    """Check the password; the session token and the user's display name. LoginError (E2014),
    LoginLockedError (E2032), AdminRoleError (E5101)."""
    context = ctx()
    profile = sessions.login(context.engine, context.clock, policy(context), username, password, WEB_TERMINAL)
    token = profile["sessionToken"]
    if profile["role"] != ADMIN_ROLE or profile["mustChangePassword"] == "1":
        sessions.logout(context.engine, context.clock, token, WEB_TERMINAL)
        if profile["role"] != ADMIN_ROLE:
            raise AdminRoleError(f"用户{profile['username']}不是系统管理员，不能登录终端管理平台")
        raise PasswordChangeRequired("密码已过期或被重置，请先修改密码再登录")
    return token, profile["displayName"]


def change_password(username: str, old: str, new: str) -> None:
    """An expired or reset password changed from the login page (old one checked like a login,
    new one checked for strength; every session of the user ends). Whoever knows the old password
    may change it (as at a terminal); only administrators then log in here."""
    context = ctx()
    sessions.change_password(context.engine, context.clock, policy(context), username[:64], old, new, WEB_TERMINAL)


def log_out() -> None:
    """End the current session (if any)."""
    token = request.cookies.get(COOKIE, "")
    if token:
        context = ctx()
        try:
            sessions.logout(context.engine, context.clock, token, WEB_TERMINAL)
        except SessionError:
            pass  # already ended: logging out again is fine


def _current() -> sessions.Session | None:
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    context = ctx()
    try:
        session = sessions.resolve(context.engine, context.clock, policy(context), token[:128], WEB_TERMINAL)
    except SessionError:
        return None
    if session.role != ADMIN_ROLE:
        return None
    g.token = token
    return session


def require_admin(view: F) -> F:
    """Pages for a live admin session; others are sent to the login page. A POST must carry the
    session's CSRF token (E5102, answered 403)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = _current()
        if session is None:
            return redirect(url_for("admin_web.login", next=request.path))
        g.admin = session
        g.csrf = csrf_of(g.token)
        if request.method == "POST" and not hmac.compare_digest(request.form.get("csrf", "").encode(),
                                                                g.csrf.encode()):
            return Response(f"{CsrfError.code} {CsrfError.default_message}", status=403,
                            mimetype="text/plain; charset=utf-8")
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def actor() -> Actor:
    """The audit actor of the current admin."""
    session: sessions.Session = g.admin
    return Actor(session.username, caller=WEB_TERMINAL, terminal=WEB_TERMINAL)
