"""Outages: platform down -> emergency bills from the server's own stock; platform back -> the
outbox drains and the platform holds every bill once, with the number printed; the in-doubt
case (committed, answer lost, lookup failing) ends with exactly one valid bill and a reported
conflict."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from ss_rig import ServerThread, Simulator, Stack, load_sample, other_sample

from billing_core import qr_payload
from sync_server.security.signing import canonical_bytes, verify_bill
from sync_server.store.db import read_tx
from sync_server.store.schema import bills, conflicts, outbox

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerThread]]:
    stack = Stack(tmp_path_factory.mktemp("stack"), request.param).start()
    sim, srv = stack.sim, stack.server
    # the server reserves its emergency blocks while the platform is up
    deadline = time.monotonic() + 20
    while True:
        with read_tx(srv.ctx.engine) as conn:
            from sync_server.stock.emergency_stock import available
            if all(available(conn, p) > 0 for p in ("001", "002", "003", "004")):
                break
        assert time.monotonic() < deadline, "no emergency stock reserved"
        time.sleep(0.1)
    yield sim, srv
    stack.stop()


def new_bill(**changes: object) -> dict:
    return load_sample("outpatient.json") | {"busNo": f"OUT{uuid.uuid4().hex[:16]}"} | changes


def test_down_emergency_then_back_carries_forward_once(rig: tuple[Simulator, ServerThread]) -> None:
    sim, srv = rig
    his = srv.his()
    online = new_bill()
    online_ans = his.ok("invoiceEBillOutpatient", online)
    sim.stop()
    down = [new_bill() for _ in range(8)]
    answers = [his.ok("invoiceEBillOutpatient", b) for b in down]
    for b, a in zip(down, answers, strict=True):
        assert a["emergency"] == "1" and a["inDoubt"] == "0"
        # repeat while down: same emergency bill
        assert his.ok("invoiceEBillOutpatient", b)["billNo"] == a["billNo"]
    assert len({a["billNo"] for a in answers}) == 8
    # locally made check code, QR payload and SM2 signature
    with read_tx(srv.ctx.engine) as conn:
        row = conn.execute(select(bills).where(bills.c.bus_no == down[0]["busNo"])).mappings().one()
    assert len(row["random"]) == 6 and row["random"] == answers[0]["random"]
    assert verify_bill(srv.ctx.sm2_public.hex(), __import__("billing_core.envelope", fromlist=["loads"])
                       .loads(row["request_json"]), row["sign_value"])
    assert canonical_bytes({"a": 1})
    assert qr_payload.parse(f"01,{a['billBatchCode']},{a['billNo']},{a['random']},386.50,20261123").bill_no
    # while down: queries answer from local records, a write-off queues behind the carry-forward
    got = his.ok("getEBillByBusNo", {"busNo": down[0]["busNo"], "busDateTime": down[0]["busDateTime"]})
    assert got["billNo"] == answers[0]["billNo"]
    # reconciliation is answered locally whatever the platform does; platform-only answers fail clearly
    day = down[0]["busDateTime"][:8]
    local = his.ok("checkTotalData", {"busDate": f"{day[:4]}-{day[4:6]}-{day[6:]}", "placeCode": "001",
                                      "pageNo": 1, "pageSize": 200})
    assert int(local["allTotalNum"]) >= 9
    result, message = his.call("getEBillPicUrl", {"billBatchCode": answers[1]["billBatchCode"],
                                                  "billNo": answers[1]["billNo"], "random": answers[1]["random"],
                                                  "channelMode": "1"})
    assert result == "E5023" and "不可达" in message
    queued = his.ok("writeOffEBill", other_sample("writeOffEBill") | {"billBatchCode": answers[0]["billBatchCode"],
                                                                      "billNo": answers[0]["billNo"]})
    assert queued["queued"] == "1"
    queued2 = his.ok("writeOffEBill", other_sample("writeOffEBill") | {"billBatchCode": online_ans["billBatchCode"],
                                                                       "billNo": online_ans["billNo"]})
    assert queued2["queued"] == "1"
    sim.start()
    srv.wait_drained(60)
    for b, a in zip(down, answers, strict=True):
        platform = sim.platform_bills(b["busNo"])
        assert [(p[0], p[1]) for p in platform] == [(a["billBatchCode"], a["billNo"])]
    assert sim.platform_bills(down[0]["busNo"])[0][2] == 1  # written off after its carry-forward
    assert sim.platform_bills(online["busNo"])[0][2] == 1
    # The simulator refuses a write-off of an emergency bill not yet uploaded (E4015): the queued
    # write-off went out only after the carry-forward, never refused.
    assert all(c["result"] == "S0000" for c in sim.calls("writeOffEBill"))
    states = his.ok("getEBillStatesByBillInfo", {"billBatchCode": answers[0]["billBatchCode"],
                                                 "billNo": answers[0]["billNo"]})
    assert str(states["isScarlet"]) == "1"
    with read_tx(srv.ctx.engine) as conn:
        carried = conn.execute(select(bills.c.carry).where(bills.c.bus_no.in_([b["busNo"] for b in down]))).scalars()
        assert set(carried) == {"done"}
        assert conn.execute(select(outbox.c.state).where(outbox.c.state != "done")).first() is None


def test_in_doubt_commit_lost_answer_failed_lookup_ends_with_one_bill_and_a_conflict(
        rig: tuple[Simulator, ServerThread]) -> None:
    sim, srv = rig
    his = srv.his()
    bill = new_bill(tel="13800138000")
    # The platform commits the bill, drops the answer, and is unreachable for the lookup.
    sim.faults(latency=0.6, drop_response=1, drop_methods=["invoiceEBillOutpatient"])
    result: dict = {}
    t = threading.Thread(target=lambda: result.update(his.ok("invoiceEBillOutpatient", bill)))
    t.start()
    time.sleep(0.25)
    sim.faults(down=3)
    t.join(30)
    assert result["emergency"] == "1" and result["inDoubt"] == "1"
    # the patient is refunded while the platform is still down: the write-off queues behind the
    # carry-forward and, after the conflict, applies to the platform's bill that is kept
    queued = his.ok("writeOffEBill", other_sample("writeOffEBill") | {"billBatchCode": result["billBatchCode"],
                                                                      "billNo": result["billNo"]})
    assert queued["queued"] == "1"
    time.sleep(3.5)
    sim.faults(latency=0.0, drop_response=0, drop_methods=[])
    srv.wait_drained(60)
    platform = sim.platform_bills(bill["busNo"])
    assert len(platform) == 1 and platform[0][1] != result["billNo"]  # the platform's own bill is kept
    assert platform[0][2] == 1  # and the queued write-off reached it
    with read_tx(srv.ctx.engine) as conn:
        rows = conn.execute(select(bills).where(bills.c.bus_no == bill["busNo"]).order_by(bills.c.id)).mappings().all()
        reported = conn.execute(select(conflicts).where(conflicts.c.bus_no == bill["busNo"])).mappings().all()
        notices = conn.execute(select(outbox).where(outbox.c.kind == "notice")).mappings().all()
    live = [r for r in rows if r["state"] == "issued"]
    assert len(live) == 1 and live[0]["bill_no"] == platform[0][1] and live[0]["is_scarlet"] == 1
    void = [r for r in rows if r["state"] == "void"]
    assert len(void) == 1 and void[0]["bill_no"] == result["billNo"] and "冲突" in void[0]["void_reason"]
    assert len(reported) == 1 and reported[0]["emergency_no"] == result["billNo"]
    assert reported[0]["platform_no"] == platform[0][1] and reported[0]["notice"] == "queued"
    assert any(bill["busNo"] in n["group_key"] for n in notices)
    # HIS asking again gets the platform's bill
    again = his.ok("invoiceEBillOutpatient", bill)
    assert again["billNo"] == platform[0][1] and "emergency" not in again
