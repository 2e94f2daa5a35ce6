"""Login with the server's users and roles, and the idle lock of the cashier window.

Users (cashier 收费员, finance 财务, admin 管理员, IT 信息科) come from the sync server's terminal
login; demo mode uses :class:`workflows.demo.users.DemoDirectory` (a fake for demo and tests). The
window locks after ``idle_seconds`` without input; only the same user (or an admin) unlocks it,
so a queue never sees another cashier's session (DESIGN §3 security).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from billing_core import methods
from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError
from workflows.cashier.errors import LoginFailed, PasswordChangeNeeded, RoleNotAllowed, SessionLocked
from workflows.server_api import ServerApi

log = logging.getLogger(__name__)

ROLE_LABELS = {"cashier": "收费员", "finance": "财务", "admin": "管理员", "it": "信息科", "nurse": "病区护士"}
#: Roles allowed into the cashier / finance workspaces (a nurse: the ward workspace, issue 17;
#: the window opens on its 病区 tab).
WINDOW_ROLES = frozenset({"cashier", "finance", "admin", "it", "nurse"})

#: Every action of the window -> the roles that may do it (admin always may; LoginSession.require).
#: Mirrors the server's table (sync_server/security/permissions.py), which refuses the same
#: actions with E2033: the window refuses first, before anything is sent or written locally.
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "paper": ("cashier", "finance"),       # exchange for paper, reprint (voids the old paper)
    "void_paper": ("finance",),            # void the paper and red-flush the e-bill
    "void_blank": ("finance",),            # blank paper stock voided (torn, lost)
    "write_off": ("finance",),             # red-flush (冲红), single or batch
    "report": ("cashier", "finance"),      # daily report: view, export, print
    "query": ("cashier", "finance", "it"),  # local bill query
    "finance_reports": ("finance", "admin"),  # hospital-wide reports and base info from the server (issue 18)
    "accounts": ("admin",),                # users, roles and callers managed on screen (issue 18 §4)
    "audit": ("admin", "finance", "it"),   # the server's audit log, read-only
    "stock": ("finance",),                 # bill stock: view, opening, apply, distribute, void, return
}


@dataclass(frozen=True, slots=True)
class User:
    """A logged-in person: login id, display name and roles."""

    user_id: str
    name: str
    roles: frozenset[str]
    #: the server session of this login (sent with every request; '' in demo mode)
    token: str = ""
    #: the password expired or was reset: only a password change until then
    must_change: bool = False

    def has(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``."""
        return bool(self.roles & set(roles))

    @property
    def role_label(self) -> str:
        return "、".join(ROLE_LABELS.get(r, r) for r in sorted(self.roles))


class Directory(Protocol):
    """Checks a user's password and returns the user (raises LoginFailed)."""

    def authenticate(self, user_id: str, password: str) -> User: ...

    def change_password(self, user_id: str, old: str, new: str) -> None: ...

    def end(self, user: User) -> None: ...


class ServerDirectory:
    """Users checked by the sync server's terminal ``login`` method (``{username, password}`` ->
    ``{username, displayName, role, sessionToken, mustChangePassword}``; a wrong password is an
    E2xxx failure)."""

    def __init__(self, api: ServerApi, method: str = methods.TERMINAL_LOGIN) -> None:
        self._api = api
        self._method = method

    def authenticate(self, user_id: str, password: str) -> User:
        try:
            ans: Any = self._api.terminal(self._method, {"username": user_id.strip(), "password": password})
        except BillingError as exc:
            if exc.code.startswith("E2"):
                raise LoginFailed(exc.message) from exc
            raise
        if not isinstance(ans, dict):
            raise LoginFailed("服务器登录应答无法识别")
        roles = ans.get("roles") or [ans.get("role", "")]
        roles = ["nurse" if r == "ward_nurse" else str(r) for r in roles if r]
        return User(str(ans.get("username", user_id)), str(ans.get("displayName", user_id)), frozenset(roles),
                    token=str(ans.get("sessionToken", "")), must_change=str(ans.get("mustChangePassword")) == "1")

    def change_password(self, user_id: str, old: str, new: str) -> None:
        """``changePassword`` on the server (E2xxx: wrong old password, weak new one, locked)."""
        try:
            self._api.terminal(methods.TERMINAL_CHANGE_PASSWORD,
                               {"username": user_id.strip(), "oldPassword": old, "newPassword": new})
        except BillingError as exc:
            if exc.code.startswith("E2"):
                raise LoginFailed(exc.message) from exc
            raise

    def end(self, user: User) -> None:
        """``logout``: the server ends the session (best effort: an unreachable server lets it expire)."""
        try:
            self._api.terminal(methods.TERMINAL_LOGOUT, {})
        except Exception:  # noqa: BLE001 - logging out never fails for the person at the window
            log.info("logout of %s not confirmed by the server: the session expires by itself", user.user_id)


