"""The Linux server bundle (build_spec/server.spec) is built with PyInstaller and smoke-run:
``--self-test`` passes, a bundle that lost a migration fails it naming the database check, and
the bundled server serves: ``/health`` answers and a signed HIS call issues a bill through the
finance simulator (issue 19 §3). The bundle is built once per session (conftest.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.rigs.stack import ROOT, HisClient, Simulator, free_port, stop_process, wait_port

pytestmark = pytest.mark.integration

OUTPATIENT = json.loads((ROOT / "tests" / "fixtures" / "requests" / "outpatient.json").read_text(encoding="utf-8"))


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    simulator = Simulator(tmp_path / "finance").start()
    yield simulator
    simulator.stop()


def test_bundle_self_test_passes(bundle: Path) -> None:
    done = subprocess.run([str(bundle), "--self-test"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(("通过", "失败"))]
    assert len(lines) == 4 and all(ln.startswith("通过") for ln in lines), done.stdout
    assert "数据库版本" in done.stdout and "/health 200" in done.stdout


def test_bundle_missing_a_migration_fails_its_self_test(bundle: Path, tmp_path: Path) -> None:
    broken = tmp_path / "sync-server"
    shutil.copytree(bundle.parent, broken, symlinks=True)
    versions = broken / "_internal" / "sync_server" / "store" / "migrations" / "versions"
    newest = sorted(versions.glob("0*.py"))[-1]
    newest.unlink()
    done = subprocess.run([str(broken / "sync-server"), "--self-test"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "失败  数据库迁移与服务启动" in done.stdout, done.stdout


def test_bundled_server_serves_and_issues_a_bill(bundle: Path, sim: Simulator, tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "server"
    proc = subprocess.Popen([str(bundle), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port),
                             "--data-dir", str(data), "--finance-url", sim.url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc, timeout=60)
        health = requests.get(f"http://127.0.0.1:{port}/health", timeout=10)
        assert health.status_code == 200 and health.json()["database"] is True
        caller = json.loads((data / "demo.json").read_text(encoding="utf-8"))["callers"][0]
        his = HisClient(f"http://127.0.0.1:{port}/medical-web/api/medical", caller["appid"], caller["key"])
        bus_no = f"PKG{int(time.time() * 1000)}"
        bill = his.ok("invoiceEBillOutpatient", dict(OUTPATIENT, busNo=bus_no))
        his.close()
        assert bill["billNo"] and bill["billBatchCode"]
        assert [(b, n) for b, n, _ in sim.platform_bills(bus_no)] == [(bill["billBatchCode"], bill["billNo"])]
    finally:
        stop_process(proc)
