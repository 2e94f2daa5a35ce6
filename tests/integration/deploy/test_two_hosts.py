"""Two server hosts (two gunicorn instances on different ports, issue 19 §2) on one PostgreSQL
database; HIS clients spread over both with the terminal client's failover URL list; one host
SIGKILLed (master and workers) mid-load. Afterwards: no busNo answered S0000 is lost, no busNo
has two bills on the server or on the platform, and every answered bill is on the platform once,
with the number its client was given. Under 90 s."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.rigs.stack import ROOT, ServerProcess, Simulator, db_config, drop_pg_schema
from workflows.errors import LinkError
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.faults

SAMPLE = json.loads((ROOT / "tests" / "fixtures" / "requests" / "outpatient.json").read_text(encoding="utf-8"))


class SpreadLoad:
    """``threads`` HIS clients, half preferring host A and half host B (each lists both); a busNo
    not answered S0000 is sent again until it is (as an HIS does after a lost answer)."""

    def __init__(self, urls: list[str], appid: str, key: str, threads: int = 8) -> None:
        self.answered: dict[str, tuple[str, str]] = {}
        self.by_host: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.clients = [SyncClient(urls if n % 2 == 0 else urls[::-1], appid, key, failure_threshold=3,
                                   open_seconds=0.2, max_open_seconds=0.5, read_timeout=15)
                        for n in range(threads)]
        self.threads = [threading.Thread(target=self._run, args=(n,), name=f"two-hosts-load-{n}")
                        for n in range(threads)]

    def _run(self, n: int) -> None:
        client, seq = self.clients[n], 0
        give_up = float("inf")
        while True:
            if self.stop.is_set() and give_up == float("inf"):
                give_up = time.monotonic() + 30  # finish the busNo in hand, then stop
            seq += 1
            bus = f"TH{n}x{seq:05d}x{random.randrange(10**6):06d}"
            while True:
                try:
                    answer = client.his("invoiceEBillOutpatient", dict(SAMPLE, busNo=bus))
                except LinkError:
                    answer = None
                if answer is not None and answer.ok:
                    msg = answer.payload()
                    with self.lock:
                        prev = self.answered.get(bus)
                        now = (msg["billBatchCode"], msg["billNo"])
                        assert prev is None or prev == now, f"{bus}: answered {prev} then {now}"
                        self.answered[bus] = now
                        self.by_host[client.base_url] = self.by_host.get(client.base_url, 0) + 1
                    break
                if time.monotonic() > give_up:
                    return
                time.sleep(0.05)  # link down, E5024 busy ...: the same busNo again
            if self.stop.is_set():
                return

    def __enter__(self) -> SpreadLoad:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def snapshot(self) -> dict[str, tuple[str, str]]:
        with self.lock:
            return dict(self.answered)


class Host:
    """One server host: gunicorn (one worker) on its own port and data dir, the shared database."""

    def __init__(self, data: Path, finance_url: str, config: Path) -> None:
        self.server = ServerProcess(data, finance_url, "--server", "gunicorn", "--processes", "1", config=config)

    def crash(self) -> None:
        """SIGKILL the gunicorn master and its worker at once (the host loses power)."""
        proc = self.server.proc
        assert proc is not None
        kids = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert kids, "gunicorn has no worker"
        for pid in [*kids, proc.pid]:
            os.kill(pid, signal.SIGKILL)
        proc.wait(15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
def two_hosts(tmp_path: Path) -> Iterator[tuple[Simulator, Host, Host, Engine]]:
    from sync_server.store.db import make_engine

    sim = Simulator(tmp_path / "fin").start()
    db = db_config("postgresql")
    config = tmp_path / "server.json"
    config.write_text(json.dumps({"finance_timeout": 2.0, "worker_interval": 0.1, "outbox_max_backoff": 1.0,
                                  "reconcile_daily": False, "emergency_block_size": 500,
                                  "emergency_low_water": 100, **db}), encoding="utf-8")
    a = Host(tmp_path / "a", sim.url, config)
    a.server.start()
    # the second host shares the database and the first host's keys (docs/OPERATIONS.md "Two hosts")
    (tmp_path / "b" / "keys").mkdir(parents=True)
    os.chmod(tmp_path / "b", 0o700)
    for name in ("keys/data.key", "server_sm2.json", "demo.json"):
        shutil.copy2(tmp_path / "a" / name, tmp_path / "b" / name)
    b = Host(tmp_path / "b", sim.url, config)
    b.server.start()
    engine = make_engine(db["database_url"], db["database_schema"])
    try:
        yield sim, a, b, engine
    finally:
        engine.dispose()
        a.server.stop()
        b.server.stop()
        sim.stop()
        drop_pg_schema(db["database_schema"])


def _server_bills(engine: Engine) -> list[tuple[str, str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT bus_no, state, bill_batch_code, bill_no FROM bills"))]


def _check(engine: Engine, sim: Simulator, answered: dict[str, tuple[str, str]], *, drained: bool) -> None:
    live: dict[str, list[tuple[str, str]]] = {}
    voided: set[tuple[str, str]] = set()
    for bus, state, code, no in _server_bills(engine):
        if state == "issued":
            live.setdefault(bus, []).append((code, no))
        elif state == "void":
            voided.add((code, no))
    assert not {b: v for b, v in live.items() if len(v) > 1}, "a busNo with two bills on the server"
    lost = {b: n for b, n in answered.items() if live.get(b) != [n] and n not in voided}
    assert not lost, f"answered bills lost on the server: {lost}"
    with sqlite3.connect(sim.data_dir / "finance.sqlite3", timeout=30) as conn:
        rows = conn.execute("SELECT bus_no, bill_batch_code, bill_no FROM bills WHERE doc = 'bill'"
                            " AND kind = 'blue'").fetchall()
    platform: dict[str, list[tuple[str, str]]] = {}
    for bus, code, no in rows:
        platform.setdefault(bus, []).append((code, no))
    assert not {b: v for b, v in platform.items() if len(v) > 1}, "a busNo with two bills on the platform"
    if drained:
        missing = {b: n for b, n in answered.items() if platform.get(b) != [n] and n not in voided}
        assert not missing, f"answered bills not on the platform with their number: {missing}"


def test_one_host_killed_under_load_loses_and_duplicates_nothing(
        two_hosts: tuple[Simulator, Host, Host, Engine]) -> None:
    sim, a, b, engine = two_hosts
    started = time.monotonic()
    caller = a.server.demo["callers"][0]
    with SpreadLoad([a.url, b.url], caller["appid"], caller["key"]) as load:
        time.sleep(4)
        assert len(load.snapshot()) > 10
        a.crash()
        at_kill = len(load.snapshot())
        time.sleep(4)
    answered = load.answered
    assert len(answered) > at_kill + 10, "host B kept serving after host A died"
    assert load.by_host.get(b.url, 0) > 0 and load.by_host.get(a.url, 0) > 0, load.by_host
    _check(engine, sim, answered, drained=False)
    # host B's worker delivers what is queued and resolves the dead host's claims
    deadline = time.monotonic() + 40
    while True:
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM bills WHERE state = 'pending'")).scalar()
            queued = conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar()
        if not pending and not queued:
            break
        assert time.monotonic() < deadline, f"{pending} claims pending, {queued} outbox items pending"
        time.sleep(0.2)
    _check(engine, sim, answered, drained=True)
    assert time.monotonic() - started < 90
