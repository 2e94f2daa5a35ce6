"""Rig for sync server tests: the finance simulator as a real process, the server on a real
port (in-process waitress thread, or a subprocess for kill tests), an HIS client speaking the
platform envelope, and per-run database isolation (SQLite file / PostgreSQL schema)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from billing_core import envelope
from billing_core.ids import new_noise

ROOT = Path(__file__).resolve().parents[3]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Wait until 127.0.0.1:port accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited early ({proc.returncode}): {proc.args}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


def ensure_postgres() -> None:
    """Start the local PostgreSQL cluster when it is not running (the test command's duty too)."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return
    except OSError:
        pass
    subprocess.run(["bash", "-c", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start"
                    " || service postgresql start"], check=False, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("PostgreSQL did not start on 127.0.0.1:5432")


def drop_pg_schema(schema: str) -> None:
    """Remove a test run's PostgreSQL schema."""
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def ensure_test_database() -> None:
    """Create the ``test`` database when the cluster has none (a freshly installed server)."""
    import psycopg

    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test").close()
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE test")


def db_config(kind: str) -> dict[str, Any]:
    """Config overrides isolating one test run on ``sqlite`` or ``postgresql``."""
    if kind == "sqlite":
        return {}
    ensure_postgres()
    ensure_test_database()
    return {"database_url": PG_URL, "database_schema": f"ss_{uuid.uuid4().hex[:12]}"}


class Simulator:
    """``python -m simulators.finance`` on a free port, restartable on the same port and data."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/medical-web/api/medical"

    def start(self) -> Simulator:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulators.finance", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=str(ROOT)))
        wait_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        # the port must really be closed before a test relies on "unreachable"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def faults(self, **changes: Any) -> dict[str, Any]:
        r = requests.post(f"{self.base}/_control/faults", json=changes, timeout=10)
        r.raise_for_status()
        return r.json()

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        params = {"method": method} if method else {}
        r = requests.get(f"{self.base}/_control/calls", params=params, timeout=30)
        r.raise_for_status()
        return r.json()["calls"]

    def platform_bills(self, bus_no: str) -> list[tuple[str, str, int]]:
        """(billBatchCode, billNo, isScarlet) of every normal bill the platform holds for a busNo,
        read straight from the simulator's database (independent of any API)."""
        import sqlite3

        with sqlite3.connect(self.data_dir / "finance.sqlite3", timeout=30) as db:
            return [tuple(r) for r in db.execute(  # type: ignore[misc]
                "SELECT bill_batch_code, bill_no, is_scarlet FROM bills WHERE doc = 'bill' AND kind = 'blue'"
                " AND bus_no = ? ORDER BY id", (bus_no,))]

    def sql(self, statement: str, args: tuple[Any, ...] = ()) -> int:
        """Change the platform's database behind everyone's back (reconciliation tests)."""
        import sqlite3

        with sqlite3.connect(self.data_dir / "finance.sqlite3", timeout=30) as db:
            return db.execute(statement, args).rowcount

    def client(self) -> HisClient:
        from sync_server.config import DEMO_FINANCE_APPID, DEMO_FINANCE_KEY
        return HisClient(self.url, DEMO_FINANCE_APPID, DEMO_FINANCE_KEY)


class HisClient:
    """An HIS speaking the platform envelope to ``url`` (the method prefix)."""

    def __init__(self, url: str, appid: str, key: str) -> None:
        self.url = url.rstrip("/")
        self.appid = appid
        self.key = key
        self.session = requests.Session()

    def raw(self, method: str, body: bytes) -> requests.Response:
        return self.session.post(f"{self.url}/{method}", data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})

    def call(self, method: str, data: Any) -> tuple[str, Any]:
        """(result code, decoded message) of one signed call."""
        body = envelope.encode_request(self.appid, self.key, data, noise=new_noise())
        resp = self.raw(method, envelope.dumps(body).encode("utf-8"))
        answer = envelope.decode_response(resp.content, self.appid, self.key)
        return answer.result, answer.message

    def ok(self, method: str, data: Any) -> Any:
        """The success payload; fails the test with the code and message otherwise."""
        result, message = self.call(method, data)
        assert result == "S0000", f"{method}: {result} {message}"
        return message


class ServerThread:
    """The sync server app under waitress in this process, on a free port."""

    def __init__(self, data_dir: Path, finance_url: str, **overrides: Any) -> None:
        from sync_server import create_app

        cfg = {"data_dir": str(data_dir), "finance_url": finance_url, "finance_timeout": 3.0,
               "worker_interval": 0.1, "outbox_max_backoff": 1.0,
               "reconcile_daily": False} | overrides
        self.app = create_app(cfg)
        self.ctx = self.app.extensions["sync_server"]
        from waitress.server import create_server

        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=24)
        self.port = int(self.server.effective_port)  # type: ignore[union-attr]
        self._stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.demo = json.loads((Path(data_dir) / "demo.json").read_text(encoding="utf-8"))

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:
            # stop() closes the listening socket from this test's thread while the loop sits in
            # select(): EBADF is then the loop's expected end, anything earlier is a real failure.
            if not self._stopping:
                raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/medical-web/api/medical"

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until start-up work is done: every billing point holds emergency stock."""
        from sync_server.stock.emergency_stock import available
        from sync_server.store.db import read_tx

        deadline = time.monotonic() + timeout
        while True:
            with read_tx(self.ctx.engine) as conn:
                if all(available(conn, p) > 0 for p in self.demo["placeCodes"]):
                    return
            if time.monotonic() > deadline:
                raise AssertionError("server did not reserve emergency stock")
            time.sleep(0.05)

    def his(self, index: int = 0) -> HisClient:
        c = self.demo["callers"][index]
        return HisClient(self.url, c["appid"], c["key"])

    def terminal(self, appid: str = "TERM01") -> HisClient:
        c = next(c for c in self.demo["callers"] if c["appid"] == appid)
        return HisClient(f"http://127.0.0.1:{self.port}/terminal/api", c["appid"], c["key"])

    def wait_drained(self, timeout: float = 60.0) -> None:
        """Wait until the outbox has nothing pending."""
        from sync_server.outbox import queue as outbox
        from sync_server.store.db import read_tx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ctx.wake.set()
            with read_tx(self.ctx.engine) as conn:
                if outbox.counts(conn).get("pending", 0) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("outbox did not drain")

    def stop(self) -> list[str]:
        """Stop waitress, then the server context (every thread it started is joined); the
        names of the server's threads still running (none, unless a join timed out)."""
        self._stopping = True
        self.server.close()
        self.server.task_dispatcher.shutdown()
        self.thread.join(10)
        return self.ctx.close()


