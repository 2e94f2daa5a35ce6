"""sync_server.threads.ThreadOwner: one thread per name, shutdown sets stop and wake, joins every
thread, refuses new ones, and names the ones that outlived the timeout."""

from __future__ import annotations

import threading

import pytest

from sync_server.threads import ThreadOwner

pytestmark = pytest.mark.unit


def test_one_thread_per_name_and_shutdown_joins_them_all() -> None:
    stop, wake = threading.Event(), threading.Event()
    owner = ThreadOwner(stop, wake)
    release = threading.Event()
    first = owner.start("loop", stop.wait)
    assert first is not None and first.name == "loop" and first.daemon
    assert owner.start("loop", stop.wait) is None  # still running: not started twice
    assert owner.running("loop")
    done = owner.start("once", release.wait)
    assert done is not None
    release.set()
    done.join(5)
    again = owner.start("once", lambda: None)  # finished: the name may run again
    assert again is not None
    again.join(5)
    sleeper = owner.start("sleeper", lambda: wake.wait(30))
    assert sleeper is not None
    assert owner.shutdown(timeout=5) == []
    assert stop.is_set() and wake.is_set()
    assert not any(t.is_alive() for t in (first, sleeper)) and owner.alive() == []
    assert owner.start("late", lambda: None) is None  # shutting down: nothing new starts


def test_shutdown_names_a_thread_that_ignores_stop() -> None:
    owner = ThreadOwner(threading.Event())
    stuck = threading.Event()
    t = owner.start("stuck", stuck.wait)
    assert t is not None
    try:
        assert owner.shutdown(timeout=0.2) == ["stuck"]
    finally:
        stuck.set()
        t.join(5)
    assert owner.shutdown(timeout=1) == []  # idempotent
