"""Link state to the sync server: a circuit breaker with half-open probes, and its observers.

Why a breaker (issue 7 §4, offline_rules.md §1.1 "Sync stalls"): a cashier must see the outage
within a few seconds and be offered emergency issuing at once, instead of waiting out a 30 s
timeout per bill (Odoo's default). After ``failure_threshold`` consecutive failures the breaker
opens: calls fail fast without touching the network. After ``open_seconds`` it lets one probe
through (half-open); success closes it (link up), failure re-opens it with the wait doubled up to
``max_open_seconds`` (OCA pos_offline's 1 s -> 60 s backoff idea). It only uses the injected
clock's ``monotonic()``, so the detection bound is tested with ManualClock. The mechanics are
billing_core.breaker's (the server's breaker towards the platform is the same class).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from billing_core.breaker import Breaker, BreakerState
from billing_core.clock import Clock

log = logging.getLogger(__name__)


#: Breaker state: CLOSED = link up, OPEN = link down, HALF_OPEN = one probe in flight.
LinkState = BreakerState


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


class CircuitBreaker(Breaker):
    """The terminal's breaker (billing_core.breaker, one probe at a time, doubling wait) plus the
    link events its observers get.

    :param clock: only ``monotonic()`` (timing) and ``now()`` (event times) are read.
    :param failure_threshold: consecutive failures that open the breaker.
    :param open_seconds: first wait before a half-open probe.
    :param max_open_seconds: the wait doubles after each failed probe up to this.
    """

    def __init__(self, clock: Clock, *, failure_threshold: int = 2, open_seconds: float = 2.0,
                 max_open_seconds: float = 30.0, events: LinkObserver | None = None) -> None:
        super().__init__(clock, failure_threshold=failure_threshold, open_seconds=open_seconds,
                         max_open_seconds=max_open_seconds, single_probe=True)
        self.events = events or LinkObserver()

    def success(self) -> bool:
        """A call reached the server and got a well-formed answer."""
        came_back = super().success()
        if came_back:  # emitted outside the breaker's lock: listeners may call back into it
            self.events.emit(LinkEvent(True, self.clock.now(), "服务器连接已恢复"))
        return came_back

    def failure(self, reason: str = "") -> bool:
        """A call failed for a link reason (refused, timeout, dropped, unusable answer)."""
        went_down = super().failure()
        if went_down:
            self.events.emit(LinkEvent(False, self.down_since or self.clock.now(), reason))
        return went_down
