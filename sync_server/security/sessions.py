"""Terminal logins and server sessions (issue 14 items 4 and 5).

``login`` checks the password and answers a session token bound to the user, the user's role,
the terminal (caller appid) that logged in and an expiry. Only the SHA-256 of the token is stored
(table ``sessions``), so a copy of the database cannot be replayed as a session. A session is
revoked by ``logout``, a password change or reset, and disabling the user.

Every attempt is audited (``login_ok`` / ``login_failed`` / ``login_locked``, entity ``user``,
naming the terminal); ``policy.max_failures`` failures within ``policy.window_minutes`` lock the
user until the window has passed since the last failure. The lockout count is read from those
audit rows, so it holds across server processes sharing one database.

A password older than ``policy.password_max_age_days`` or reset by an admin still logs in, but the
session is good only for ``changePassword`` until the user picks a new one (E2031 otherwise).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, func, select, update

from billing_core.clock import Clock, parse_ts17, ts17
from sync_server.errors import (
    LoginError,
    LoginLockedError,
    PasswordChangeRequired,
    SessionError,
    WeakPasswordError,
)
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import audit_log, sessions, users

_hasher = PasswordHasher()
#: verified against when the user does not exist: the same work either way (no user enumeration)
_DUMMY = _hasher.hash("no-such-user-placeholder")


@dataclass(frozen=True, slots=True)
class Policy:
    """Login rules (sync_server.config: login_max_failures, login_window_minutes ...)."""

    max_failures: int = 5
    window_minutes: int = 15
    session_hours: int = 12
    password_max_age_days: int = 90


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: who, with which role, at which terminal; ``must_change`` = password first."""

    username: str
    role: str
    caller: str
    must_change: bool


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _failures(conn: Connection, username: str, since: str) -> int:
    """Failed attempts after ``since`` and after the last success."""
    last_ok = conn.execute(select(func.max(audit_log.c.at)).where(
        (audit_log.c.entity == "user") & (audit_log.c.entity_id == username)
        & (audit_log.c.action == "login_ok"))).scalar()
    start = max(since, last_ok or "")
    count = conn.execute(select(func.count()).where(
        (audit_log.c.entity == "user") & (audit_log.c.entity_id == username)
        & (audit_log.c.action == "login_failed") & (audit_log.c.at > start))).scalar()
    return int(count or 0)


def _expired(row: Any, clock: Clock, policy: Policy) -> bool:
    if row["must_change"]:
        return True
    if policy.password_max_age_days <= 0:
        return False
    changed = row["password_changed_at"] or row["created_at"]
    return bool(clock.now() - parse_ts17(changed) > timedelta(days=policy.password_max_age_days))


