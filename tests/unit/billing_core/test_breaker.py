"""billing_core.breaker with ManualClock: opening, fail-fast, probes (single and shared), the
doubling wait and its cap, and the server's fixed-wait flavour."""

from __future__ import annotations

import pytest

from billing_core.breaker import Breaker, BreakerState
from billing_core.clock import ManualClock

pytestmark = pytest.mark.unit


def test_opens_after_consecutive_failures_only() -> None:
    clock = ManualClock()
    b = Breaker(clock, failure_threshold=3, open_seconds=2.0)
    assert not b.failure() and not b.failure()
    assert b.success() is False  # was closed: not a recovery
    assert not b.failure() and not b.failure()
    assert b.state is BreakerState.CLOSED and b.allow() and not b.is_open()
    assert b.failure()  # the third in a row opens it
    assert b.state is BreakerState.OPEN and not b.is_up and b.is_open()
    assert b.down_since == clock.now()
    assert not b.allow() and b.seconds_to_probe() == pytest.approx(2.0)


def test_single_probe_doubles_the_wait_up_to_the_cap_and_recovers() -> None:
    clock = ManualClock()
    b = Breaker(clock, failure_threshold=1, open_seconds=1.0, max_open_seconds=3.0)
    assert b.failure()
    clock.advance(0.99)
    assert not b.allow()
    clock.advance(0.01)
    assert not b.is_open() and b.allow() and b.state is BreakerState.HALF_OPEN
    assert not b.allow()  # one probe at a time
    assert not b.failure()  # a failed probe re-opens, it is not a new "went down"
    clock.advance(1.99)
    assert not b.allow()  # waits 2 s now
    clock.advance(0.01)
    assert b.allow()
    b.failure()
    clock.advance(2.99)
    assert not b.allow()  # 4 s capped to 3 s
    clock.advance(0.01)
    assert b.allow()
    assert b.success()  # the probe's success closes it: a recovery
    assert b.state is BreakerState.CLOSED and b.down_since is None
    b.failure()
    clock.advance(1.0)  # back to the first wait
    assert b.allow()


def test_shared_probe_fixed_wait_is_the_servers_flavour() -> None:
    """Server towards the platform: after the wait every caller tries; a refusal re-opens for the
    same fixed wait."""
    clock = ManualClock()
    b = Breaker(clock, failure_threshold=3, open_seconds=2.0, single_probe=False)
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.is_open() and not b.allow()
    clock.advance(2.0)
    assert not b.is_open()
    assert b.allow() and b.allow()  # half-open: nobody is held back
    b.failure()
    assert b.is_open() and b.seconds_to_probe() == pytest.approx(2.0)  # not doubled
    clock.advance(2.0)
    assert b.allow()
    b.success()
    assert b.allow() and b.is_up


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Breaker(ManualClock(), failure_threshold=0)
