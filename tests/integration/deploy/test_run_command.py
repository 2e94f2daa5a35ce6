"""The run command's launcher (scripts/demo.py, what scripts/run.sh execs): starts the simulators
and the server, prints the sync server, the terminal-management web ``/admin/`` URL and the demo
credentials, accepts every ``--app`` choice, and stops everything it started on SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.rigs.stack import ROOT, free_port

pytestmark = pytest.mark.integration


def test_the_launcher_prints_the_admin_web_url_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("finance", "server", "his", "payment", "insurance")}
    proc = subprocess.Popen(
        [sys.executable, "scripts/demo.py", "--no-app", "--app", "all", "--data-dir", str(tmp_path / "demo"),
         "--finance-port", str(ports["finance"]), "--server-port", str(ports["server"]),
         "--his-port", str(ports["his"]), "--payment-port", str(ports["payment"]),
         "--insurance-port", str(ports["insurance"])],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while not any("Ctrl-C" in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            lines.append(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        proc.stdout.close()
    text = "".join(lines)
    assert f"http://127.0.0.1:{ports['server']}/admin/" in text
    assert f"http://127.0.0.1:{ports['server']}/medical-web/api/medical" in text
    assert "用户 admin: admin01 / " in text  # the account that logs in to /admin/
    assert f"http://127.0.0.1:{ports['insurance']}" in text  # insured settlement works in the demo


def test_every_app_choice_is_accepted() -> None:
    done = subprocess.run([sys.executable, "scripts/demo.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert "cashier,kiosk,ward,all" in done.stdout
