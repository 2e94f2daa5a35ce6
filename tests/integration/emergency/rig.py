"""Real processes for the server side of emergency mode: ``python -m simulators.finance`` and
``python -m sync_server`` on free 127.0.0.1 ports, and in-process terminals (the Qt-free
``workflows.issuing.IssuingWorkflow``, each with its own offline store and registered SM2 key).

Used by tests/integration/emergency, tests/faults/emergency, tests/e2e and bench/carry_forward.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from billing_core.clock import SystemClock
from billing_core.crypto import SM2PrivateKey
from offline_store.db import Database
from sync_server.connectors.finance import FinanceClient
from tests.rigs.stack import ServerProcess
from workflows.emergency.chain import BillSigner
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import Identity, IssuingWorkflow
from workflows.sync_client import SyncClient

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "requests" / "outpatient.json"
METHOD = "invoiceEBillOutpatient"
DEMO_APPID, DEMO_KEY = "DEMOHOSP01", "demo-finance-key-2026"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        assert time.monotonic() < deadline, f"{what} not reached in {timeout}s"
        time.sleep(0.05)


def outpatient(bus_no: str, amount: str | None = None) -> dict[str, Any]:
    """The sample outpatient request (386.50 yuan) with its own busNo; ``amount`` rescales it to one
    charge line and one pay channel of that total."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data["busNo"] = bus_no
    if amount is not None:  # a self-pay bill of one charge line, one list line, one pay channel
        for k in ("accountPay", "fundPay", "otherfundPay", "selfConceitedAmt", "reimbursementAmt"):
            data[k] = "0.00"
        for k in ("ownPay", "selfPayAmt", "selfCashPay"):
            data[k] = amount
        for k in ("ownAcBalance", "otherMedicalList", "balancedNumber"):
            data.pop(k, None)
        data["totalAmt"] = amount
        data["chargeDetail"] = [dict(data["chargeDetail"][0], amt=amount, std=amount, number="1", selfAmt="0.00")]
        data["listDetail"] = [dict(data["listDetail"][0], amt=amount, std=amount, number="1", selfAmt="0.0000")]
        data["payChannelDetail"] = [{"payChannelCode": "05", "payChannelValue": amount}]
    return data


