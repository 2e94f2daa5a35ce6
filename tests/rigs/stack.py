"""The one test stack: the finance simulator, the sync server, and the database they run on.

Every test that needs a sync server starts it through this module:

* :class:`Simulator` — ``python -m simulators.finance`` as a real process on a free port
  (restartable on the same port and data, for outages), with its control endpoints.
* :class:`ServerThread` — the sync server app under waitress in this process, on a free port
  (tests that read the server's engine and context directly).
* :class:`ServerProcess` — ``python -m sync_server`` as a real process (kill tests, the
  ``--processes`` supervisor, the cashier and emergency stacks); restartable on the same port.
* :class:`Stack` — a simulator plus an in-process server on ``sqlite`` or ``postgresql``
  (:func:`db_config` isolates each run: its own SQLite file, or its own PostgreSQL schema that
  :meth:`Stack.stop` drops).
* :class:`HisClient` — an HIS speaking the platform envelope.
* fixtures :func:`stack` (module-scoped, once per database kind) and :func:`stack_sim`.

tests/integration/server/ss_rig.py re-exports these for the server tests (with their sample
helpers); use them from a conftest.py::

    from tests.rigs.stack import stack, stack_sim  # noqa: F401  (re-export the fixtures)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import requests

from billing_core import envelope, request_stamp
from billing_core.ids import new_noise

#: The database kinds every server test runs on.
DB_KINDS = ("sqlite", "postgresql")

ROOT = Path(__file__).resolve().parents[2]
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
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 5432), timeout=1):
        return
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


def spawn_simulator(module: str, port: int, data_dir: Path, *args: str,
                    stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """``python -m <module> --host 127.0.0.1 --port N --data-dir DIR [args]`` started and listening."""
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir),
         *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    wait_port(port, proc)
    return proc


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, and SIGKILL after 10 s; closes a piped stderr."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


class Simulator:
    """``python -m simulators.finance`` on a free port, restartable on the same port and data."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._clients: list[HisClient] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/medical-web/api/medical"

    def start(self) -> Simulator:
        self.proc = spawn_simulator("simulators.finance", self.port, self.data_dir)
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        stop_process(self.proc)
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
        client = HisClient(self.url, DEMO_FINANCE_APPID, DEMO_FINANCE_KEY)
        self._clients.append(client)
        return client


class HisClient:
    """An HIS speaking the platform envelope to ``url`` (the method prefix)."""

    def __init__(self, url: str, appid: str, key: str) -> None:
        self.url = url.rstrip("/")
        self.appid = appid
        self.key = key
        self.session = requests.Session()

    def close(self) -> None:
        """Close the keep-alive connections."""
        self.session.close()

    def raw(self, method: str, body: bytes) -> requests.Response:
        return self.session.post(f"{self.url}/{method}", data=body, timeout=60,
                                 headers={"Content-Type": "application/json"})

    def call(self, method: str, data: Any) -> tuple[str, Any]:
        """(result code, decoded message) of one signed call (the terminal API's noise is the
        signed stamp of method and time, billing_core.request_stamp)."""
        noise = request_stamp.make(method, int(time.time() * 1000)) if "/terminal/api" in self.url else new_noise()
        body = envelope.encode_request(self.appid, self.key, data, noise=noise)
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

        #: "postgresql" when the overrides point the server at PostgreSQL (see :func:`db_config`)
        self.db_kind = "postgresql" if overrides.get("database_url") else "sqlite"
        self._clients: list[HisClient] = []

        cfg = {"data_dir": str(data_dir), "finance_url": finance_url, "finance_timeout": 3.0,
               "worker_interval": 0.1, "outbox_max_backoff": 1.0,
               "reconcile_daily": False, "seed_demo": True} | overrides
        self.app = create_app(cfg)
        self.ctx = self.app.extensions["sync_server"]
        from waitress.server import create_server

        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=24)
        self.port = int(self.server.effective_port)  # type: ignore[union-attr]
        self._stopping = False
        self.thread = threading.Thread(target=self._serve, name=f"stack-waitress-{self.port}", daemon=True)
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
        return self._track(HisClient(self.url, c["appid"], c["key"]))

    def _track(self, client: HisClient) -> HisClient:
        self._clients.append(client)
        return client

    def terminal(self, appid: str = "TERM01") -> HisClient:
        c = next(c for c in self.demo["callers"] if c["appid"] == appid)
        return self._track(HisClient(f"http://127.0.0.1:{self.port}/terminal/api", c["appid"], c["key"]))

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
        """Stop waitress, then the server context (every thread it started is joined, the platform
        client and the pools closed); the names of the server's threads still running (none,
        unless a join timed out)."""
        self._stopping = True
        self.server.close()
        self.server.task_dispatcher.shutdown()
        # server.close() closes the listening socket only: the loop runs while the connections
        # clients kept alive are in its map, so close them before waiting for the loop to end
        from waitress import wasyncore

        wasyncore.close_all(self.server._map, ignore_all=True)  # noqa: SLF001
        self.thread.join(10)
        for client in self._clients:
            client.close()
        return self.ctx.close()


