"""End to end through the Qt-free workflow against real ``python -m sync_server`` and
``python -m simulators.finance`` processes: online bill, server down, emergency bills with the
EMERGENCY banner on the printed notice (TCP ESC/POS printer rig + the devices escpos driver),
server up, carry-forward onto the platform with the printed numbers, reconciliation clean."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.emergency.rig import (
    METHOD,
    ROOT,
    Platform,
    Server,
    link_back,
    outpatient,
    terminal,
    wait,
)
from tests.rigs.fixtures import escpos_rig  # noqa: F401  (re-export the printer rig fixture)
from workflows.terminal.builder import build_printer

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Platform, Server]]:
    platform = Platform(tmp_path).start()
    server = Server(tmp_path, platform).start()
    try:
        yield platform, server
    finally:
        server.stop()
        platform.stop()


def _printed(rig) -> str:  # type: ignore[no-untyped-def]
    doc = rig.wait_document(timeout=20.0)
    rig.clear()
    return str(doc.text)


def test_online_outage_emergency_print_carry_forward_reconcile(stack, escpos_rig, tmp_path: Path) -> None:  # noqa: F811
    platform, server = stack
    printer = build_printer({"driver": "escpos", "host": "127.0.0.1", "port": escpos_rig.port, "timeout": 3})
    t = terminal(server, "TERM01", tmp_path / "term", printer=printer)
    try:
        assert t.wf.register_key()
        t.wf.refresh_catalog()
        block = t.wf.request_stock(10, "收费员01")
        online = t.wf.issue(METHOD, outpatient(f"E2E-ON-{time.time_ns()}"))
        assert online.mode == "online"
        assert t.wf.print_notice(online).printed
        text = _printed(escpos_rig)
        assert "应急" not in text and online.bill_no in text

        server.stop()  # the sync server goes away
        emergency = []
        for i in range(3):
            out = t.wf.issue(METHOD, outpatient(f"E2E-EM{i}-{time.time_ns()}", f"{20 + i}.00"))
            assert out.mode == "emergency" and not out.in_doubt
            assert t.wf.print_notice(out).printed
            text = _printed(escpos_rig)
            assert "应急票据" in text and out.bill_no in text and out.random in text
            emergency.append(out)
        assert [e.bill_no for e in emergency] == [block.number(block.bgn_no + i) for i in range(3)]
        assert not t.wf.status().link_up and t.wf.status().pending_uploads == 3

        server.start()  # back on the same port
        link_back(t)
        done = t.wf.maintain()  # the runtime's round: heartbeat, key, upload, returns
        assert done["upload"]["accepted"] == 3, done
        for e in emergency:  # on the platform exactly as printed
            got = wait(lambda e=e: platform.bill_by_bus_no(e.bus_no), 30, f"carry-forward of {e.bus_no}")
            assert (got["billBatchCode"], got["billNo"], got["random"]) == (e.bill_batch_code, e.bill_no, e.random)
        assert t.wf.status().pending_uploads == 0
        day = f"{online.create_time[:4]}-{online.create_time[4:6]}-{online.create_time[6:8]}"
        wait(lambda: server.admin("report", "--day", day)[0] == 0, 30, "carry-forward report clean")
        rec = subprocess.run([sys.executable, "-m", "sync_server", "reconcile", "--data-dir", str(server.data_dir),
                              "--finance-url", server.finance_url, "--day", day], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
        assert rec.returncode == 0, rec.stdout + rec.stderr  # local records and platform agree
    finally:
        t.close()
