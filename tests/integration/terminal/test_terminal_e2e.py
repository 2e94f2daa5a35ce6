"""End to end through the headless runtime: online bill, server down, emergency bills with the
banner on the printed notice (TCP printer rig), server up, upload, every bill on the server once.

The server is the test-only stand-in of tests/integration/terminal/standin.py (real HTTP on
127.0.0.1) implementing docs/EMERGENCY.md's wire contract; the real sync_server endpoint is
another engineer's work.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.terminal.helpers import METHOD, Terminal, outpatient, write_config


def _next_document(rig):  # type: ignore[no-untyped-def]
    """The next printed job: the rig decodes everything received so far, so clear it after."""
    doc = rig.wait_document(timeout=20.0)
    rig.clear()
    return doc


pytestmark = pytest.mark.integration


def _wait(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_online_outage_emergency_and_carry_forward(tmp_path: Path, server, escpos_rig, terminal_key) -> None:
    cfg = write_config(tmp_path / "t1", server.url, private_key=terminal_key, printer_port=escpos_rig.port,
                       maintain_interval=0.2)
    term = Terminal(cfg)
    try:
        block = term.call("stock_out", count=20, operator="收费员01")
        assert block["bgnNo"] == "0009000000"
        online = term.call("issue", method=METHOD, request=outpatient("E2E-ON"), print=True)
        assert online["outcome"]["mode"] == "online" and online["print"]["printed"]
        doc = _next_document(escpos_rig)
        assert "应急" not in doc.text and online["outcome"]["billNo"] in doc.text

        server.stop()
        _wait(lambda: not term.call("status")["linkUp"])
        status = term.call("status")
        assert status["linkEvents"][-1]["up"] is False
        emergency = []
        for i in range(3):
            got = term.call("issue", method=METHOD, request=outpatient(f"E2E-EM-{i}"), print=True)
            assert got["outcome"]["mode"] == "emergency" and got["print"]["printed"], got
            emergency.append(got["outcome"])
            doc = _next_document(escpos_rig)
            assert "应急票据" in doc.text and got["outcome"]["billNo"] in doc.text and got["outcome"]["random"] in doc.text
        assert [e["billNo"] for e in emergency] == ["0009000000", "0009000001", "0009000002"]
        assert term.call("status")["pendingUploads"] == 3

        server.start()  # same port
        _wait(lambda: term.call("status")["pendingUploads"] == 0)
        status = term.call("status")
        assert status["linkUp"] and status["linkEvents"][-1]["up"] is True
        uploaded = {(p["billNo"], p["random"]) for p in server.state.uploads.values()}
        assert uploaded == {(e["billNo"], e["random"]) for e in emergency}  # printed number and check code
        assert len(server.state.upload_calls) == 3  # each exactly once
        # The chain restarted from the online acknowledgement (fiskaly's seed rule).
        first = min(server.state.uploads.values(), key=lambda p: p["seq"])
        assert first["chainSeed"]["billNo"] == online["outcome"]["billNo"]
    finally:
        term.stop()


def test_second_runtime_on_the_same_data_dir_refuses_to_start(tmp_path: Path, server, terminal_key) -> None:
    import subprocess
    import sys

    from tests.integration.terminal.helpers import ROOT

    cfg = write_config(tmp_path / "t1", server.url, private_key=terminal_key)
    term = Terminal(cfg)
    try:
        second = subprocess.run([sys.executable, "-m", "workflows.terminal", "--config", str(cfg)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "E8703" in second.stderr
        assert term.call("ping")["terminalId"] == "T1"  # the first one is unharmed
    finally:
        term.stop()


def test_cli_sends_one_command_to_a_running_terminal(tmp_path: Path, server, terminal_key) -> None:
    import json
    import subprocess
    import sys

    from tests.integration.terminal.helpers import ROOT

    cfg = write_config(tmp_path / "t1", server.url, private_key=terminal_key)
    term = Terminal(cfg)
    try:
        out = subprocess.run([sys.executable, "-m", "workflows.terminal", "--config", str(cfg), "--cmd", "stock_out",
                              "--args", '{"count": 3}'], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        assert answer["ok"] and answer["result"]["endNo"] == "0009000002"
        assert term.call("status")["stockRemaining"] == 3
    finally:
        term.stop()
