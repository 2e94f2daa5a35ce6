"""Link state to the sync server: a circuit breaker with half-open probes, and its observers.

Why a breaker (issue 7 §4, offline_rules.md §1.1 "Sync stalls"): a cashier must see the outage
within a few seconds and be offered emergency issuing at once, instead of waiting out a 30 s
timeout per bill (Odoo's default). After ``failure_threshold`` consecutive failures the breaker
opens: calls fail fast without touching the network. After ``open_seconds`` it lets one probe
through (half-open); success closes it (link up), failure re-opens it with the wait doubled up to
``max_open_seconds`` (OCA pos_offline's 1 s -> 60 s backoff idea). It only uses the injected
clock's ``monotonic()``, so the detection bound is tested with ManualClock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from billing_core.clock import Clock

log = logging.getLogger(__name__)


class LinkState(Enum):
    """Breaker state: CLOSED = link up, OPEN = link down, HALF_OPEN = one probe in flight."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """The link went down (``up`` False) or came back (``up`` True)."""

    up: bool
    at: datetime
    reason: str


Listener = Callable[[LinkEvent], None]


class LinkObserver:
    """A small observer: GUIs (through qt_common's bridge) and the runtime subscribe to link events.

    Listeners run on the thread that noticed the change, outside any lock; one failing listener
    is logged and does not stop the others.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; returns a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: LinkEvent) -> None:
        """Call every listener with ``event``."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a GUI bug must not break issuing
                log.exception("link listener failed")


class CircuitBreaker:
    """Decides whether a call may go to the network and tracks the link state.

    :param clock: only ``monotonic()`` is read.
    :param failure_threshold: consecutive failures that open the breaker.
    :param open_seconds: first wait before a half-open probe.
    :param max_open_seconds: the wait doubles after each failed probe up to this.
    """

    def __init__(self, clock: Clock, *, failure_threshold: int = 2, open_seconds: float = 2.0,
                 max_open_seconds: float = 30.0, events: LinkObserver | None = None) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be >= 1")
        self.clock = clock
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.max_open_seconds = max_open_seconds
        self.events = events or LinkObserver()
        self._state = LinkState.CLOSED
        self._failures = 0
        self._wait = open_seconds
        self._opened_at = 0.0
        self._lock = threading.Lock()
        self.down_since: datetime | None = None

    @property
    def state(self) -> LinkState:
        """The current state (OPEN turns into 'probe allowed' only through :meth:`allow`)."""
        with self._lock:
            return self._state

    @property
    def is_up(self) -> bool:
        """True unless the breaker is open or probing (what the status bar shows)."""
        return self.state is LinkState.CLOSED

    def seconds_to_probe(self) -> float:
        """Seconds until a half-open probe is allowed (0 when closed or due)."""
        with self._lock:
            if self._state is not LinkState.OPEN:
                return 0.0
            return max(0.0, self._opened_at + self._wait - self.clock.monotonic())

    def allow(self) -> bool:
        """May a call go to the network now? Moves OPEN -> HALF_OPEN when the wait is over
        (that caller is the probe; others keep failing fast until it reports)."""
        with self._lock:
            if self._state is LinkState.CLOSED:
                return True
            if self._state is LinkState.HALF_OPEN:
                return False
            if self.clock.monotonic() - self._opened_at >= self._wait:
                self._state = LinkState.HALF_OPEN
                return True
            return False

    def success(self) -> None:
        """A call reached the server and got a well-formed answer."""
        event = None
        with self._lock:
            was_up = self._state is LinkState.CLOSED
            self._state = LinkState.CLOSED
            self._failures = 0
            self._wait = self.open_seconds
            if not was_up:
                self.down_since = None
                event = LinkEvent(True, self.clock.now(), "服务器连接已恢复")
        if event:
            self.events.emit(event)

    def failure(self, reason: str) -> None:
        """A call failed for a link reason (refused, timeout, dropped, unusable answer)."""
        event = None
        with self._lock:
            if self._state is LinkState.HALF_OPEN:
                self._state = LinkState.OPEN
                self._opened_at = self.clock.monotonic()
                self._wait = min(self._wait * 2, self.max_open_seconds)
                return
            self._failures += 1
            if self._state is LinkState.CLOSED and self._failures >= self.failure_threshold:
                self._state = LinkState.OPEN
                self._opened_at = self.clock.monotonic()
                self._wait = self.open_seconds
                self.down_since = self.clock.now()
                event = LinkEvent(False, self.down_since, reason)
        if event:
            self.events.emit(event)
