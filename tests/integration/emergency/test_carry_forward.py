"""Terminal emergency bills through the real sync server onto the real finance simulator:
upload (signature, chain, block), carry-forward with the printed number and check code,
duplicates, conflicts, the carry-forward report and its diff against the platform."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from billing_core.bills import validate_request
from billing_core.envelope import dumps
from offline_store import journal
from tests.integration.emergency.rig import METHOD, Platform, Server, outpatient, terminal, wait
from workflows.emergency.issuer import upload_payload
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


def _day(ts: str) -> str:
    """yyyy-MM-dd of a ts17 issue time (the terminal's clock, China time)."""
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}"


def _uid(tag: str) -> str:
    return f"{tag}-{time.time_ns()}"


def test_carry_forward_duplicates_and_report(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "t1")
    try:
        assert t.wf.register_key()
        t.wf.request_stock(20, "收费员01")
        online = t.wf.issue(METHOD, outpatient(_uid("CF-ON")))
        assert online.mode == "online"
        bills = [t.wf.issue_emergency(METHOD, outpatient(_uid(f"CF-EM{i}"), f"{10 + i}.50")) for i in range(4)]
        report = t.wf.upload_pending()
        assert (report.accepted, report.rejected, report.conflicts, report.remaining) == (4, 0, 0, 0), report
        for b in bills:  # each on the platform exactly as printed
            got = wait(lambda b=b: platform.bill_by_bus_no(b.bus_no), 30, f"carry-forward of {b.bus_no}")
            assert (got["billBatchCode"], got["billNo"], got["random"]) == (b.bill_batch_code, b.bill_no, b.random)
        # A re-sent batch (answer lost on the terminal side) answers duplicate and uploads nothing again.
        entries = [journal.by_bus_no(t.db, b.bus_no) for b in bills]
        again = t.sync.upload_emergency_bills("TERM01", [upload_payload(e) for e in entries if e is not None])
        assert [r["status"] for r in again.message["results"]] == ["duplicate"] * 4
        time.sleep(0.5)
        uploads = [c for c in platform.calls("uploadEmergencyEBill") if c["bus_no"] in {b.bus_no for b in bills}]
        assert len(uploads) == 4 and all(c["result"] == "S0000" for c in uploads)

        day = _day(bills[0].create_time)
        code, rep = server.admin("report", "--day", day, "--terminal", "TERM01")
        sec = rep["terminals"]["TERM01"]
        assert code == 0 and rep["clean"], rep
        assert sec["counts"]["received"] == 4 and sec["counts"]["carried"] == 4 and sec["counts"]["pending"] == 0
        assert sec["amounts"]["carried"] == f"{10.5 + 11.5 + 12.5 + 13.5:.2f}"
        assert sec["diff"]["platformCount"] == 4 and not sec["diff"]["platformOnly"]

        # Behind the server's back: a number of the terminal's block carried onto the platform
        # directly. The report names it and is no longer clean.
        last = bills[-1]
        stray_no = str(int(last.bill_no) + 5).zfill(len(last.bill_no))
        stray = outpatient(_uid("CF-STRAY"), "1.00")
        norm = json.loads(dumps(validate_request(METHOD, stray)))
        platform.client().call("uploadEmergencyEBill", {
            "billType": "outpatient", "bill": norm, "billBatchCode": last.bill_batch_code, "billNo": stray_no,
            "random": "abcdef", "issueTime": last.create_time, "terminalId": "TERM01"})
        code, rep = server.admin("report", "--day", day, "--terminal", "TERM01")
        assert code == 1 and not rep["clean"]
        assert [x["billNo"] for x in rep["terminals"]["TERM01"]["diff"]["platformOnly"]] == [stray_no]
    finally:
        t.close()


def test_conflict_with_a_bill_issued_elsewhere(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "t1")
    his = server.caller("HIS01")
    his_client = SyncClient(server.url, "HIS01", his["key"], connect_timeout=1, read_timeout=30)
    try:
        assert t.wf.register_key()
        t.wf.request_stock(5, "收费员01")
        assert t.wf.issue(METHOD, outpatient(_uid("CO-ON"))).mode == "online"
        bus = _uid("CO-SAME")
        his_bill = his_client.his(METHOD, outpatient(bus)).payload()  # HIS issued it through the server
        em = t.wf.issue_emergency(METHOD, outpatient(bus), in_doubt=True)
        report = t.wf.upload_pending()
        assert report.conflicts == 1 and report.accepted == 0, report
        detail = report.details[0]
        assert detail["status"] == "conflict" and em.bill_no in detail["message"]
        got = platform.bill_by_bus_no(bus)
        assert got is not None and got["billNo"] == his_bill["billNo"]  # the platform's bill is kept
        assert t.wf.status().conflicts == 1
        day = _day(em.create_time)
        _code, rep = server.admin("report", "--day", day, "--terminal", "TERM01")
        conflicts = rep["terminals"]["TERM01"]["conflicts"]
        assert any(c["billNo"] == em.bill_no and c["keptBillNo"] == his_bill["billNo"] for c in conflicts)
        assert not rep["terminals"]["TERM01"]["diff"]["voidedButOnPlatform"]
    finally:
        t.close()
