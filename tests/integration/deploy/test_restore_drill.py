"""Restore drill (issue 19 §5), on SQLite and PostgreSQL, with the real CLI: issue bills (online
and from the server's emergency stock), back up while the server runs, issue more (emergency
bills carried forward, emergency stock handed to a terminal), stop, restore the older backup,
start. The first start retires the restored emergency blocks and finds, through the platform,
the numbers used after the backup (a reported conflict); no emergency number is ever reused:
new emergency bills and blocks come from fresh platform blocks and carry forward cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.rigs.stack import ROOT, HisClient, ServerProcess, Simulator, db_config, drop_pg_schema

pytestmark = pytest.mark.integration

SAMPLE = json.loads((ROOT / "tests" / "fixtures" / "requests" / "outpatient.json").read_text(encoding="utf-8"))


class Drill:
    def __init__(self, work: Path, kind: str) -> None:
        self.work, self.kind = work, kind
        self.sim = Simulator(work / "fin").start()
        self.db = db_config(kind)
        self.config = work / "server.json"
        self.config.write_text(json.dumps({"finance_timeout": 2.0, "worker_interval": 0.1, "outbox_max_backoff": 1.0,
                                           "reconcile_daily": False, "emergency_block_size": 30,
                                           "emergency_low_water": 10, **self.db}), encoding="utf-8")
        self.data = work / "srv"
        self.server = ServerProcess(self.data, self.sim.url, config=self.config)
        from sync_server.config import load_config
        from sync_server.store.db import make_engine

        cfg = load_config({"data_dir": str(self.data), **self.db})
        self.engine: Engine = make_engine(cfg.db_url, cfg.database_schema or None, pool_size=2)

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("DATABASE_URL", None)
        return subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(self.data),
                               "--config", str(self.config), *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    def his(self) -> HisClient:
        c = self.server.demo["callers"][0]
        return HisClient(self.server.method_url, c["appid"], c["key"])

    def terminal(self) -> HisClient:
        c = next(c for c in self.server.demo["callers"] if c["appid"] == "TERM01")
        return HisClient(f"http://127.0.0.1:{self.server.port}/terminal/api", c["appid"], c["key"])

    def scalar(self, sql: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()

    def wait_stock(self) -> None:
        """The worker has reserved an active server block with numbers left."""
        deadline = time.monotonic() + 30
        while not self.scalar("SELECT count(*) FROM stock_ranges WHERE kind = 'emergency_server' AND state = 'active'"
                              " AND next_no <= CAST(end_no AS INTEGER)"):
            assert time.monotonic() < deadline, "no emergency stock reserved"
            time.sleep(0.1)

    def wait_drained(self) -> None:
        deadline = time.monotonic() + 60
        while self.scalar("SELECT count(*) FROM outbox WHERE state = 'pending'"):
            assert time.monotonic() < deadline, "outbox did not drain"
            time.sleep(0.1)
        assert not self.scalar("SELECT count(*) FROM outbox WHERE state = 'dead'"), "an outbox item died"

    def issue(self, count: int, *, emergency: bool) -> list[tuple[str, str]]:
        """``count`` bills; with ``emergency`` the platform is down meanwhile (server stock)."""
        if emergency:
            self.sim.stop()
        his, out = self.his(), []
        try:
            for _ in range(count):
                answer = his.ok("invoiceEBillOutpatient", dict(SAMPLE, busNo=f"RD{uuid.uuid4().hex[:16]}"))
                assert answer.get("emergency", "0") == ("1" if emergency else "0"), answer
                out.append((answer["billBatchCode"], answer["billNo"]))
        finally:
            his.close()
            if emergency:
                self.sim.start()
        return out

    def close(self) -> None:
        self.engine.dispose()
        self.server.stop()
        self.sim.stop()
        if self.db.get("database_schema"):
            drop_pg_schema(self.db["database_schema"])


@pytest.fixture(params=["sqlite", "postgresql"])
def drill(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Drill]:
    d = Drill(tmp_path, request.param)
    try:
        yield d
    finally:
        d.close()


def _block(got: dict[str, Any]) -> tuple[str, int, int]:
    return got["billBatchCode"], int(got["billBgnNo"]), int(got["billEndNo"])


def test_restore_to_an_older_backup_never_reuses_an_emergency_number(drill: Drill) -> None:
    drill.server.start()
    drill.wait_stock()
    online = drill.issue(3, emergency=False)
    before = drill.issue(3, emergency=True)
    drill.wait_drained()

    done = drill.admin("backup", "--dir", str(drill.work / "backups"), "--keep", "2")  # the server is running
    assert done.returncode == 0, done.stderr
    folder = Path(json.loads(done.stdout)["backup"])
    assert (folder / "manifest.json").exists() and (folder / "keys" / "data.key").exists()
    assert oct(folder.stat().st_mode & 0o777) == "0o700"

    after = drill.issue(4, emergency=True)  # numbers the backup does not know
    drill.wait_drained()  # carried forward: the platform knows they were used
    term_block = _block(drill.terminal().ok("emergencyStock", {"placeCode": "001", "count": 10}))
    online += drill.issue(2, emergency=False)

    refused = drill.admin("restore", str(folder), "--operator", "张三")
    assert refused.returncode == 1 and "E5161" in refused.stderr and "停止" in refused.stderr  # server running
    drill.server.stop()
    restored = drill.admin("restore", str(folder), "--operator", "张三")
    assert restored.returncode == 0, restored.stderr
    assert drill.scalar("SELECT count(*) FROM bills") == 6  # the older state

    drill.server.start()
    report = json.loads(drill.admin("restore-report").stdout)
    assert report["restoredFrom"]["created"] == folder.name.removeprefix("sync_server-")
    assert report["retired"], "the restored server blocks are retired"
    # the platform's state wins: the tail the restored database thought unused holds numbers
    # issued after the backup, which the platform refuses to take back -> a reported conflict
    conflict = report["conflicts"][0]
    assert conflict["billBatchCode"] == after[0][0] and after[0][1] >= conflict["billBgnNo"]
    assert after[0][1] in conflict["message"] or "已开具" in conflict["message"]
    assert drill.scalar("SELECT count(*) FROM audit_log WHERE action = 'restore_reconciled'") == 1

    drill.wait_stock()  # a fresh block from the platform
    again = drill.issue(4, emergency=True)
    used = set(online) | set(before) | set(after)
    assert not set(again) & used, f"emergency number reused after restore: {set(again) & used}"
    for batch, no in again:
        assert not (batch == term_block[0] and term_block[1] <= int(no) <= term_block[2])
    drill.wait_drained()  # the new emergency bills carry forward: the platform accepts their numbers
    new_term_block = _block(drill.terminal().ok("emergencyStock", {"placeCode": "001", "count": 10}))
    assert new_term_block[0] != term_block[0] or new_term_block[1] > term_block[2] or new_term_block[2] < term_block[1]
    assert not drill.scalar("SELECT count(*) FROM conflicts")
    for (batch, no), bus in zip(again, range(len(again)), strict=True):
        del bus
        assert drill.scalar(f"SELECT count(*) FROM bills WHERE bill_batch_code = '{batch}' AND bill_no = '{no}'"
                            " AND state = 'issued'") == 1


def test_backup_keeps_the_newest_n_and_refuses_another_database_kind(tmp_path: Path) -> None:
    from sync_server.backup.archive import make_backup, prune, restore_backup
    from sync_server.backup.errors import RestoreRefused
    from sync_server.config import load_config

    sim = Simulator(tmp_path / "fin").start()
    server = ServerProcess(tmp_path / "srv", sim.url).start()
    try:
        cfg = load_config({"data_dir": str(tmp_path / "srv")})
        made = [make_backup(cfg, tmp_path / "b") for _ in range(3)]
        assert prune(tmp_path / "b", 2) == made[:1]
        assert sorted((tmp_path / "b").iterdir()) == made[1:]
        manifest = json.loads((made[-1] / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["kind"] == "sqlite" and manifest["revision"]
        (made[-1] / "manifest.json").write_text(json.dumps(manifest | {"kind": "postgresql"}), encoding="utf-8")
        with pytest.raises(RestoreRefused) as err:
            restore_backup(cfg, made[-1])
        assert "postgresql" in err.value.message
        with pytest.raises(RestoreRefused):
            restore_backup(cfg, tmp_path / "nowhere")
    finally:
        server.stop()
        sim.stop()