class ServerProcess:
    """``python -m sync_server`` on a fixed free port as a child process, restartable on the same
    port and data directory (an outage, a crash, a new version)."""

    def __init__(self, data_dir: Path, finance_url: str, *args: str, port: int | None = None,
                 config: Path | None = None, log: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.upstream_url = finance_url  # --finance-url: the platform, or a proxy in front of it
        self.args = list(args)
        self.port = port or free_port()
        self.config = config
        self.log = log
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def command(self) -> list[str]:
        # --demo: the rigs use the demo callers and users of demo.json (a real start seeds none)
        cmd = [sys.executable, "-m", "sync_server", "--host", "127.0.0.1", "--port", str(self.port),
               "--data-dir", str(self.data_dir), "--finance-url", self.upstream_url, "--demo"]
        if self.config is not None:
            cmd += ["--config", str(self.config)]
        return cmd + self.args

    def spawn(self) -> subprocess.Popen[bytes]:
        """Start the process without waiting for its port."""
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        env.pop("DATABASE_URL", None)  # the database is the test's choice (config or self.env), never the shell's
        env |= self.env
        if self.log is None:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        else:
            with open(self.log, "ab") as out:  # the child keeps its own copy of the descriptor
                self.proc = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self.proc

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the process and wait until its port accepts connections."""
        wait_port(self.port, self.spawn(), timeout=timeout)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def method_url(self) -> str:
        """The platform interface's method prefix (what an HIS posts to)."""
        return f"http://127.0.0.1:{self.port}/medical-web/api/medical"

    @property
    def demo(self) -> dict[str, Any]:
        """The demo callers and users the server wrote on its first start."""
        return dict(json.loads((self.data_dir / "demo.json").read_text(encoding="utf-8")))

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(15)


class Stack:
    """A finance simulator and an in-process sync server on one database kind.

    :param base: an empty directory; the simulator's data goes to ``base/fin``, the server's to
        ``base/srv``.
    :param db: ``sqlite`` or ``postgresql`` (:func:`db_config`).
    :param sim: a running simulator to share (not stopped by :meth:`stop`); else the stack
        starts and stops its own.
    :param overrides: server config on top of the test defaults of :class:`ServerThread`.
    """

    def __init__(self, base: Path, db: str = "sqlite", *, sim: Simulator | None = None, **overrides: Any) -> None:
        if db not in DB_KINDS:
            raise ValueError(f"unknown database kind {db!r}")
        self.base = Path(base)
        self.db = db
        self._own_sim = sim is None
        self.sim = sim if sim is not None else Simulator(self.base / "fin")
        self.overrides = overrides
        self.cfg: dict[str, Any] = {}
        self._server: ServerThread | None = None

    @property
    def server(self) -> ServerThread:
        assert self._server is not None, "stack not started"
        return self._server

    def start(self, *, settle: bool = False) -> Stack:
        """Start the simulator (unless shared) and the server; ``settle``: wait for its emergency stock."""
        try:
            if self._own_sim:
                self.sim.start()
            self.cfg = db_config(self.db) | self.overrides
            self._server = ServerThread(self.base / "srv", self.sim.url, **self.cfg)
            if settle:
                self._server.settle()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server, then the simulator it owns, then drop the PostgreSQL schema."""
        try:
            if self._server is not None:
                self._server.stop()
                self._server = None
            if self._own_sim:
                self.sim.stop()
        finally:
            if self.cfg.get("database_schema"):
                drop_pg_schema(self.cfg["database_schema"])

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@pytest.fixture(scope="module")
def stack_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """One finance simulator process per module."""
    sim = Simulator(tmp_path_factory.mktemp("finance")).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module", params=DB_KINDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A settled stack of its own per module, once on SQLite and once on PostgreSQL."""
    with Stack(tmp_path_factory.mktemp(f"stack_{request.param}"), request.param).start(settle=True) as st:
        yield st

