"""Issue 14 items 1-3: a caller acts on and reads only the bills of its own billing points, over
HTTP against the in-process server and the real finance simulator, on SQLite and PostgreSQL.

The demo callers: HIS01 is granted 001-004, HIS02 only 005 (sync_server.seed).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from ss_rig import HisClient, ServerThread, load_sample, other_sample

from sync_server.store.db import read_tx
from sync_server.store.schema import bills, paper_bills

pytestmark = pytest.mark.integration

P_BATCH = "44060126"  # the simulator's machine-printed paper batch (docs/FINANCE_SIMULATOR.md)


def bus_no(prefix: str = "AZ") -> str:
    return f"{prefix}{uuid.uuid4().hex[:20]}"


def issue(his: HisClient, place: str = "001", **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    bill = load_sample("outpatient.json") | {"busNo": bus_no(), "placeCode": place} | changes
    return bill, his.ok("invoiceEBillOutpatient", bill)


def ref(answer: dict[str, Any]) -> dict[str, str]:
    return {"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"]}


def refused(his: HisClient, method: str, data: dict[str, Any]) -> str:
    """The failure code of a call that must not succeed."""
    result, message = his.call(method, data)
    assert result != "S0000", f"{his.appid} {method} answered S0000: {message}"
    return result


def row_of(srv: ServerThread, answer: dict[str, Any]) -> Any:
    with read_tx(srv.ctx.engine) as conn:
        return conn.execute(select(bills).where((bills.c.bill_batch_code == answer["billBatchCode"])
                                                & (bills.c.bill_no == answer["billNo"]))).mappings().one()


# -- item 1: changes check the place of the bill, however it is found ----------------------------

def test_invalid_paper_of_another_points_bill_is_refused(server: ServerThread) -> None:
    owner, other = server.his(0), server.his(1)  # HIS01 (001-004), HIS02 (005 only)
    _, ans = issue(owner)
    paper = str(owner.ok("getPaperBillNo", {"placeCode": "001", "pBillBatchCode": P_BATCH})["pBillNo"])
    owner.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": paper})
    # the paper number alone names the bill; the caller's own point in placeCode must not help
    attack = other_sample("invalidPaper") | {"pBillBatchCode": P_BATCH, "pBillNo": paper, "placeCode": "005"}
    assert refused(other, "invalidPaper", attack) == "E2011"
    row = row_of(server, ans)
    assert row["is_scarlet"] == 0 and row["is_prt_paper"] == 1
    with read_tx(server.ctx.engine) as conn:
        assert conn.execute(select(paper_bills.c.state).where(paper_bills.c.bill_id == row["id"])).scalar() == "issued"
    # the same by e-bill number, and the owner still can
    assert refused(other, "writeOffEBillToPaper", other_sample("writeOffEBillToPaper") | ref(ans)
                   | {"placeCode": "005"}) == "E2011"
    owner.ok("invalidPaper", attack | {"placeCode": "001"})
    assert row_of(server, ans)["is_scarlet"] == 1


# -- item 2: answers cover the caller's points only ------------------------------------------------

def test_queries_answer_only_the_callers_points(server: ServerThread) -> None:
    owner, other = server.his(0), server.his(1)
    card = f"C{uuid.uuid4().hex[:16]}"
    bill, ans = issue(owner, cardNo=card)
    mine, mine_ans = issue(other, place="005", cardNo=card)
    by_busno = {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]}
    assert owner.ok("getEBillByBusNo", by_busno)["billNo"] == ans["billNo"]
    # not found, as any missing bill: E2011 "not granted point 001" would tell it exists
    result, message = other.call("getEBillByBusNo", by_busno)
    assert result == "E5022" and "001" not in str(message), message
    assert other.ok("getEBillByBusNo", {"busNo": mine["busNo"], "busDateTime": mine["busDateTime"]})["billNo"] \
        == mine_ans["billNo"]

    # reconciliation without placeCode: the caller's own points
    wide = {"busBgnDate": "20000101000000000", "busEndDate": "20991231235959999", "pageNo": 1, "pageSize": 200}
    seen = other.ok("getBillByBusDate", wide)["billList"]
    assert {r["placeCode"] for r in seen} == {"005"} and mine["busNo"] in {r["busNo"] for r in seen}
    day = f"{bill['busDateTime'][:4]}-{bill['busDateTime'][4:6]}-{bill['busDateTime'][6:8]}"
    total = other.ok("checkTotalData", {"busDate": day, "isReturnList": "1", "pageNo": 1, "pageSize": 200})
    assert {r["placeCode"] for r in total["billNoList"]} <= {"005"}
    with read_tx(server.ctx.engine) as conn:
        at_005 = conn.execute(select(func.count()).select_from(bills).where(
            (bills.c.place_code == "005") & (bills.c.state == "issued")
            & (bills.c.bus_date_time.like(bill["busDateTime"][:8] + "%")))).scalar_one()
    assert int(total["allTotalNum"]) <= at_005
    assert "001" in {r["placeCode"] for r in owner.ok("getBillByBusDate", wide)["billList"]}

    # patient lists (answered by the platform while it is up): the other point's bill is left out
    unprinted = {"busBgnDate": "20000101000000000", "busEndDate": "20991231235959999", "cardType": "1102",
                 "cardNo": card, "pageNo": 1, "pageSize": 50}
    for method in ("getNotPrintList", "getEBillUnPrintList"):
        listed = {r["billNo"] for r in other.ok(method, unprinted)["billList"]}
        assert ans["billNo"] not in listed and mine_ans["billNo"] in listed, method
        assert ans["billNo"] in {r["billNo"] for r in owner.ok(method, unprinted)["billList"]}, method

    # another caller's batch is not answered
    batch = bus_no("AZB")
    owner.ok("batchInvoiceEBillOutpatient", {"batchNo": batch, "eBillList": [
        load_sample("outpatient.json") | {"busNo": bus_no("AZI"), "placeCode": "001"}]})
    deadline = time.monotonic() + 30
    while str(owner.ok("getBatchInvoiceEBill", {"batchNo": batch})["eBillList"][0]["status"]) != "1":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    refused(other, "getBatchInvoiceEBill", {"batchNo": batch})


def test_queries_and_changes_about_a_bill_the_server_never_saw_are_checked(server: ServerThread,
                                                                            sim: Any) -> None:
    """A bill HIS01 issued straight at the platform (no local record) at its point 001: HIS02
    (005 only) asking the platform-only queries by its number is answered not found; HIS01 is
    answered. The check code for the point lookup comes from the request or the answer."""
    import json as _json
    from pathlib import Path as _Path

    demo = _json.loads((_Path(sim.data_dir) / "demo.json").read_text(encoding="utf-8"))
    platform_caller = demo["callers"][0]
    direct = HisClient(sim.url, platform_caller["appid"], platform_caller["key"])
    try:
        _, ans = issue(direct)  # at 001, the platform's own record only
        with read_tx(server.ctx.engine) as conn:
            assert conn.execute(select(func.count()).select_from(bills).where(
                bills.c.bill_no == ans["billNo"])).scalar_one() == 0
        owner, other = server.his(0), server.his(1)
        asks = {"getEBillPicUrl": ref(ans) | {"random": ans["random"], "channelMode": "1"},
                "getEBillAccountStatus": ref(ans) | {"random": ans["random"], "createTime": ans["createTime"]},
                "getEBillNotifyPic": ref(ans) | {"isReturnPic": "0"}}  # no check code in the request
        for method, data in asks.items():
            assert refused(other, method, data) == "E5022", method
            owner.ok(method, data)
        # a change on it: its point is asked of the platform, so the grant is checked all the same
        write_off = other_sample("writeOffEBill") | ref(ans)
        assert refused(other, "writeOffEBill", write_off | {"placeCode": "005"}) == "E2011"
        assert str(direct.ok("getEBillStatesByBillInfo", ref(ans))["isScarlet"]) == "0"
        owner.ok("writeOffEBill", write_off | {"placeCode": "001"})
        assert str(direct.ok("getEBillStatesByBillInfo", ref(ans))["isScarlet"]) == "1"
    finally:
        direct.close()


# -- item 3: busNo idempotency scoped to the caller, conflicts refused -----------------------------

def test_a_busno_reused_by_another_caller_or_with_other_content_is_a_conflict(server: ServerThread,
                                                                               sim: Any) -> None:
    owner, other = server.his(0), server.his(1)
    bill, ans = issue(owner)
    # another caller, its own point: not the owner's bill, not a second bill
    assert refused(other, "invoiceEBillOutpatient", bill | {"placeCode": "005"}) == "E5033"
    # the same caller with different content
    assert refused(owner, "invoiceEBillOutpatient", bill | {"payer": "另一位患者"}) == "E5033"
    # a true repeat is still answered with the bill
    assert owner.ok("invoiceEBillOutpatient", bill)["billNo"] == ans["billNo"]
    with read_tx(server.ctx.engine) as conn:
        assert conn.execute(select(func.count()).select_from(bills).where(
            bills.c.bus_no == bill["busNo"])).scalar_one() == 1
    assert len(sim.platform_bills(bill["busNo"])) == 1


def test_local_answers_while_the_platform_is_down_cover_the_callers_points(server: ServerThread, sim: Any) -> None:
    owner, other = server.his(0), server.his(1)
    card = f"D{uuid.uuid4().hex[:16]}"
    _, ans = issue(owner, cardNo=card)
    _, mine_ans = issue(other, place="005", cardNo=card)
    unprinted = {"busBgnDate": "20000101000000000", "busEndDate": "20991231235959999", "cardType": "1102",
                 "cardNo": card, "pageNo": 1, "pageSize": 50}
    sim.faults(down=3)
    try:
        time.sleep(0.3)  # the simulator goes down on its own timer
        for method in ("getNotPrintList", "getEBillUnPrintList"):
            listed = {r["billNo"] for r in other.ok(method, unprinted)["billList"]}
            assert listed == {mine_ans["billNo"]}, method
            assert {r["billNo"] for r in owner.ok(method, unprinted)["billList"]} == {ans["billNo"]}, method
        assert refused(other, "getBillDetail", ref(ans) | {"random": ans["random"]}) == "E5022"
    finally:
        deadline = time.monotonic() + 30
        while other.call("testServerConnect", {"testValue": "ping"})[0] != "S0000":  # platform back
            assert time.monotonic() < deadline
            time.sleep(0.3)


def test_concurrent_callers_racing_for_one_busno_get_one_bill_and_conflicts(server: ServerThread,
                                                                             sim: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    bill = load_sample("outpatient.json") | {"busNo": bus_no("AZR"), "placeCode": "001"}
    clients = [server.his(i % 2) for i in range(10)]  # HIS01 at 001, HIS02 at its own 005
    sim.faults(latency=0.05)
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(
                lambda c: c.call("invoiceEBillOutpatient", bill | ({} if c.appid == "HIS01" else {"placeCode": "005"})),
                clients))
    finally:
        sim.faults(latency=0.0)
    by_caller: dict[str, set[str]] = {}
    for c, (code, _) in zip(clients, results, strict=True):
        by_caller.setdefault(c.appid, set()).add(code)
    assert set().union(*by_caller.values()) <= {"S0000", "E5033"}
    # whoever claimed first holds the bill; every request of the other caller is a conflict
    winner = next(appid for appid, codes in by_caller.items() if codes == {"S0000"})
    assert all(codes == {"E5033"} for appid, codes in by_caller.items() if appid != winner)
    assert len({str(a["billNo"]) for code, a in results if code == "S0000"}) == 1
    assert len(sim.platform_bills(bill["busNo"])) == 1