def load_sample(name: str) -> dict[str, Any]:
    """A sample request from tests/fixtures/requests (billing_core's fixtures)."""
    return json.loads((ROOT / "tests" / "fixtures" / "requests" / name).read_text(encoding="utf-8"))


def other_sample(method: str) -> dict[str, Any]:
    """A sample request of a non-issuing method."""
    return dict(load_sample("other_methods.json")[method])


def assert_call_log(sim: Simulator, bus_no: str) -> None:
    """No issuing call after a recorded success; every re-send preceded by a not-found lookup."""
    from billing_core.methods import ISSUE as ISSUE_METHODS

    calls = [c for c in sim.calls() if c["bus_no"] == bus_no]
    issued_ok = False
    last_issue = None
    for c in calls:
        if c["method"] in ISSUE_METHODS:
            assert not issued_ok, f"issuing call after a recorded success: {c}"
            if last_issue is not None:
                between = [x for x in calls if last_issue["id"] < x["id"] < c["id"]]
                assert any(x["method"] == "getEBillByBusNo" and x["result"] != "S0000" for x in between), \
                    f"re-send without a not-found lookup first: {c}"
            last_issue = c
            if c["result"] == "S0000":
                issued_ok = True
    assert issued_ok


def children(pid: int) -> list[int]:
    """Running child processes of ``pid`` (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def repeat_concurrently(sim: Simulator, clients: list[HisClient], bill: dict[str, Any], *, knob: str,
                        latency: float) -> set[tuple[str, str]]:
    """Every client issues ``bill`` at the same time (one connection each) under the simulator's
    ``duplicate_busno`` knob and an answer latency; the distinct (billBatchCode, billNo) answered."""
    from concurrent.futures import ThreadPoolExecutor

    sim.faults(duplicate_busno=knob, latency=latency)
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(lambda c: c.ok("invoiceEBillOutpatient", bill), clients))
    finally:
        sim.faults(latency=0.0)
    return {(a["billBatchCode"], a["billNo"]) for a in answers}
