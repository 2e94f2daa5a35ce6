"""The configuration the management web pushes to this terminal (issue 19 §1), applied.

The server answers every heartbeat with ``terminalConfig`` (billing_core.terminal_params):
the scene's allowed functions, parameters and upgrade offer, with a version. A new version is
checked with the shared rules before anything changes (a bad one is logged and ignored: the
terminal keeps what it had), stored in the terminal's own store (``kv`` key
:data:`STORE_KEY`), so a terminal started offline applies what it was last told, and handed to
the listeners (the kiosk re-reads its idle timeout, survey and functions). The next heartbeat
reports the version applied (``configVersion``) for the web's terminal pages.

What applies here, Qt-free: the emergency limits (pushed values over the terminal's own
config), the idle timeout, the receipt width and copies, the survey, the allowed functions and
the upgrade offer (shown, never installed by itself).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from billing_core import terminal_params as tp
from offline_store.db import Database
from workflows.emergency.limits import EmergencyLimits

log = logging.getLogger(__name__)

STORE_KEY = "pushed_terminal_config"
#: pushed parameter -> EmergencyLimits field
_LIMITS = {"max_offline_hours": "max_offline_hours", "max_bills": "max_bills", "max_total": "max_total",
           "max_single": "max_single"}


class PushedConfig:
    """The last configuration the server pushed, over the terminal's own settings.

    :param db: the terminal's store (where the pushed configuration is kept).
    :param own_limits: the emergency limits of the terminal's config file (pushed values win).
    """

    def __init__(self, db: Database, own_limits: EmergencyLimits) -> None:
        self._db = db
        self._own = own_limits
        self.listeners: list[Callable[[PushedConfig], None]] = []
        stored = db.get_value(STORE_KEY)
        self.current: dict[str, Any] | None = None
        if stored is not None:
            try:
                self.current = tp.parse_delivery(stored)
            except tp.TerminalParamError as exc:  # a store written by another version: start clean
                log.warning("stored pushed configuration ignored: %s", exc)

    @property
    def version(self) -> int:
        """The applied version (0: nothing pushed yet)."""
        return int(self.current["version"]) if self.current else 0

    @property
    def params(self) -> dict[str, Any]:
        """The pushed parameters ({} when none)."""
        return dict(self.current["params"]) if self.current else {}

    @property
    def functions(self) -> tuple[str, ...] | None:
        """The functions the scene may use (None: nothing pushed, the terminal's own list holds)."""
        return tuple(self.current["functions"]) if self.current else None

    @property
    def upgrade(self) -> dict[str, str]:
        """The upgrade offered ({} when none)."""
        return dict(self.current["upgrade"]) if self.current else {}

    def limits(self) -> EmergencyLimits:
        """The terminal's emergency limits with the pushed values over its own."""
        changes: dict[str, Any] = {}
        for key, field in _LIMITS.items():
            if key in self.params:
                value = self.params[key]
                changes[field] = int(value) if field == "max_bills" else Decimal(str(value))
        return dataclasses.replace(self._own, **changes)

    def idle_seconds(self, own: float) -> float:
        """The kiosk idle timeout: pushed, or the terminal's own."""
        return float(self.params.get("idle_seconds", own))

    def apply(self, raw: Any) -> bool:
        """Apply a heartbeat's ``terminalConfig``; True when a new version was applied. A missing
        one (older server) or the version already applied changes nothing; an invalid one is
        logged and ignored."""
        if raw is None:
            return False
        try:
            parsed = tp.parse_delivery(raw)
        except tp.TerminalParamError as exc:
            log.warning("%s", exc)
            return False
        if self.current is not None and parsed == self.current:
            return False
        self._db.set_value(STORE_KEY, {**parsed, "version": str(parsed["version"])})
        self.current = parsed
        log.info("pushed configuration version %s applied", parsed["version"])
        for listener in list(self.listeners):
            try:
                listener(self)
            except Exception:  # noqa: BLE001 - one broken listener must not stop the others or the heartbeat
                log.exception("a pushed-configuration listener failed")
        return True

    def as_dict(self) -> dict[str, Any]:
        """For the status snapshot and the control socket."""
        return {"version": self.version, "params": self.params, "functions": list(self.functions or []),
                "upgrade": self.upgrade, "limits": self.limits().as_dict()}
