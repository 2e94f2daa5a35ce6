"""One circuit breaker for every link to another system (terminal -> sync server, server -> platform).

Pure and clock-injected: it reads only ``clock.monotonic()`` (timing) and ``clock.now()`` (the
moment a link went down), so its bounds are tested with :class:`~billing_core.clock.ManualClock`.

After ``failure_threshold`` consecutive failures the breaker opens: :meth:`Breaker.allow` answers
False (the caller fails fast, nothing goes to the network). After the open wait a probe is let
through (half-open): a success closes the breaker, a failure re-opens it with the wait doubled up
to ``max_open_seconds``. What counts as a failure is the caller's choice: the terminal counts
every link failure, the sync server only refusals to connect (a request that was certainly not
sent), never an in-doubt one (sync_server.connectors.policy).

``single_probe`` decides who may call while half-open: only the probe (the terminal: one cashier
request tests the link while the others keep issuing in emergency mode), or everybody until the
first answer (the server: its HIS requests are independent and each falls back on its own).
"""

from __future__ import annotations

import threading
from datetime import datetime
from enum import Enum

from billing_core.clock import Clock


class BreakerState(Enum):
    """CLOSED = link up, OPEN = link down (fail fast), HALF_OPEN = probing."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker:
    """Decides whether a call may go to the network; thread-safe.

    :param clock: ``monotonic()`` times the open wait, ``now()`` stamps :attr:`down_since`.
    :param failure_threshold: consecutive failures that open the breaker.
    :param open_seconds: first wait before a probe.
    :param max_open_seconds: the wait doubles after each failed probe up to this (default
        ``open_seconds``: a fixed wait).
    :param single_probe: while half-open, only the probe may call (True) or everybody (False).
    """

    def __init__(self, clock: Clock, *, failure_threshold: int = 2, open_seconds: float = 2.0,
                 max_open_seconds: float | None = None, single_probe: bool = True) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.clock = clock
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.max_open_seconds = open_seconds if max_open_seconds is None else max_open_seconds
        self.single_probe = single_probe
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._wait = open_seconds
        self._opened_at = 0.0
        self._lock = threading.Lock()
        #: When the link went down (None while up).
        self.down_since: datetime | None = None

    @property
    def state(self) -> BreakerState:
        """The current state (OPEN turns into HALF_OPEN only through :meth:`allow`)."""
        with self._lock:
            return self._state

    @property
    def is_up(self) -> bool:
        """True unless the breaker is open or probing."""
        return self.state is BreakerState.CLOSED

    def is_open(self) -> bool:
        """True while calls are short-circuited: open and the wait not over yet."""
        with self._lock:
            return self._state is BreakerState.OPEN and self.clock.monotonic() - self._opened_at < self._wait

    def seconds_to_probe(self) -> float:
        """Seconds until a probe is allowed (0 when closed, probing or due)."""
        with self._lock:
            if self._state is not BreakerState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self._wait - self.clock.monotonic())

    def allow(self) -> bool:
        """May a call go to the network now? Moves OPEN -> HALF_OPEN when the wait is over
        (that caller is the probe)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN:
                return not self.single_probe
            if self.clock.monotonic() - self._opened_at >= self._wait:
                self._state = BreakerState.HALF_OPEN
                return True
            return False

    def success(self) -> bool:
        """A call reached the other side; True when this closed a breaker that was not closed."""
        with self._lock:
            was_up = self._state is BreakerState.CLOSED
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._wait = self.open_seconds
            if not was_up:
                self.down_since = None
            return not was_up

    def failure(self) -> bool:
        """A call failed for a link reason; True when this opened a closed breaker (link went down)."""
        with self._lock:
            if self._state is BreakerState.HALF_OPEN:
                self._state = BreakerState.OPEN
                self._opened_at = self.clock.monotonic()
                self._wait = min(self._wait * 2, self.max_open_seconds)
                return False
            self._failures += 1
            if self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self.clock.monotonic()
                self._wait = self.open_seconds
                self.down_since = self.clock.now()
                return True
            return False
