"""Issue 14, secrets: over real ``python -m sync_server`` processes on SQLite and PostgreSQL.

* a real start (no ``--demo``) seeds no caller, user or demo.json; demo mode does;
* the data dir is 0700 and every file in it 0600 (database, journals, keys, demo files);
* no clear demo password is anywhere in the database (SQLite file bytes, PostgreSQL rows);
* the finance key comes from a 0600 file (``--finance-key-file``), never from argv;
* the audit log is an SM3 hash chain: ``admin audit verify`` passes, then names the edited row;
* changing admin commands require ``--operator`` and the audit row names that person.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ss_rig import (
    ROOT,
    HisClient,
    ServerProcess,
    ServerThread,
    Simulator,
    db_config,
    drop_pg_schema,
    load_sample,
)

from sync_server.config import DEMO_FINANCE_KEY

pytestmark = pytest.mark.integration


class RealStart(ServerProcess):
    """``python -m sync_server`` as a real deployment starts it: without ``--demo``."""

    @property
    def command(self) -> list[str]:
        return [a for a in super().command if a != "--demo"]


class Setup:
    """A data dir and the config file naming the database (SQLite in the dir, or a fresh
    PostgreSQL schema)."""

    def __init__(self, work: Path, kind: str) -> None:
        self.kind = kind
        self.data = work / "srv"
        self.db = db_config(kind)
        self.config = work / "server.json"
        self.config.write_text(json.dumps({"finance_timeout": 3.0, "reconcile_daily": False, **self.db}),
                               encoding="utf-8")

    def server(self, sim: Simulator, cls: type[ServerProcess] = ServerProcess, *args: str) -> ServerProcess:
        return cls(self.data, sim.url, *args, config=self.config)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``python -m sync_server admin --data-dir D --config C ARGS`` (exit code, output)."""
        return subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(self.data),
                               "--config", str(self.config), *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))

    def sql(self, statement: str) -> list[tuple[Any, ...]]:
        """Run SQL straight on the database, behind the server's back."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.data / "sync_server.db", timeout=30) as db:
                return db.execute(statement).fetchall()
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'SET search_path TO "{self.db["database_schema"]}"')
            cur = conn.execute(statement)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

    def database_text(self) -> bytes:
        """Every byte the database holds: the SQLite files, or every row of every PostgreSQL table."""
        if self.kind == "sqlite":
            return b"".join(p.read_bytes() for p in self.data.glob("sync_server.db*") if p.is_file())
        tables = [r[0] for r in self.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                         f"'{self.db['database_schema']}'")]
        return "\n".join(repr(self.sql(f'SELECT * FROM "{t}"')) for t in tables).encode("utf-8")

    def close(self) -> None:
        if self.kind == "postgresql":
            drop_pg_schema(self.db["database_schema"])


@pytest.fixture(params=("sqlite", "postgresql"))
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    s = Setup(tmp_path, request.param)
    yield s
    s.close()


def _modes(data: Path) -> dict[str, int]:
    return {str(p.relative_to(data)): stat.S_IMODE(p.stat().st_mode) for p in [data, *data.rglob("*")]}


def test_a_real_start_seeds_nothing_and_keeps_its_files_private(setup: Setup, sim: Simulator) -> None:
    srv = setup.server(sim, RealStart).start()
    try:
        assert not (setup.data / "demo.json").exists()
        assert not (setup.data / "first_run_passwords.txt").exists()
        assert setup.sql("SELECT COUNT(*) FROM users")[0][0] == 0
        assert setup.sql("SELECT COUNT(*) FROM callers")[0][0] == 0
        modes = _modes(setup.data)
    finally:
        srv.stop()
    assert modes.pop(".") == 0o700, "the data dir is the server account's alone"
    assert "server_sm2.json" in modes
    if setup.kind == "sqlite":
        assert "sync_server.db" in modes
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}


def test_demo_mode_seeds_and_no_clear_password_is_in_the_database(setup: Setup, sim: Simulator) -> None:
    srv = setup.server(sim).start()
    try:
        demo = srv.demo
        his = demo["callers"][0]
        client = HisClient(srv.method_url, his["appid"], his["key"])
        try:
            bill = load_sample("outpatient.json") | {"busNo": f"SEC{uuid.uuid4().hex[:16]}"}
            result, message = client.call("invoiceEBillOutpatient", bill)
            assert result == "S0000", message
        finally:
            client.close()
        modes = _modes(setup.data)
    finally:
        srv.stop()
    assert modes.pop(".") == 0o700
    assert {"demo.json", "first_run_passwords.txt", "server_sm2.json"} <= set(modes)
    assert {name: oct(mode) for name, mode in modes.items() if mode & 0o077} == {}
    stored = setup.database_text()
    assert len(stored) > 1000
    for user in demo["users"]:
        assert user["password"].encode() not in stored, f"clear password of {user['username']} in the database"
    assert b"demo_json" not in stored


def test_the_finance_key_comes_from_a_private_file_never_from_argv(setup: Setup, sim: Simulator) -> None:
    key_file = setup.data.parent / "finance.key"
    key_file.write_text(DEMO_FINANCE_KEY + "\n", encoding="utf-8")
    key_file.chmod(0o644)
    base = [sys.executable, "-m", "sync_server", "--data-dir", str(setup.data), "--config", str(setup.config),
            "--port", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("SYNC_FINANCE_KEY", None)
    shown = subprocess.run(base + ["--finance-key-file", str(key_file)], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 2 and "须为 600" in shown.stderr, shown.stderr
    on_argv = subprocess.run(base + ["--finance-key", DEMO_FINANCE_KEY], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert on_argv.returncode == 2 and "--finance-key" in on_argv.stderr
    key_file.chmod(0o600)
    srv = setup.server(sim, ServerProcess, "--finance-key-file", str(key_file)).start()
    try:
        assert DEMO_FINANCE_KEY not in " ".join(srv.command)
        his = srv.demo["callers"][0]
        client = HisClient(srv.method_url, his["appid"], his["key"])
        try:
            bill = load_sample("outpatient.json") | {"busNo": f"SEK{uuid.uuid4().hex[:16]}"}
            result, message = client.call("invoiceEBillOutpatient", bill)
            assert result == "S0000", message  # the platform accepted the key read from the file
        finally:
            client.close()
    finally:
        srv.stop()


def test_audit_verify_catches_an_edited_and_a_removed_row(setup: Setup, sim: Simulator) -> None:
    srv = setup.server(sim).start()
    srv.stop()
    ok = setup.cli("audit", "verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    rows = json.loads(ok.stdout)["rows"]
    assert rows >= 10  # the demo seeding's rows
    ids = [r[0] for r in setup.sql("SELECT id FROM audit_log ORDER BY id")]
    victim = ids[len(ids) // 2]
    setup.sql(f"UPDATE audit_log SET actor = 'mallory' WHERE id = {victim}")
    broken = setup.cli("audit", "verify")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["brokenId"] == victim
    assert f"id={victim}" in broken.stderr
    setup.sql(f"UPDATE audit_log SET actor = 'server' WHERE id = {victim}")  # put back: whole again
    assert setup.cli("audit", "verify").returncode == 0
    setup.sql(f"DELETE FROM audit_log WHERE id = {ids[-1]}")  # the newest row removed
    tail = setup.cli("audit", "verify")
    assert tail.returncode == 1 and "末尾" in tail.stdout


def test_changing_admin_commands_name_the_operator(setup: Setup, sim: Simulator) -> None:
    srv = setup.server(sim).start()
    srv.stop()
    name = f"u{uuid.uuid4().hex[:6]}"
    refused = setup.cli("add-user", "--username", name, "--name", "收费员", "--role", "cashier")
    assert refused.returncode == 2 and "--operator" in refused.stderr
    assert setup.sql(f"SELECT COUNT(*) FROM users WHERE username = '{name}'")[0][0] == 0
    done = setup.cli("add-user", "--username", name, "--name", "收费员", "--role", "cashier", "--operator", "王工")
    assert done.returncode == 0, done.stderr
    assert setup.sql(f"SELECT actor, terminal FROM audit_log WHERE action = 'add_user' AND entity_id = '{name}'") \
        == [("王工", "admin-cli")]
    assert setup.cli("list").returncode == 0  # reading needs no operator
    assert setup.cli("audit", "verify").returncode == 0


def test_failed_signatures_and_logins_are_audited_rate_limited(server: ServerThread) -> None:
    from sqlalchemy import select

    from sync_server.store.db import read_tx
    from sync_server.store.schema import audit_log

    stranger = HisClient(server.url, f"ZZ{uuid.uuid4().hex[:8]}", "guessed-key")
    forger = HisClient(server.url, server.demo["callers"][0]["appid"], "not-its-key")
    try:
        bill = load_sample("outpatient.json") | {"busNo": f"SIG{uuid.uuid4().hex[:16]}"}
        from billing_core import envelope
        from billing_core.ids import new_noise

        signed = envelope.dumps(envelope.encode_request(stranger.appid, stranger.key, bill, noise=new_noise()))
        for _ in range(8):  # refused, answered under the empty key (the server knows none for it)
            answer = stranger.raw("invoiceEBillOutpatient", signed.encode())
            assert envelope.decode_response(answer.content, stranger.appid, "").result == "E2003"
        body = json.dumps({"appid": forger.appid, "data": "e30=", "noise": "n1", "version": "1.0",
                           "sign": "0" * 32}).encode()
        assert forger.raw("invoiceEBillOutpatient", body).status_code == 200
    finally:
        stranger.close()
        forger.close()
    term = server.terminal("TERM01")
    assert term.call("login", {"username": "cashier01", "password": "wrong-password"})[0] == "E2014"
    with read_tx(server.ctx.engine) as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.entity_id, audit_log.c.caller)
                            .where(audit_log.c.action.in_(("signature_failed", "login_failed")))).all()
    assert sum(1 for r in rows if r.entity_id == stranger.appid) == 5, "5 rows per appid a minute, no more"
    assert any(r.action == "signature_failed" and r.entity_id == forger.appid for r in rows)
    assert ("login_failed", "cashier01", "TERM01") in [tuple(r) for r in rows]


PERSONAL = {"idCardNo": "440106199203071234", "tel": "13912345678", "medicalInsuranceID": "44010019920307123499",
            "ICD": "K35.800", "cardNo": "440100D15600099999"}


def test_personal_data_is_sealed_in_the_database_and_opened_in_answers(setup: Setup, sim: Simulator) -> None:
    srv = setup.server(sim).start()
    try:
        his = srv.demo["callers"][0]
        client = HisClient(srv.method_url, his["appid"], his["key"])
        try:
            bill = load_sample("outpatient.json") | PERSONAL | {"busNo": f"PII{uuid.uuid4().hex[:16]}"}
            issued = client.ok("invoiceEBillOutpatient", bill)
            detail = client.ok("getBillDetail", {"billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"],
                                                 "random": issued["random"]})
        finally:
            client.close()
    finally:
        srv.stop()
    assert detail["idCardNo"] == PERSONAL["idCardNo"]  # opened for the caller
    stored = setup.database_text()
    for name, value in PERSONAL.items():
        assert value.encode() not in stored, f"{name} stored in clear"
    assert b'"idCardNo":"sm4:' in stored
    key = setup.data / "keys" / "data.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    # a start with another key is refused: the sealed data could not be read back
    env = dict(os.environ, PYTHONPATH=str(ROOT), SYNC_DATA_KEY="00" * 16)
    other = subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(setup.data), "--config",
                            str(setup.config), "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert other.returncode != 0 and "数据密钥与数据库不符" in other.stderr


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_writers_keep_one_chain(tmp_path: Path, kind: str) -> None:
    """Appends from many connections at once (as several server processes make them) are
    serialised on the chain head: one unbroken chain, no fork."""
    import threading

    from billing_core.clock import ManualClock
    from sync_server.security.audit import SERVER, audit, verify_chain
    from sync_server.store.db import make_engine, read_tx, run_migrations, sqlite_url, write_tx

    cfg = db_config(kind)
    engines = [make_engine(cfg["database_url"] if cfg else sqlite_url(tmp_path / "c.db"), cfg.get("database_schema"))
               for _ in range(2)]  # two engines: two pools, like two processes
    try:
        run_migrations(engines[0])
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                for i in range(15):
                    with write_tx(engines[n % 2]) as conn:
                        audit(conn, ManualClock(), SERVER, "touch", "bill", f"{n}-{i}")
            except BaseException as exc:  # noqa: BLE001 - reported by the test thread
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n,), name=f"chain-writer-{n}") for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        with read_tx(engines[0]) as conn:
            report = verify_chain(conn)
        assert report.ok and report.rows == 90, report
    finally:
        for engine in engines:
            engine.dispose()
        if cfg:
            drop_pg_schema(cfg["database_schema"])
