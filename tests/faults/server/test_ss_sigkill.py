"""Crashes: SIGKILL the sync server at random points under load, 20+ times, with platform
outages in between; after each restart the invariants hold — no request answered S0000 is lost,
no busNo has two bills (server or platform) — and at the end the outbox drains and the platform
holds every answered bill once, with the number the HIS was given."""

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

from kill_rig import drain_and_verify, his_load, kill_under_load, start_server, write_config  # noqa: E402
from ss_rig import Simulator, free_port  # noqa: E402

pytestmark = pytest.mark.faults

KILLS = 20


def test_sigkill_under_load(tmp_path: Path) -> None:
    sim = Simulator(tmp_path / "finance").start()
    data = tmp_path / "server"
    write_config(tmp_path)
    port = free_port()
    proc = start_server(port, data, sim.url)
    load = his_load(port, data)
    time.sleep(1.0)  # emergency stock reserved while the platform is up
    rng = random.Random(int(os.environ.get("SS_KILL_SEED", "4")))
    load.start()

    def kill_and_restart() -> None:
        nonlocal proc
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc = start_server(port, data, sim.url)

    try:
        kill_under_load(sim, load, data / "sync_server.db", rng, kill_and_restart, kills=KILLS)
        time.sleep(1.0)
        load.finish()
        drain_and_verify(port, data / "sync_server.db", sim, load.answered)
    finally:
        load.stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        sim.stop()