class LoginSession:
    """Who is at the window, and whether the window is locked.

    :param directory: checks passwords.
    :param idle_seconds: lock after this long without :meth:`touch` (0 = never).
    """

    def __init__(self, directory: Directory, idle_seconds: float = 300.0, clock: Clock | None = None,
                 on_user: Callable[[User | None], None] | None = None) -> None:
        self._directory = directory
        #: told the user (with the session token) after every login, unlock and logout
        self._on_user = on_user or (lambda _user: None)
        self.idle_seconds = idle_seconds
        self._clock = clock or SystemClock()
        self.user: User | None = None
        self.locked = False
        self._last = self._clock.monotonic()

    def login(self, user_id: str, password: str) -> User:
        """Check the password and start a session (raises LoginFailed / RoleNotAllowed)."""
        user = self._directory.authenticate(user_id, password)
        if not user.roles & WINDOW_ROLES:
            raise RoleNotAllowed("该用户没有收费窗口或财务的权限")
        self.user, self.locked = user, False
        self._last = self._clock.monotonic()
        self._on_user(user)
        return user

    def logout(self) -> None:
        """End the window's session (and the server's)."""
        user = self.user
        if user is not None and user.token:
            self._directory.end(user)
        self.user, self.locked = None, False
        self._on_user(None)

    def change_password(self, old: str, new: str) -> None:
        """The logged-in user changes the password; the server ends every session, so the
        window logs out (the user logs in again with the new password)."""
        if self.user is None:
            raise SessionLocked()
        if new != new.strip() or len(new) < 8:
            raise LoginFailed("新密码至少8位")
        self._directory.change_password(self.user.user_id, old, new)
        self.user, self.locked = None, False
        self._on_user(None)

    def touch(self) -> None:
        """Record input from the cashier (keys, mouse, scans)."""
        self._last = self._clock.monotonic()

    def check_idle(self) -> bool:
        """Lock when idle too long; returns True when the window is (now) locked."""
        if self.user and not self.locked and self.idle_seconds > 0:
            if self._clock.monotonic() - self._last >= self.idle_seconds:
                self.locked = True
        return self.locked

    def lock(self) -> None:
        """Lock at once (F12 / leaving the window)."""
        if self.user:
            self.locked = True

    def unlock(self, user_id: str, password: str) -> User:
        """Unlock: the same user, or an admin (who then takes over the window)."""
        if self.user is None:
            raise SessionLocked()
        user = self._directory.authenticate(user_id, password)
        if user.user_id != self.user.user_id and not user.has("admin"):
            raise RoleNotAllowed("只有本人或管理员可以解锁")
        self.user, self.locked = user, False
        self._last = self._clock.monotonic()
        self._on_user(user)  # an admin unlocking takes the window over
        return user

    def require(self, *roles: str) -> User:
        """The current user, checked for the session state and (optionally) roles."""
        if self.user is None or self.locked:
            raise SessionLocked()
        if self.user.must_change:
            raise PasswordChangeNeeded()
        if roles and not self.user.has(*roles, "admin"):
            raise RoleNotAllowed()
        return self.user
