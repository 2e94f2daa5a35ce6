"""Crashes: SIGKILL the sync server at random points under load, 20+ times, with platform
outages in between; after each restart the invariants hold — no request answered S0000 is lost,
no busNo has two bills (server or platform) — and at the end the outbox drains and the platform
holds every answered bill once, with the number the HIS was given."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "server"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kill_rig import Load, check, drain_and_verify  # noqa: E402
from ss_rig import ROOT, Simulator, free_port, wait_port  # noqa: E402

pytestmark = pytest.mark.faults

KILLS = 20


def _server(port: int, data: Path, finance_url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "sync_server", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(data), "--finance-url", finance_url, "--config",
                             str(data.parent / "server.json")], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc, timeout=60)
    return proc


def test_sigkill_under_load(tmp_path: Path) -> None:
    sim = Simulator(tmp_path / "finance").start()
    data = tmp_path / "server"
    (tmp_path / "server.json").write_text(json.dumps({
        "finance_timeout": 2.0, "worker_interval": 0.1, "outbox_max_backoff": 1.0, "reconcile_daily": False,
        "emergency_block_size": 500, "emergency_low_water": 100}), encoding="utf-8")
    port = free_port()
    proc = _server(port, data, sim.url)
    demo = json.loads((data / "demo.json").read_text(encoding="utf-8"))
    caller = demo["callers"][0]
    load = Load(f"http://127.0.0.1:{port}/medical-web/api/medical", caller["appid"], caller["key"])
    time.sleep(1.0)  # emergency stock reserved while the platform is up
    rng = random.Random(int(os.environ.get("SS_KILL_SEED", "4")))
    load.start()
    try:
        for cycle in range(KILLS):
            platform_down = cycle % 4 == 2
            if platform_down:
                sim.stop()
            time.sleep(rng.uniform(0.2, 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if platform_down:
                sim.start()
            with load.lock:
                snapshot = dict(load.answered)
            check(data / "sync_server.db", sim, snapshot)
            proc = _server(port, data, sim.url)
        time.sleep(1.0)
        load.finish()
        drain_and_verify(port, data / "sync_server.db", sim, load.answered)
    finally:
        load.stop.set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
        sim.stop()
