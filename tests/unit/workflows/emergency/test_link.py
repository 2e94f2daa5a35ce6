"""The circuit breaker with ManualClock: outage detection bound, fail-fast, half-open probes,
backoff, recovery by itself, and the link events the GUI observes."""

from __future__ import annotations

import pytest

from billing_core.clock import ManualClock
from workflows.link import CircuitBreaker, LinkEvent, LinkObserver, LinkState

pytestmark = pytest.mark.unit

CONNECT_TIMEOUT = 1.5  # SyncClient's default: each failed connect costs at most this


def test_outage_detected_within_threshold_times_connect_timeout() -> None:
    clock = ManualClock()
    events: list[LinkEvent] = []
    breaker = CircuitBreaker(clock, failure_threshold=2, open_seconds=2.0)
    breaker.events.subscribe(events.append)
    start = clock.monotonic()
    calls = 0
    while breaker.allow():  # every call fails after a full connect timeout (the worst case)
        calls += 1
        clock.advance(CONNECT_TIMEOUT)
        breaker.failure("连接同步服务器超时")
    detected_after = clock.monotonic() - start
    assert calls == 2 and detected_after <= 2 * CONNECT_TIMEOUT  # 3 s: "within a few seconds"
    assert breaker.state is LinkState.OPEN and not breaker.is_up
    assert [e.up for e in events] == [False] and events[0].reason == "连接同步服务器超时"
    assert breaker.down_since == events[0].at


def test_open_breaker_fails_fast_then_probes_with_backoff_and_recovers() -> None:
    clock = ManualClock()
    events: list[LinkEvent] = []
    breaker = CircuitBreaker(clock, failure_threshold=1, open_seconds=2.0, max_open_seconds=5.0)
    breaker.events.subscribe(events.append)
    breaker.failure("refused")
    assert not breaker.allow()  # no network while open
    clock.advance(1.9)
    assert not breaker.allow() and breaker.seconds_to_probe() == pytest.approx(0.1)
    clock.advance(0.1)
    assert breaker.allow()  # the half-open probe
    assert breaker.state is LinkState.HALF_OPEN
    assert not breaker.allow()  # only one probe at a time
    breaker.failure("still refused")
    assert breaker.state is LinkState.OPEN
    clock.advance(3.9)
    assert not breaker.allow()  # the wait doubled to 4 s
    clock.advance(0.1)
    assert breaker.allow()
    breaker.failure("still refused")
    clock.advance(5.0)  # capped at max_open_seconds
    assert breaker.allow()
    breaker.success()
    assert breaker.state is LinkState.CLOSED and breaker.is_up and breaker.down_since is None
    assert [e.up for e in events] == [False, True]  # one down, one up: no flapping events
    breaker.failure("blip")
    assert breaker.state is LinkState.OPEN  # threshold 1
    clock.advance(2.0)  # back to the first wait after a recovery
    assert breaker.allow()


def test_single_failure_below_threshold_keeps_link_up() -> None:
    breaker = CircuitBreaker(ManualClock(), failure_threshold=2)
    breaker.failure("one blip")
    breaker.success()
    breaker.failure("another blip")
    assert breaker.is_up  # consecutive failures only


def test_observer_survives_a_failing_listener_and_unsubscribes() -> None:
    observer = LinkObserver()
    got: list[bool] = []

    def broken(_: LinkEvent) -> None:
        raise RuntimeError("GUI bug")

    observer.subscribe(broken)
    unsubscribe = observer.subscribe(lambda e: got.append(e.up))
    event = LinkEvent(False, ManualClock().now(), "x")
    observer.emit(event)
    unsubscribe()
    observer.emit(event)
    assert got == [False]