def _verify(row: Any, password: str) -> bool:
    try:
        _hasher.verify(row["password_hash"] if row is not None else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return False
    return row is not None


def _check_password(engine: Engine, clock: Clock, policy: Policy, username: str, password: str,
                    who: Actor) -> Any:
    """The user's row when the password is right and the user not locked; audits every failure."""
    name = username[:64]
    now = clock.now()
    since = ts17(now - timedelta(minutes=policy.window_minutes))
    with read_tx(engine) as conn:
        row = conn.execute(select(users).where(users.c.username == name)).mappings().first()
        count = _failures(conn, name, since)
    if policy.max_failures > 0 and count >= policy.max_failures:
        with write_tx(engine) as conn:
            audit(conn, clock, who, "login_locked", "user", name, None, {"failures": count})
        raise LoginLockedError(f"用户{name}登录失败次数过多，已锁定，请{policy.window_minutes}分钟后再试")
    ok = _verify(row, password) and row is not None and bool(row["enabled"])
    if not ok:
        with write_tx(engine) as conn:
            audit(conn, clock, who, "login_failed", "user", name, None, {"failures": count + 1})
        raise LoginError()
    return row


def login(engine: Engine, clock: Clock, policy: Policy, username: str, password: str,
          terminal: str) -> dict[str, str]:
    """Check the password and open a session at ``terminal``: the user's profile and the token."""
    who = Actor(username[:64], caller=terminal, terminal=terminal)
    row = _check_password(engine, clock, policy, username, password, who)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    expires = ts17(now + timedelta(hours=policy.session_hours))
    must_change = _expired(row, clock, policy)
    with write_tx(engine) as conn:
        conn.execute(sessions.insert().values(token_hash=token_hash(token), username=row["username"],
                                              role=row["role"], caller=terminal, created_at=ts17(now),
                                              expires_at=expires, revoked=0))
        audit(conn, clock, who, "login_ok", "user", row["username"], None,
              {"terminal": terminal, "expiresAt": expires, "mustChangePassword": must_change})
    return {"username": row["username"], "displayName": row["display_name"], "role": row["role"],
            "sessionToken": token, "expiresAt": expires, "mustChangePassword": "1" if must_change else "0"}


def resolve(engine: Engine, clock: Clock, policy: Policy, token: str, caller: str) -> Session:
    """The live session of ``token`` sent by ``caller`` (E2030 when unknown, expired, revoked,
    of another terminal or of a user disabled since)."""
    with read_tx(engine) as conn:
        row = conn.execute(select(sessions, users.c.enabled, users.c.must_change, users.c.password_changed_at,
                                  users.c.created_at.label("user_created"))
                           .join(users, users.c.username == sessions.c.username)
                           .where(sessions.c.token_hash == token_hash(token))).mappings().first()
    if (row is None or row["revoked"] or row["caller"] != caller or not row["enabled"]
            or row["expires_at"] <= ts17(clock.now())):
        raise SessionError()
    user = {"must_change": row["must_change"], "password_changed_at": row["password_changed_at"],
            "created_at": row["user_created"]}
    return Session(row["username"], row["role"], row["caller"], _expired(user, clock, policy))


def revoke_user(conn: Connection, username: str) -> int:
    """Revoke every session of a user (in the caller's transaction, which audits why)."""
    res = conn.execute(update(sessions).where((sessions.c.username == username) & (sessions.c.revoked == 0))
                       .values(revoked=1))
    return int(res.rowcount or 0)


def logout(engine: Engine, clock: Clock, token: str, caller: str) -> None:
    """Revoke the session of ``token`` (E2030 when it is not a live session of this terminal)."""
    with write_tx(engine) as conn:
        res = conn.execute(update(sessions).where((sessions.c.token_hash == token_hash(token))
                                                  & (sessions.c.caller == caller) & (sessions.c.revoked == 0))
                           .values(revoked=1))
        if not res.rowcount:
            raise SessionError()
        audit(conn, clock, Actor(caller, caller=caller, terminal=caller), "logout", "session", token_hash(token)[:16])


def check_new_password(old: str, new: str) -> None:
    """At least 8 characters with letters and digits, not the old one (DESIGN.md §3: no weak passwords)."""
    if len(new) < 8 or not re.search(r"[A-Za-z]", new) or not re.search(r"\d", new):
        raise WeakPasswordError("newPassword至少8位，且须同时包含字母和数字")
    if new == old:
        raise WeakPasswordError("newPassword不能与原密码相同")


def change_password(engine: Engine, clock: Clock, policy: Policy, username: str, old: str, new: str,
                    terminal: str) -> dict[str, str]:
    """The user changes the password (old one checked like a login); every session is revoked."""
    check_new_password(old, new)
    who = Actor(username[:64], caller=terminal, terminal=terminal)
    row = _check_password(engine, clock, policy, username, old, who)
    with write_tx(engine) as conn:
        conn.execute(update(users).where(users.c.id == row["id"]).values(
            password_hash=_hasher.hash(new), password_changed_at=ts17(clock.now()), must_change=0))
        revoked = revoke_user(conn, row["username"])
        audit(conn, clock, who, "change_password", "user", row["username"], None, {"revokedSessions": revoked})
    return {"username": row["username"], "changed": "1"}


def require_changed(session: Session, method: str, allowed: frozenset[str]) -> None:
    """A session whose password must change may call only ``allowed`` methods (E2031)."""
    if session.must_change and method not in allowed:
        raise PasswordChangeRequired()
