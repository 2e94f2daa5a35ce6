"""Issue 18 §6: 门特 bills (门诊特殊病, busType 04) end to end — HIS -> sync server -> finance
simulator, single and batch; the platform holds busType 04 and the server's reconciliation reports it —
SQLite and PostgreSQL. (Which busTypes suit a method is checked only under a hospital's code
mapping: billing_core.bills, E1020; HIS codes are the hospital's own until mapped.)"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from ss_rig import ServerThread, Simulator, load_sample

from billing_core import codes, methods

pytestmark = pytest.mark.integration


def _special(place: str = "002") -> dict[str, Any]:
    return load_sample("outpatient.json") | {"busNo": f"MT{uuid.uuid4().hex[:12]}", "busType": "04",
                                             "placeCode": place, "remark": "门特：慢性肾病透析"}


def test_billing_core_knows_04_as_special_outpatient() -> None:
    assert codes.BUS_TYPE.label("04") == "门特"
    assert "04" in methods.BUS_TYPES[methods.INVOICE_EBILL_OUTPATIENT]
    assert "04" not in methods.BUS_TYPES[methods.INV_EBILL_HOSPITALIZED]


def test_a_special_outpatient_bill_is_issued_through_the_server_onto_the_platform(server: ServerThread,
                                                                                   sim: Simulator) -> None:
    his = server.his(0)
    bill = _special()
    ans = his.ok(methods.INVOICE_EBILL_OUTPATIENT, bill)
    assert ans["billNo"] and ans["random"]
    platform = sim.client().ok(methods.GET_BILL_DETAIL, {"billBatchCode": ans["billBatchCode"],
                                                         "billNo": ans["billNo"], "random": ans["random"]})
    assert platform["busType"] == "04" and platform["busNo"] == bill["busNo"] and platform["placeCode"] == "002"
    # the server's own record: the reconciliation rows carry busType 04
    day = bill["busDateTime"][:8]
    rows = his.ok(methods.GET_BILL_BY_BUS_DATE, {"busBgnDate": day + "000000000", "busEndDate": day + "235959999", "placeCode": "002",
                                                 "pageNo": "1", "pageSize": "200"})
    mine = [r for r in rows.get("billNoList", rows.get("billList", [])) if r["busNo"] == bill["busNo"]]
    assert [r["busType"] for r in mine] == ["04"]
    # a repeat answers the same bill (busNo idempotency holds for 门特 too)
    assert his.ok(methods.INVOICE_EBILL_OUTPATIENT, bill)["billNo"] == ans["billNo"]


def test_a_batch_of_special_outpatient_bills(server: ServerThread, sim: Simulator) -> None:
    his = server.his(0)
    items = [_special() for _ in range(2)]
    batch_no = f"MTB{uuid.uuid4().hex[:10]}"
    his.ok(methods.BATCH_INVOICE_EBILL_OUTPATIENT, {"batchNo": batch_no, "eBillList": items})
    deadline = time.monotonic() + 30
    while True:
        got = his.ok(methods.GET_BATCH_INVOICE_EBILL, {"batchNo": batch_no})
        if all(i["status"] == "1" for i in got["eBillList"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(i["busNo"] for i in got["eBillList"] if i["status"] == "1") == sorted(i["busNo"] for i in items)
    for item in items:
        assert len(sim.platform_bills(item["busNo"])) == 1

