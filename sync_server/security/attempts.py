"""Failed signatures and failed logins land in the audit log, rate-limited (issue 14).

An attacker who sends bad envelopes or guesses passwords must be visible in the audit log, but
must not be able to fill the disk with it: per window (a minute by default) at most
``per_key`` rows for one appid or user name and at most ``total`` rows altogether are written.
What was held back is counted and written with the next row of that key (``suppressed``), so
the log still says how many attempts there were. Counters live in memory per server process
and are bounded (``max_keys``): unseen keys past that share one counter.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import Engine

from billing_core.clock import Clock
from sync_server.security.audit import Actor, audit
from sync_server.store.db import write_tx

log = logging.getLogger(__name__)

SIGNATURE_FAILED = "signature_failed"
LOGIN_FAILED = "login_failed"
_OTHER = "\x00other"


class FailureRecorder:
    """Writes one audit row per failed signature or login, within the rate limits."""

    def __init__(self, engine: Engine, clock: Clock, *, per_key: int = 5, total: int = 60,
                 window: float = 60.0, max_keys: int = 10_000) -> None:
        self._engine = engine
        self._clock = clock
        self._per_key = per_key
        self._total = total
        self._window = window
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._written: dict[str, int] = {}
        self._held: dict[str, int] = {}
        self._total_written = 0

    def _admit(self, key: str) -> tuple[bool, int]:
        """(write this one?, attempts held back for this key before it)."""
        with self._lock:
            now = time.monotonic()  # a rate in real seconds, not business time
            if now - self._started >= self._window:
                self._started, self._written, self._total_written = now, {}, 0
            if key not in self._written and key not in self._held and len(self._held) + len(self._written) >= \
                    self._max_keys:
                key = _OTHER
            if self._written.get(key, 0) >= self._per_key or self._total_written >= self._total:
                self._held[key] = self._held.get(key, 0) + 1
                return False, 0
            self._written[key] = self._written.get(key, 0) + 1
            self._total_written += 1
            return True, self._held.pop(key, 0)

    def record(self, action: str, entity: str, entity_id: str, who: Actor, detail: dict[str, Any]) -> bool:
        """Audit one failure (``action`` is SIGNATURE_FAILED or LOGIN_FAILED); False when held
        back by the rate limit. Never raises: a failure to audit must not change the answer."""
        write, held = self._admit(f"{action}|{entity_id}")
        if not write:
            return False
        after = dict(detail) | ({"suppressed": held} if held else {})
        try:
            with write_tx(self._engine) as conn:
                audit(conn, self._clock, who, action, entity, entity_id[:80], None, after)
        except Exception:  # noqa: BLE001 - the refusal is answered whatever happens here
            log.exception("could not audit %s of %s", action, entity_id[:80])
            return False
        return True
