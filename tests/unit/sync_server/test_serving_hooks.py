"""gunicorn hooks (sync_server.serving.hooks): each new worker gets the lowest slot no live worker
holds, so exactly one live worker — slot 0 — runs the outbox worker thread, also after restarts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sync_server.serving import hooks

pytestmark = pytest.mark.unit


def _spawn(workers: dict[int, SimpleNamespace], pid: int) -> SimpleNamespace:
    worker = SimpleNamespace()
    hooks.pre_fork(SimpleNamespace(WORKERS=workers), worker)
    workers[pid] = worker
    return worker


def test_slots_are_the_lowest_free_and_reused_after_a_death() -> None:
    workers: dict[int, SimpleNamespace] = {}
    assert [_spawn(workers, pid).sync_slot for pid in (101, 102, 103)] == [0, 1, 2]
    del workers[101]  # the slot-0 worker died: its replacement takes slot 0 (and the outbox worker)
    assert _spawn(workers, 104).sync_slot == 0
    del workers[103]
    assert _spawn(workers, 105).sync_slot == 2
    assert sorted(w.sync_slot for w in workers.values()) == [0, 1, 2]


def test_only_slot_zero_keeps_the_outbox_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(hooks.SLOT_ENV, "0")
    assert hooks.slot_overrides("thread") == {"worker": "thread"}
    assert hooks.slot_overrides("none") == {"worker": "none"}  # --worker none: nobody runs it
    monkeypatch.setenv(hooks.SLOT_ENV, "1")
    assert hooks.slot_overrides("thread") == {"worker": "none"}


def test_settings_are_gthread_workers_behind_the_local_proxy() -> None:
    got = hooks.settings("127.0.0.1:8080", 2, 8)
    assert got["workers"] == 2 and got["worker_class"] == "gthread" and got["threads"] == 8
    assert got["bind"] == ["127.0.0.1:8080"] and got["preload_app"] is False
    assert got["graceful_timeout"] <= 10  # ServerContext.close() joins within the 10 s before SIGKILL
