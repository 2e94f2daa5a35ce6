"""Users and callers (HIS, terminals, kiosks, wards) managed from the admin CLI and from the
finance workspace's screens (issue 18 §4): one implementation of each change, each with its
audit row in the same transaction.

Keys and passwords are generated (never chosen by hand, DESIGN.md §3: no weak passwords) and
returned once; the key itself never goes into the audit log.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine, insert, select, update

from billing_core.clock import Clock, SystemClock, ts17
from sync_server.errors import RequestDataError, UnknownPlaceError
from sync_server.security.audit import Actor, audit
from sync_server.security.auth import ROLES, hash_password
from sync_server.security.permissions import KINDS
from sync_server.security.sessions import revoke_user
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.schema import billing_points, caller_points, callers, users

ADMIN = Actor("admin-cli")
#: The clock of functions called without one (tests, tools); main() passes its context's.
_SYSTEM = SystemClock()


def _places(conn: Any, places: list[str]) -> list[str]:
    known = {r[0] for r in conn.execute(select(billing_points.c.place_code))}
    unknown = [p for p in places if p not in known]
    if unknown:
        raise UnknownPlaceError(f"开票点不存在：{'、'.join(unknown)}")
    return places


def add_caller(engine: Engine, appid: str, name: str, kind: str, places: list[str], *,
               clock: Clock = _SYSTEM, who: Actor = ADMIN) -> dict[str, Any]:
    """Register an HIS or terminal with a generated key; returns appid and key."""
    if kind not in KINDS:
        raise RequestDataError(f"kind必须是：{'、'.join(KINDS)}")
    key = secrets.token_hex(16)
    with write_tx(engine) as conn:
        _places(conn, places)
        cid = inserted_id(conn.execute(insert(callers).values(appid=appid, secret=key, name=name, kind=kind, enabled=1,
                                                  created_at=ts17(clock.now()))))
        for p in places:
            conn.execute(insert(caller_points).values(caller_id=cid, place_code=p))
        audit(conn, clock, who, "add_caller", "caller", appid, None,
              {"appid": appid, "kind": kind, "placeCodes": places})
    return {"appid": appid, "key": key, "kind": kind, "placeCodes": places}


def grant(engine: Engine, appid: str, places: list[str], *, clock: Clock = _SYSTEM,
          who: Actor = ADMIN) -> None:
    """Grant more billing points to a caller."""
    with write_tx(engine) as conn:
        _places(conn, places)
        cid = conn.execute(select(callers.c.id).where(callers.c.appid == appid)).scalar()
        if cid is None:
            raise RequestDataError(f"调用方不存在：{appid}")
        have = {r[0] for r in conn.execute(select(caller_points.c.place_code).where(caller_points.c.caller_id == cid))}
        for p in places:
            if p not in have:
                conn.execute(insert(caller_points).values(caller_id=cid, place_code=p))
        audit(conn, clock, who, "grant", "caller", appid, {"placeCodes": sorted(have)},
              {"placeCodes": sorted(have | set(places))})


def disable_caller(engine: Engine, appid: str, *, clock: Clock = _SYSTEM, who: Actor = ADMIN) -> None:
    """Disable a caller (its requests are refused with E2003 from then on)."""
    with write_tx(engine) as conn:
        res = conn.execute(update(callers).where(callers.c.appid == appid).values(enabled=0))
        if not res.rowcount:
            raise RequestDataError(f"调用方不存在：{appid}")
        audit(conn, clock, who, "disable_caller", "caller", appid, {"enabled": 1}, {"enabled": 0})


def add_user(engine: Engine, username: str, name: str, role: str, *, clock: Clock = _SYSTEM,
             who: Actor = ADMIN) -> dict[str, str]:
    """Create a user with a generated password; returns the name and the password (shown once)."""
    if role not in ROLES:
        raise RequestDataError(f"角色必须是：{'、'.join(ROLES)}")
    password = secrets.token_urlsafe(12)
    with write_tx(engine) as conn:
        conn.execute(insert(users).values(username=username, display_name=name, role=role,
                                          password_hash=hash_password(password), enabled=1,
                                          created_at=ts17(clock.now())))
        audit(conn, clock, who, "add_user", "user", username, None, {"username": username, "role": role})
    return {"username": username, "password": password, "role": role}


def disable_user(engine: Engine, username: str, *, clock: Clock = _SYSTEM,
                 who: Actor = ADMIN) -> dict[str, Any]:
    """Disable a user: no more logins, and every live session ends now."""
    with write_tx(engine) as conn:
        res = conn.execute(update(users).where(users.c.username == username).values(enabled=0))
        if not res.rowcount:
            raise RequestDataError(f"用户不存在：{username}")
        revoked = revoke_user(conn, username)
        audit(conn, clock, who, "disable_user", "user", username, {"enabled": 1},
              {"enabled": 0, "revokedSessions": revoked})
    return {"username": username, "enabled": 0, "revokedSessions": revoked}


def reset_password(engine: Engine, username: str, *, clock: Clock = _SYSTEM,
                   who: Actor = ADMIN) -> dict[str, str]:
    """A generated one-time password (shown once); the user must change it at the next login and
    every live session ends now."""
    password = secrets.token_urlsafe(12)
    with write_tx(engine) as conn:
        res = conn.execute(update(users).where(users.c.username == username).values(
            password_hash=hash_password(password), password_changed_at=ts17(clock.now()), must_change=1))
        if not res.rowcount:
            raise RequestDataError(f"用户不存在：{username}")
        revoke_user(conn, username)
        audit(conn, clock, who, "reset_password", "user", username, None, {"mustChangePassword": True})
    return {"username": username, "password": password, "mustChangePassword": "1"}


def rotate_key(engine: Engine, appid: str, *, clock: Clock = _SYSTEM,
               who: Actor = ADMIN) -> dict[str, str]:
    """A new generated envelope key for a caller (shown once); the old key stops working as soon
    as the servers' caller caches refresh (a few seconds)."""
    key = secrets.token_hex(16)
    with write_tx(engine) as conn:
        res = conn.execute(update(callers).where(callers.c.appid == appid).values(secret=key))
        if not res.rowcount:
            raise RequestDataError(f"调用方不存在：{appid}")
        # the key itself never goes into the audit log
        audit(conn, clock, who, "rotate_key", "caller", appid, None, {"rotated": True})
    return {"appid": appid, "key": key}


