"""Shared by the server kill tests: HIS load that retries unanswered busNos, and the invariants
checked after every kill (no answered bill lost, no busNo with two bills on server or platform)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration" / "server"))

from ss_rig import HisClient, ServerProcess, Simulator, load_sample  # noqa: E402


class Load:
    """HIS clients issuing continuously; an unanswered busNo is retried (as a real HIS does)."""

    def __init__(self, url: str, appid: str, key: str, threads: int = 6) -> None:
        self.url, self.appid, self.key = url, appid, key
        self.answered: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]
        self.bill = load_sample("outpatient.json")

    def _run(self, n: int) -> None:
        his = HisClient(self.url, self.appid, self.key)
        seq = 0
        bus = None
        while not self.stop.is_set():
            if bus is None:
                seq += 1
                bus = f"K{n}x{seq:05d}x{random.randrange(10**6):06d}"
            try:
                result, msg = his.call("invoiceEBillOutpatient", dict(self.bill, busNo=bus))
            except (requests.RequestException, ValueError, Exception):  # noqa: B014 - server killed mid-call
                time.sleep(0.05)
                continue
            if result == "S0000":
                with self.lock:
                    prev = self.answered.get(bus)
                    now = (msg["billBatchCode"], msg["billNo"])
                    assert prev is None or prev == now, f"{bus}: answered {prev} then {now}"
                    self.answered[bus] = now
                bus = None
            else:
                time.sleep(0.05)  # E5024 busy, E5030 no stock ...: retry the same busNo

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def snapshot(self) -> dict[str, tuple[str, str]]:
        """The busNos answered S0000 so far, with their numbers."""
        with self.lock:
            return dict(self.answered)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)


def server_bills(db: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute("SELECT bus_no, state, bill_batch_code, bill_no FROM bills").fetchall()


def check(db: Path, sim: Simulator, answered: dict[str, tuple[str, str]]) -> None:
    rows = server_bills(db)
    live: dict[str, list[tuple[str, str]]] = {}
    voided: set[tuple[str, str]] = set()
    for bus, state, code, no in rows:
        if state == "issued":
            live.setdefault(bus, []).append((code, no))
        elif state == "void":
            voided.add((code, no))
    dupes = {b: v for b, v in live.items() if len(v) > 1}
    assert not dupes, f"busNo with two bills on the server: {dupes}"
    for bus, number in answered.items():
        # answered S0000 => still recorded (or voided by a reported carry-forward conflict)
        assert live.get(bus) == [number] or number in voided, f"lost answered bill {bus} {number}"
    with sqlite3.connect(sim.data_dir / "finance.sqlite3", timeout=30) as conn:
        twice = conn.execute("SELECT bus_no FROM bills WHERE doc = 'bill' AND kind = 'blue' GROUP BY bus_no"
                             " HAVING COUNT(*) > 1").fetchall()
    assert not twice, f"busNo with two bills on the platform: {twice}"


def drain_and_verify(port: int, db: Path, sim: Simulator, answered: dict[str, tuple[str, str]],
                     timeout: float = 90) -> None:
    """After the last kill: the outbox drains and no claim stays pending; then every answered
    bill is on the platform once, with the number the HIS was given (or voided by a reported
    carry-forward conflict)."""
    deadline = time.monotonic() + timeout
    while True:
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
        with sqlite3.connect(db, timeout=30) as conn:
            pending = conn.execute("SELECT COUNT(*) FROM bills WHERE state = 'pending'").fetchone()[0]
        if health["outbox"].get("pending", 0) == 0 and pending == 0:
            break
        assert time.monotonic() < deadline, (health, pending)
        time.sleep(0.2)
    check(db, sim, answered)
    assert len(answered) > 50
    with sqlite3.connect(sim.data_dir / "finance.sqlite3", timeout=30) as conn:
        platform = {r[0]: (r[1], r[2]) for r in conn.execute(
            "SELECT bus_no, bill_batch_code, bill_no FROM bills WHERE doc = 'bill' AND kind = 'blue'")}
    voided = {(r[2], r[3]) for r in server_bills(db) if r[1] == "void"}
    for bus, number in answered.items():
        assert platform.get(bus) == number or number in voided, (bus, number, platform.get(bus))


def write_config(work: Path) -> Path:
    """The server config of the kill tests (short timeouts, small emergency blocks)."""
    path = work / "server.json"
    path.write_text(json.dumps({
        "finance_timeout": 2.0, "worker_interval": 0.1, "outbox_max_backoff": 1.0, "reconcile_daily": False,
        "emergency_block_size": 500, "emergency_low_water": 100}), encoding="utf-8")
    return path


def start_server(port: int, data: Path, finance_url: str, *extra: str) -> subprocess.Popen[bytes]:
    """``python -m sync_server`` on ``port`` with the config of :func:`write_config` beside ``data``."""
    proc = ServerProcess(data, finance_url, *extra, port=port, config=data.parent / "server.json").start().proc
    assert proc is not None
    return proc


def his_load(port: int, data: Path, threads: int = 6) -> Load:
    """HIS load on the server of ``data`` (its demo HIS caller), not started yet."""
    caller = json.loads((data / "demo.json").read_text(encoding="utf-8"))["callers"][0]
    return Load(f"http://127.0.0.1:{port}/medical-web/api/medical", caller["appid"], caller["key"], threads=threads)


def kill_under_load(sim: Simulator, load: Load, db: Path, rng: random.Random, kill: Callable[[], None], *,
                    kills: int = 20, max_gap: float = 1.2) -> None:
    """``kills`` times: wait a random moment, ``kill()`` (every fourth time with the platform
    down around it), then check the invariants against what the HIS was answered so far."""
    for cycle in range(kills):
        platform_down = cycle % 4 == 2
        if platform_down:
            sim.stop()
        time.sleep(rng.uniform(0.2, max_gap))
        kill()
        if platform_down:
            sim.start()
        check(db, sim, load.snapshot())
