"""Server-side alarms from terminals' heartbeats: low-stock warning, upload-overdue alarm, and a
silent terminal holding emergency stock (real sync server and finance simulator processes)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from billing_core.clock import SystemClock, ts17
from tests.integration.emergency.rig import Platform, Server, terminal

pytestmark = pytest.mark.integration


def _codes(answer: dict) -> set[str]:  # type: ignore[type-arg]
    return {a["code"] for a in answer["alarms"]}


def test_low_stock_warning_from_the_terminal_heartbeat(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    _platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "t")
    try:
        assert t.wf.register_key()
        t.wf.request_stock(5, "收费员01")
        body = t.wf._heartbeat_body()  # noqa: SLF001 - exactly what the terminal's round sends
        assert body["stockRemaining"] == 5
        beat = t.sync.heartbeat(body).payload()
        assert "E5421" in _codes(beat)
        warning = next(a for a in beat["alarms"] if a["code"] == "E5421")
        assert "TERM01" in warning["message"] and "5张" in warning["message"]
        code, listed = server.admin("alarms")
        assert any(a["terminal_id"] == "TERM01" and a["code"] == "E5421" for a in listed["alarms"])
        t.wf.request_stock(30, "收费员01")  # topped up: the warning clears
        assert "E5421" not in _codes(t.sync.heartbeat(t.wf._heartbeat_body()).payload())  # noqa: SLF001
    finally:
        t.close()


def test_overdue_alarm_and_silent_terminal(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    _platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "t")
    try:
        assert t.wf.register_key()
        t.wf.request_stock(30, "收费员01")
        old = ts17(SystemClock().now() - timedelta(hours=30))
        beat = t.sync.heartbeat({"terminalId": "TERM01", "placeCode": "001", "stockRemaining": 30,
                                 "pendingUploads": 3, "oldestPending": old}).payload()
        assert "E5420" in _codes(beat)
        assert "3张" in next(a for a in beat["alarms"] if a["code"] == "E5420")["message"]
        fresh = ts17(SystemClock().now() - timedelta(hours=1))
        beat = t.sync.heartbeat({"terminalId": "TERM01", "placeCode": "001", "stockRemaining": 30,
                                 "pendingUploads": 3, "oldestPending": fresh}).payload()
        assert "E5420" not in _codes(beat)  # within the deadline: cleared
        # A terminal holding stock and silent for longer than the deadline (here 2 s) raises E5422.
        code, _ = server.admin("set", "terminal_upload_deadline_hours", str(2 / 3600))
        assert code == 0
        time.sleep(2.5)
        _code, listed = server.admin("alarms")
        assert any(a["terminal_id"] == "TERM01" and a["code"] == "E5422" for a in listed["alarms"]), listed
        assert "E5422" not in _codes(t.sync.heartbeat(t.wf._heartbeat_body()).payload())  # noqa: SLF001
    finally:
        server.admin("set", "terminal_upload_deadline_hours", "24")
        t.close()
