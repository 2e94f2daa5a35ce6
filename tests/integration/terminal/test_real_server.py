"""The terminal workflow against the real sync server and finance simulator processes: the parts
of the wire contract the server serves today (register, catalog, emergencyStock, online issuing
through /medical-web/api/medical), then an outage (the server process stopped) during which the
terminal issues from the block the server handed out, and the link coming back by itself.

The emergency upload (``uploadEmergencyBills``) and ``emergencyStockReturn`` are the server
side's part of docs/EMERGENCY.md and are tested against the stand-in until the server serves them.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_core.clock import SystemClock
from offline_store import stock
from offline_store.db import Database
from tests.integration.terminal.helpers import METHOD, ROOT, outpatient
from tests.rigs.stack import ServerProcess
from workflows.emergency.chain import BillSigner
from workflows.issuing import Identity, IssuingWorkflow
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"port {port} did not open")


class Proc:
    """A child process on a known port, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, args: list[str], port: int, log: Path) -> None:
        self.args, self.port, self.log = args, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DATABASE_URL", None)
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _wait_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict]]:
    base = tmp_path_factory.mktemp("real_server")
    fin_port, srv_port = _free_port(), _free_port()
    sim = Proc([sys.executable, "-m", "simulators.finance", "--port", str(fin_port), "--data-dir",
                str(base / "fin")], fin_port, base / "fin.log").start()
    srv = ServerProcess(base / "srv", f"http://127.0.0.1:{fin_port}/medical-web/api/medical", "--worker", "none",
                        port=srv_port, log=base / "srv.log").start()
    demo = json.loads((base / "srv" / "demo.json").read_text(encoding="utf-8"))
    try:
        yield srv, demo
    finally:
        srv.stop()
        sim.stop()


def test_terminal_against_the_real_sync_server(real, tmp_path: Path, terminal_key) -> None:  # type: ignore[no-untyped-def]
    srv, demo = real
    caller = next(c for c in demo["callers"] if c["kind"] == "terminal" and "001" in c["placeCodes"])
    db = Database(tmp_path / "terminal.db")
    sync = SyncClient(f"http://127.0.0.1:{srv.port}", caller["appid"], caller["key"], connect_timeout=1,
                      read_timeout=30, failure_threshold=1, open_seconds=0.2, max_open_seconds=0.5)
    cashier = next(u for u in demo["users"] if u["role"] == "cashier")  # the server requires a session
    sync.use_account(cashier["username"], cashier["password"])
    wf = IssuingWorkflow(sync, db, None, SystemClock(), Identity(caller["appid"], "001", "测试医院"),
                         BillSigner(terminal_key))
    try:
        assert wf.register_key()
        counts = wf.refresh_catalog()
        assert counts.get("place", 0) >= 1 and counts.get("pay_channel", 0) >= 1
        block = wf.request_stock(5, "cashier01")
        assert block.end_no - block.bgn_no == 4
        online = wf.issue(METHOD, outpatient(f"REAL-{time.time_ns()}"))
        assert online.mode == "online" and online.bill_no and len(online.random) == 6
        # The emergency block is disjoint from the online series.
        assert not (online.bill_batch_code == block.bill_batch_code
                    and block.bgn_no <= int(online.bill_no) <= block.end_no)

        srv.stop()
        emergency = wf.issue(METHOD, outpatient(f"REAL-EM-{time.time_ns()}"))
        assert emergency.mode == "emergency" and not emergency.in_doubt
        assert (emergency.bill_batch_code, emergency.bill_no) == (block.bill_batch_code, block.number(block.bgn_no))
        assert stock.remaining(db) == 4 and not wf.status().link_up
        assert wf.status().pending_uploads == 1

        srv.start()
        deadline = time.monotonic() + 30
        while not sync.probe():
            assert time.monotonic() < deadline, "link did not come back"
            time.sleep(0.2)
        assert wf.status().link_up
    finally:
        db.close()
