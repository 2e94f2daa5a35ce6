"""Demo users for the window's login (demo mode and tests; a real window asks the server).

:class:`DemoDirectory` satisfies :class:`workflows.cashier.login.Directory`; passwords are kept
scrypt-hashed even here so the demo never holds a plain password list in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

from workflows.cashier.errors import LoginFailed
from workflows.cashier.login import User

#: The password of every demo user (printed by the demo entry points).
DEMO_PASSWORD = "demo-1234"


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**12, r=8, p=1, dklen=32)


class DemoDirectory:
    """Demo users with scrypt-hashed passwords (demo mode only; the server holds real users)."""

    def __init__(self, users: Mapping[str, tuple[str, str, tuple[str, ...]]]) -> None:
        self._users: dict[str, tuple[str, bytes, bytes, frozenset[str]]] = {}
        for uid, (name, password, roles) in users.items():
            salt = secrets.token_bytes(16)
            self._users[uid] = (name, salt, _hash(password, salt), frozenset(roles))

    def authenticate(self, user_id: str, password: str) -> User:
        """The user when the password matches (raises LoginFailed, as the server's login would)."""
        entry = self._users.get(user_id.strip())
        if entry is None:
            raise LoginFailed()
        name, salt, digest, roles = entry
        if not hmac.compare_digest(digest, _hash(password, salt)):
            raise LoginFailed()
        return User(user_id.strip(), name, roles)

    def change_password(self, user_id: str, old: str, new: str) -> None:
        """Check the old password and keep the new one (demo mode: in memory only)."""
        name, _salt, _digest, roles = self._users[self.authenticate(user_id, old).user_id]
        salt = secrets.token_bytes(16)
        self._users[user_id.strip()] = (name, salt, _hash(new, salt), roles)

    def end(self, user: User) -> None:
        """Nothing to end: demo users have no server session."""


def demo_directory(password: str) -> DemoDirectory:
    """The demo hospital's window users, all with ``password``."""
    return DemoDirectory({
        "sf01": ("张敏", password, ("cashier",)),
        "sf02": ("王芳", password, ("cashier",)),
        "cw01": ("李华", password, ("finance", "cashier")),
        "admin": ("系统管理员", password, ("admin",)),
        "it01": ("赵强", password, ("it",)),
        "hs01": ("刘静", password, ("nurse",)),
    })