def listing(engine: Engine) -> dict[str, Any]:
    """Callers (without keys) and users (without hashes)."""
    with read_tx(engine) as conn:
        grants: dict[int, list[str]] = {}
        for cid, p in conn.execute(select(caller_points.c.caller_id, caller_points.c.place_code)):
            grants.setdefault(cid, []).append(p)
        return {"callers": [{"appid": r["appid"], "name": r["name"], "kind": r["kind"], "enabled": r["enabled"],
                             "placeCodes": sorted(grants.get(r["id"], []))}
                            for r in conn.execute(select(callers)).mappings()],
                "users": [{"username": r["username"], "role": r["role"], "enabled": r["enabled"]}
                          for r in conn.execute(select(users)).mappings()]}


def enable_user(engine: Engine, username: str, *, clock: Clock = _SYSTEM, who: Actor = ADMIN) -> dict[str, Any]:
    """Enable a disabled user again (logins allowed; the password is unchanged)."""
    with write_tx(engine) as conn:
        res = conn.execute(update(users).where(users.c.username == username).values(enabled=1))
        if not res.rowcount:
            raise RequestDataError(f"用户不存在：{username}")
        audit(conn, clock, who, "enable_user", "user", username, {"enabled": 0}, {"enabled": 1})
    return {"username": username, "enabled": 1}


def set_role(engine: Engine, username: str, role: str, *, clock: Clock = _SYSTEM, who: Actor = ADMIN) -> dict[str, Any]:
    """Change a user's role; every live session ends (the next login carries the new role)."""
    if role not in ROLES:
        raise RequestDataError(f"角色必须是：{'、'.join(ROLES)}")
    with write_tx(engine) as conn:
        before = conn.execute(select(users.c.role).where(users.c.username == username)).scalar()
        if before is None:
            raise RequestDataError(f"用户不存在：{username}")
        conn.execute(update(users).where(users.c.username == username).values(role=role))
        revoked = revoke_user(conn, username)
        audit(conn, clock, who, "set_role", "user", username, {"role": before}, {"role": role, "revokedSessions": revoked})
    return {"username": username, "role": role, "revokedSessions": revoked}


def enable_caller(engine: Engine, appid: str, *, clock: Clock = _SYSTEM, who: Actor = ADMIN) -> None:
    """Enable a disabled caller again."""
    with write_tx(engine) as conn:
        res = conn.execute(update(callers).where(callers.c.appid == appid).values(enabled=1))
        if not res.rowcount:
            raise RequestDataError(f"调用方不存在：{appid}")
        audit(conn, clock, who, "enable_caller", "caller", appid, {"enabled": 0}, {"enabled": 1})
