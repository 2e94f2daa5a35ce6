"""Crashes with several server processes on one port (``--processes 2``): SIGKILL one of them at
random points under load, 20 times, with platform outages in between, while its sibling keeps
serving and the supervisor restarts it; then SIGKILL the supervisor itself. After each kill the
invariants hold — no request answered S0000 is lost, no busNo has two bills on the server or the
platform — and at the end the outbox drains and the platform holds every answered bill once.

A killed process leaves pending claims behind; its sibling must take those over (lookup first)
at once, but must never take over a claim of the *live* sibling, which the HIS retries of
``Load`` constantly provoke: a retry lands on whichever process accepts its new connection."""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kill_rig import check, drain_and_verify, his_load, kill_under_load, start_server, write_config  # noqa: E402
from ss_rig import Simulator, children, free_port, running  # noqa: E402

pytestmark = pytest.mark.faults

KILLS = 20


def _children(pid: int, count: int = 2, timeout: float = 60) -> list[int]:
    """The supervisor's ``count`` children, once it has them all (restarts included)."""
    deadline = time.monotonic() + timeout
    while len(kids := children(pid)) != count:
        assert time.monotonic() < deadline, f"supervisor has children {kids}"
        time.sleep(0.05)
    return kids


def test_sigkill_of_one_process_under_load(tmp_path: Path) -> None:
    sim = Simulator(tmp_path / "finance").start()
    data = tmp_path / "server"
    write_config(tmp_path)
    port = free_port()
    proc = start_server(port, data, sim.url, "--processes", "2")
    # new connections after every failure: retries of one busNo land on either process
    load = his_load(port, data, threads=8)
    time.sleep(1.5)  # emergency stock reserved while the platform is up
    rng = random.Random(int(os.environ.get("SS_KILL_SEED", "7")))
    load.start()

    def kill_one() -> None:
        victim = rng.choice(_children(proc.pid))  # the worker's process (slot 0) too
        os.kill(victim, signal.SIGKILL)
        while victim in _children(proc.pid):
            time.sleep(0.05)
        _children(proc.pid)  # restarted

    try:
        kill_under_load(sim, load, data / "sync_server.db", rng, kill_one, kills=KILLS, max_gap=1.0)
        # the whole group at once: the kernel takes the children down with the supervisor
        kids = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 30
        while any(running(k) for k in kids):
            assert time.monotonic() < deadline, "server processes outlived their supervisor"
            time.sleep(0.05)
        check(data / "sync_server.db", sim, load.snapshot())
        proc = start_server(port, data, sim.url, "--processes", "2")
        time.sleep(1.0)
        load.finish()
        drain_and_verify(port, data / "sync_server.db", sim, load.answered)
    finally:
        load.stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        sim.stop()
