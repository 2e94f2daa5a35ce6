"""``python -m sync_server --processes 2``: two gunicorn workers on one port, on SQLite and on
PostgreSQL. Both serve; 20 concurrent repeats of one busNo spread over both give one bill with
the call log of a single server; a caller added to the database is accepted by every process at
once; a killed worker is restarted (and only one worker runs the outbox worker); killing the
gunicorn master stops the whole group; workers that cannot boot stop gunicorn instead of
restarting for ever (with IT's own ``gunicorn -c python:sync_server.serving.gunicorn_conf``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from ss_rig import (
    ROOT,
    HisClient,
    ServerProcess,
    Simulator,
    assert_call_log,
    children,
    db_config,
    drop_pg_schema,
    free_port,
    load_sample,
    repeat_concurrently,
    running,
)

pytestmark = pytest.mark.integration


class Group:
    """A supervisor and its server processes, as an operator starts them."""

    def __init__(self, work: Path, finance_url: str, procs: int = 2, **cfg: Any) -> None:
        self.work, self.port, self.procs = work, free_port(), procs
        (work / "server.json").write_text(json.dumps({"finance_timeout": 3.0, "worker_interval": 0.1,
                                                      "outbox_max_backoff": 1.0, "reconcile_daily": False,
                                                      **cfg}), encoding="utf-8")
        self.finance_url = finance_url
        self.proc = self.start()
        self.demo = json.loads((work / "server" / "demo.json").read_text(encoding="utf-8"))

    def start(self) -> subprocess.Popen[bytes]:
        proc = ServerProcess(self.work / "server", self.finance_url, "--processes", str(self.procs),
                             port=self.port, config=self.work / "server.json").start().proc
        assert proc is not None
        self.wait_children()
        return proc

    def wait_children(self, timeout: float = 60) -> set[str]:
        """Wait until ``procs`` distinct processes answer /health; their instance ids."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while len(seen) < self.procs:
            assert time.monotonic() < deadline, f"only {seen} answered"
            try:  # a new connection each time: the kernel hands it to whichever process accepts
                seen.add(requests.get(f"http://127.0.0.1:{self.port}/health", timeout=5).json()["instance"])
            except requests.RequestException:
                time.sleep(0.05)
        return seen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/medical-web/api/medical"

    def his(self) -> HisClient:
        c = self.demo["callers"][0]
        return HisClient(self.url, c["appid"], c["key"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Group]]:
    sim = Simulator(tmp_path_factory.mktemp("fin")).start()
    cfg = db_config(request.param)
    group = Group(tmp_path_factory.mktemp("grp"), sim.url, **cfg)
    group.db = cfg  # type: ignore[attr-defined]
    yield sim, group
    group.stop()
    sim.stop()
    if cfg.get("database_schema"):
        drop_pg_schema(cfg["database_schema"])


def test_both_processes_serve_the_port(rig: tuple[Simulator, Group]) -> None:
    _, group = rig
    assert len(children(group.proc.pid)) == 2
    assert len(group.wait_children()) == 2
    bill = load_sample("outpatient.json") | {"busNo": f"MP{uuid.uuid4().hex[:16]}"}
    assert group.his().ok("invoiceEBillOutpatient", bill)["billNo"]


@pytest.mark.parametrize("knob", ["return", "reject"])
def test_twenty_concurrent_repeats_across_processes_give_one_bill(rig: tuple[Simulator, Group], knob: str) -> None:
    sim, group = rig
    bill = load_sample("outpatient.json") | {"busNo": f"MPIDEM{uuid.uuid4().hex[:14]}"}
    # 20 connections: both processes get some
    numbers = repeat_concurrently(sim, [group.his() for _ in range(20)], bill, knob=knob, latency=0.2)
    assert len(numbers) == 1
    assert len(sim.platform_bills(bill["busNo"])) == 1
    assert_call_log(sim, bill["busNo"])


def test_a_new_caller_is_accepted_by_every_process_at_once(rig: tuple[Simulator, Group]) -> None:
    from sync_server.cli.admin import add_caller
    from sync_server.config import load_config
    from sync_server.store.db import make_engine

    _, group = rig
    cfg = load_config({"data_dir": str(group.work / "server"), **group.db})  # type: ignore[attr-defined]
    for _ in range(6):  # both processes load their caller caches (fresh connection each time)
        group.his().ok("invoiceEBillOutpatient",
                       load_sample("outpatient.json") | {"busNo": f"MPW{uuid.uuid4().hex[:16]}"})
    engine = make_engine(cfg.db_url, cfg.database_schema or None)
    new = add_caller(engine, f"HISX{uuid.uuid4().hex[:6]}", "新接入HIS", "his", ["001"])
    engine.dispose()
    answered: set[str] = set()
    for _ in range(20):  # fresh connections, so both processes answer some
        his = HisClient(group.url, new["appid"], new["key"])
        bill = load_sample("outpatient.json") | {"busNo": f"MPNEW{uuid.uuid4().hex[:14]}", "placeCode": "001"}
        his.ok("invoiceEBillOutpatient", bill)
        answered.add(requests.get(f"http://127.0.0.1:{group.port}/health", timeout=5).json()["instance"])
    assert len(answered) == 2


def test_a_killed_process_is_restarted_and_the_supervisor_takes_its_group_down(rig: tuple[Simulator, Group]) -> None:
    _, group = rig
    before = children(group.proc.pid)
    os.kill(before[1], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        now = children(group.proc.pid)
        if len(now) == 2 and before[1] not in now:
            break
        assert time.monotonic() < deadline, now
        time.sleep(0.1)
    group.wait_children()
    bill = load_sample("outpatient.json") | {"busNo": f"MPRS{uuid.uuid4().hex[:16]}"}
    assert group.his().ok("invoiceEBillOutpatient", bill)["billNo"]
    # SIGKILL of the supervisor: the kernel stops its children (PR_SET_PDEATHSIG), the port frees
    kids = children(group.proc.pid)
    group.proc.send_signal(signal.SIGKILL)
    group.proc.wait()
    deadline = time.monotonic() + 30
    while any(running(k) for k in kids):
        assert time.monotonic() < deadline, "children outlived their supervisor"
        time.sleep(0.1)
    group.proc = group.start()  # the same port binds again
    assert group.his().ok("invoiceEBillOutpatient", bill)["billNo"]


def test_a_bad_process_count_is_refused_before_anything_starts(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "sync_server", "--data-dir", str(tmp_path / "d"), "--processes",
                           "0"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "--processes 必须为正整数" in done.stderr
    assert not (tmp_path / "d").exists()


def test_gunicorn_gives_up_on_workers_that_cannot_boot(tmp_path: Path) -> None:
    # IT's own gunicorn command line with the package's config module; the app cannot be imported
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYNC_DATA_DIR=str(tmp_path / "d"), SYNC_PROCESSES="2",
               SYNC_BIND=f"127.0.0.1:{free_port()}")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "python:sync_server.serving.gunicorn_conf",
                           "sync_server.serving.no_such_module:application"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode != 0
    assert time.monotonic() - started < 60
    # the master migrated the database before forking (on_starting), once
    assert (tmp_path / "d" / "sync_server.db").exists()
