"""申退 reaching the platform, revocation of a lost terminal's block, and an emergency write-off
queued behind its carry-forward — real sync server and finance simulator processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from offline_store import stock
from tests.integration.emergency.rig import (
    METHOD,
    Platform,
    Server,
    forged_upload,
    outpatient,
    terminal,
    wait,
)
from workflows.errors import NoStockError

pytestmark = pytest.mark.integration


def _uid(tag: str) -> str:
    return f"{tag}-{time.time_ns()}"


def test_stock_return_reaches_the_platform(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "t")
    try:
        assert t.wf.register_key()
        block = t.wf.request_stock(10, "收费员01")
        assert t.wf.issue(METHOD, outpatient(_uid("RT-ON"))).mode == "online"
        used = [t.wf.issue_emergency(METHOD, outpatient(_uid(f"RT-EM{i}"), "5.00")) for i in range(2)]
        assert t.wf.upload_pending().accepted == 2
        mark = max([c["id"] for c in platform.calls()] or [0])
        results = t.wf.return_stock("交班申退")
        assert len(results) == 1 and results[0].acknowledged, results
        first_free = block.number(block.bgn_no + 2)
        calls = [c for c in platform.calls("emergencyStockReturn") if c["id"] > mark]
        assert len(calls) == 1 and calls[0]["result"] == "S0000"
        # A repeat (the terminal re-sends when the answer was lost) is answered success, not forwarded again.
        again = t.sync.emergency_stock_return("001", block.bill_batch_code, first_free, block.number(block.end_no),
                                              "交班申退")
        assert again.ok
        assert len([c for c in platform.calls("emergencyStockReturn") if c["id"] > mark]) == 1
        # Returned numbers are refused afterwards: by the server on upload and by the platform.
        forged = forged_upload(t, block.bill_batch_code, first_free, _uid("RT-FORGED"))
        res = t.sync.upload_emergency_bills("TERM01", [forged]).message["results"][0]
        assert res["result"] == "E5407", res
        from sync_server.connectors.errors import PlatformRejected
        with pytest.raises(PlatformRejected) as exc:
            platform.client().call("uploadEmergencyEBill", {k: forged[k] for k in (
                "billType", "bill", "billBatchCode", "billNo", "random", "issueTime", "terminalId")})
        assert exc.value.code == "E4013"
        # A range with an uploaded number cannot be returned.
        bad = t.sync.emergency_stock_return("001", block.bill_batch_code, used[0].bill_no, used[1].bill_no, "错误申退")
        assert bad.result == "E5412"
    finally:
        t.close()


def test_revocation_of_a_lost_terminal(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    t = terminal(server, "KIOSK01", tmp_path / "k")
    try:
        assert t.wf.register_key()
        t.wf.request_stock(10, "自助机")
        assert t.wf.issue(METHOD, outpatient(_uid("RV-ON")) | {"placeCode": t.place}).mode == "online"
        before = t.wf.issue_emergency(METHOD, outpatient(_uid("RV-BEFORE"), "8.00") | {"placeCode": t.place})
        time.sleep(0.01)
        code, out = server.admin("revoke", "KIOSK01", "--reason", "自助机被盗", "--operator", "finance01")
        assert code == 0 and len(out["revoked"]) == 1
        time.sleep(0.01)
        # The lost terminal, not yet told, keeps issuing offline: those bills are refused.
        after = t.wf.issue_emergency(METHOD, outpatient(_uid("RV-AFTER"), "9.00") | {"placeCode": t.place})
        report = t.wf.upload_pending()
        assert report.accepted == 1 and report.rejected == 1, report
        refused = next(d for d in report.details if d["billNo"] == after.bill_no)
        assert refused["result"] == "E5408" and refused["status"] == "rejected"
        got = wait(lambda: platform.bill_by_bus_no(before.bus_no), 30, "carry-forward before revocation")
        assert got["billNo"] == before.bill_no
        assert platform.bill_by_bus_no(after.bus_no) is None
        # The heartbeat tells the terminal: its block stops issuing.
        beat = t.sync.heartbeat({"terminalId": "KIOSK01", "placeCode": t.place})
        assert [b["billBgnNo"] for b in beat.message["revokedBlocks"]] == [stock.blocks(t.db)[0].number(
            stock.blocks(t.db)[0].bgn_no)]
        t.wf.maintain()
        assert all(b.state == "revoked" for b in stock.blocks(t.db))
        with pytest.raises(NoStockError):
            t.wf.issue_emergency(METHOD, outpatient(_uid("RV-LATER"), "1.00") | {"placeCode": t.place})
        code, out = server.admin("revoke", "KIOSK01", "--reason", "再次收回", "--operator", "finance01")
        assert code == 2 and out["error"] == "E5413"
    finally:
        t.close()


def test_emergency_write_off_waits_for_its_carry_forward(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    t = terminal(server, "TERM01", tmp_path / "w")
    try:
        assert t.wf.register_key()
        t.wf.request_stock(5, "收费员01")
        assert t.wf.issue(METHOD, outpatient(_uid("WO-ON"))).mode == "online"
        em = t.wf.issue_emergency(METHOD, outpatient(_uid("WO-EM"), "20.00"))
        mark = max([c["id"] for c in platform.calls()] or [0])
        platform.faults(down=4)  # the platform goes away: the server keeps the bill and queues
        time.sleep(0.3)
        assert t.wf.upload_pending().accepted == 1
        red = t.sync.his("writeOffEBill", {"billBatchCode": em.bill_batch_code, "billNo": em.bill_no,
                                           "reason": "退费", "operator": "收费员01",
                                           "busDateTime": "20261123100000000", "placeCode": "001"}).payload()
        assert red["queued"] == "1"
        state = wait(lambda: _scarlet(platform, em.bill_batch_code, em.bill_no), 60, "queued write-off delivered")
        assert state["isScarlet"] == "1"
        calls = [c for c in platform.calls() if c["id"] > mark]
        upload = next(c for c in calls if c["method"] == "uploadEmergencyEBill" and c["result"] == "S0000"
                      and c["bus_no"] == em.bus_no)
        offs = [c for c in calls if c["method"] == "writeOffEBill"]
        assert offs and all(c["id"] > upload["id"] for c in offs)  # never before the bill existed there
    finally:
        t.close()


def _scarlet(platform: Platform, code: str, no: str) -> dict | None:  # type: ignore[type-arg]
    from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
    try:
        got = platform.state(code, no)
    except (PlatformRejected, PlatformUnreachable):
        return None
    return got if str(got.get("isScarlet")) == "1" else None