class Proc:
    """A child process listening on a known port; restartable on the same port."""

    def __init__(self, args: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.args, self.port, self.log, self.env = args, port, log, env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        env.pop("DATABASE_URL", None)
        with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(self.args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def start(self, timeout: float = 60.0) -> Proc:
        self._spawn()
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"{self.args[2]} exited with {self.proc.returncode}; see {self.log}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                assert time.monotonic() < deadline, f"port {self.port} did not open"
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)

    def kill(self) -> None:
        """SIGKILL (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Worker(Proc):
    """A child process without a port (``python -m sync_server worker``)."""

    def __init__(self, args: list[str], log: Path) -> None:
        super().__init__(args, 0, log)

    def start(self, timeout: float = 60.0) -> Worker:
        self._spawn()
        return self


class Platform(Proc):
    """``python -m simulators.finance`` with its control endpoints and a signed client."""

    def __init__(self, base: Path) -> None:
        port = free_port()
        super().__init__([sys.executable, "-m", "simulators.finance", "--port", str(port), "--data-dir",
                          str(base / "fin")], port, base / "fin.log")
        self.url = f"http://127.0.0.1:{port}"
        self.data_dir = base / "fin"
        self.method_url = f"{self.url}/medical-web/api/medical"
        self._client: FinanceClient | None = None

    def client(self) -> FinanceClient:
        """The platform's signed client: one per rig (thread-safe, reconnects after a restart),
        closed by :meth:`stop` so no kept-alive socket is left to the garbage collector."""
        if self._client is None:
            self._client = FinanceClient(self.method_url, DEMO_APPID, DEMO_KEY, timeout=10)
        return self._client

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        super().stop()

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        params = {"method": method} if method else {}
        return list(requests.get(f"{self.url}/_control/calls", params=params, timeout=10).json()["calls"])

    def faults(self, **knobs: Any) -> dict[str, Any]:
        return dict(requests.post(f"{self.url}/_control/faults", json=knobs, timeout=10).json())

    def bill_by_bus_no(self, bus_no: str, bus_date_time: str = "20261123093015123") -> dict[str, Any] | None:
        """The platform's bill for a busNo (None when it has none)."""
        from sync_server.connectors.errors import PlatformRejected
        try:
            got = self.client().call("getEBillByBusNo", {"busNo": bus_no, "busDateTime": bus_date_time})
        except PlatformRejected:
            return None
        return got if isinstance(got, dict) and got.get("billNo") else None

    def state(self, code: str, no: str) -> dict[str, Any]:
        return dict(self.client().call("getEBillStatesByBillInfo", {"billBatchCode": code, "billNo": no}))


class Server(ServerProcess):
    """``python -m sync_server`` (tests/rigs/stack.py) wired to a platform; its outbox worker is a
    thread inside (``worker="thread"``, the default) or its own ``python -m sync_server worker``
    process (``worker="process"``: the server runs with ``--worker none``)."""

    def __init__(self, base: Path, platform: Platform, finance_url: str | None = None, name: str = "srv",
                 worker: str = "thread") -> None:
        finance = finance_url or platform.method_url
        super().__init__(base / name, finance, "--threads", "4", *(["--worker", "none"] if worker == "process" else []),
                         log=base / f"{name}.log")
        self.url = f"http://127.0.0.1:{self.port}"
        self.finance_url = platform.method_url
        self.worker = (Worker([sys.executable, "-m", "sync_server", "worker", "--data-dir", str(self.data_dir),
                               "--finance-url", finance], base / f"{name}-worker.log")
                       if worker == "process" else None)

    def start(self, timeout: float = 60.0) -> Server:
        super().start(timeout)
        if self.worker is not None:
            self.worker.start()
        return self

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        super().stop()

    def kill(self) -> None:
        if self.worker is not None:
            self.worker.kill()
        super().kill()

    def caller(self, appid: str) -> dict[str, Any]:
        return next(c for c in self.demo["callers"] if c["appid"] == appid)

    def user(self, role: str = "finance") -> dict[str, Any]:
        """A demo user of ``role`` ({username, password, role}): a terminal's machine account."""
        return next(u for u in self.demo["users"] if u["role"] == role)

    def admin(self, *args: str) -> tuple[int, Any]:
        """``python -m sync_server emergency --data-dir DIR ...``: (exit code, JSON output)."""
        out = subprocess.run([sys.executable, "-m", "sync_server", "emergency", "--data-dir", str(self.data_dir),
                              "--finance-url", self.finance_url, *args], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
        assert out.returncode in (0, 1, 2), out.stderr + out.stdout
        return out.returncode, json.loads(out.stdout)


@dataclass
class TerminalRig:
    """One in-process terminal: workflow, its sync client and store."""

    wf: IssuingWorkflow
    sync: SyncClient
    db: Database
    appid: str
    place: str
    key: SM2PrivateKey
    issued: list[Any] = field(default_factory=list)

    def close(self) -> None:
        self.db.close()


def terminal(server: Server, appid: str, data_dir: Path, *, printer: Any = None,
             limits: EmergencyLimits | None = None, key: SM2PrivateKey | None = None,
             url: str | None = None) -> TerminalRig:
    """A terminal workflow for the server's demo terminal caller ``appid`` (key registered)."""
    caller = server.caller(appid)
    place = caller["placeCodes"][0]
    key = key or SM2PrivateKey.generate()
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / "terminal.db")
    sync = SyncClient(url or server.url, appid, caller["key"], connect_timeout=0.5, read_timeout=30,
                      failure_threshold=1, open_seconds=0.1, max_open_seconds=0.3)
    account = server.user("finance")  # issues, writes off and returns stock: the server checks the role
    sync.use_account(account["username"], account["password"])
    wf = IssuingWorkflow(sync, db, printer, SystemClock(), Identity(appid, place, "测试医院", "门诊收费处"),
                         BillSigner(key), limits=limits or EmergencyLimits(max_bills=100000, max_total=Decimal("100000000.00")))
    return TerminalRig(wf, sync, db, appid, place, key)


def link_back(rig: TerminalRig, timeout: float = 20.0) -> None:
    """Probe until the terminal's breaker closes again."""
    wait(rig.sync.probe, timeout, "terminal link back")


def forged_upload(rig: TerminalRig, bill_batch_code: str, bill_no: str, bus_no: str, amount: str = "1.00",
                  issue_time: str | None = None) -> dict[str, Any]:
    """A correctly signed and chained upload of a number the terminal's own store would not issue
    (a returned or revoked one): what a tampered or stolen terminal could send."""
    from billing_core.bills import validate_request
    from billing_core.envelope import dumps
    from offline_store import journal
    from workflows.emergency import chain

    bill = json.loads(dumps(validate_request(METHOD, outpatient(bus_no, amount))))
    head, _seed = journal.chain_head(rig.db)
    prev = head or chain.genesis(rig.appid)
    issue_time = issue_time or time.strftime("%Y%m%d%H%M%S000", time.gmtime(time.time() + 8 * 3600))
    sign_value = BillSigner(rig.key).sign(bill)
    record = chain.link_record(bill, bill_batch_code=bill_batch_code, bill_no=bill_no, random="a1b2c3",
                               issue_time=issue_time, terminal_id=rig.appid, sign_value=sign_value)
    return {"idempotencyKey": f"{rig.appid}:{bill_batch_code}:{bill_no}", "terminalId": rig.appid, "seq": 999999,
            "method": METHOD, "billType": "outpatient", "bill": bill, "billBatchCode": bill_batch_code,
            "billNo": bill_no, "random": "a1b2c3", "issueTime": issue_time, "signValue": sign_value,
            "prevHash": prev, "hash": chain.link(prev, record), "chainSeed": None, "inDoubt": False}
