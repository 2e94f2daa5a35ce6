"""Callers (HIS and terminals: appid, key, granted billing points) and users (roles, passwords).

Passwords are hashed with argon2id (argon2-cffi); caller keys are the platform-style shared
secrets of the envelope signature (spec §1.3), so they are stored as given.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select

from sync_server.errors import LoginError, PlaceNotGrantedError, UnknownPlaceError
from sync_server.store.db import read_tx
from sync_server.store.schema import billing_points, caller_points, callers, users

ROLES = ("cashier", "finance", "ward_nurse", "admin", "it")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """argon2id hash of a password."""
    return _hasher.hash(password)


@dataclass(frozen=True, slots=True)
class Caller:
    """A registered HIS or terminal."""

    appid: str
    key: str
    name: str
    kind: str
    enabled: bool
    places: frozenset[str]
    sm2_public_key: str | None


_MISS_AGE = 0.2  # a miss reloads callers at most this often


class CallerCache:
    """Callers and billing points read from the store, refreshed every ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float = 2.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._lock = threading.Lock()
        self._loaded = 0.0
        self._callers: dict[str, Caller] = {}
        self._places: frozenset[str] = frozenset()

    def invalidate(self) -> None:
        """Force a reload on next use (after a registration or grant change)."""
        self._loaded = 0.0

    def _refresh(self, max_age: float | None = None) -> None:
        with self._lock:
            # cache age in real seconds (how stale the copy of the database is), not business time
            if time.monotonic() - self._loaded < (self._ttl if max_age is None else max_age):
                return
            with read_tx(self._engine) as conn:
                grants: dict[int, set[str]] = {}
                for cid, place in conn.execute(select(caller_points.c.caller_id, caller_points.c.place_code)):
                    grants.setdefault(cid, set()).add(place)
                found = {}
                for r in conn.execute(select(callers)).mappings():
                    found[r["appid"]] = Caller(r["appid"], r["secret"], r["name"], r["kind"], bool(r["enabled"]),
                                               frozenset(grants.get(r["id"], set())), r["sm2_public_key"])
                places = frozenset(r[0] for r in conn.execute(
                    select(billing_points.c.place_code).where(billing_points.c.enabled == 1)))
            self._callers, self._places = found, places
            self._loaded = time.monotonic()

    def get(self, appid: str) -> Caller | None:
        """The caller with this appid, or None."""
        self._refresh()
        caller = self._callers.get(appid)
        if caller is None:
            # Registered a moment ago, perhaps through a sibling server process (its own cache):
            # look again, at most every _MISS_AGE seconds so unknown appids cannot flood the store.
            self._refresh(_MISS_AGE)
            caller = self._callers.get(appid)
        return caller

    def key_for(self, appid: str) -> str | None:
        """The envelope key of an enabled caller (None = unknown, refused with E2003)."""
        caller = self.get(appid)
        return caller.key if caller is not None and caller.enabled else None

    def all_places(self) -> frozenset[str]:
        """Every enabled billing point of the hospital (a hospital-wide window's reach, issue 18 §1)."""
        self._refresh()
        return self._places

    def check_place(self, caller: Caller, place: Any) -> None:
        """Refuse an unknown billing point (E2012) or one not granted to the caller (E2011)."""
        self._refresh()
        place = str(place)
        if place not in self._places or place not in caller.places:
            self._refresh(_MISS_AGE)  # granted a moment ago (see get)
            caller = self._callers.get(caller.appid, caller)
        if place not in self._places:
            raise UnknownPlaceError(f"开票点不存在：{place}")
        if place not in caller.places:
            raise PlaceNotGrantedError(f"调用方{caller.appid}未被授权使用开票点{place}")


def login(engine: Engine, username: str, password: str) -> dict[str, str]:
    """Check a user's password; the user's public profile, or LoginError (E2014)."""
    with read_tx(engine) as conn:
        row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    if row is None or not row["enabled"]:
        _hasher.hash(password)  # same work either way: do not reveal which names exist
        raise LoginError()
    try:
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        raise LoginError() from None
    return {"username": row["username"], "displayName": row["display_name"], "role": row["role"]}
