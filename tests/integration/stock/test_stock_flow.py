"""The stock lifecycle end to end (issue 18 §2): opening stock, 申领 -> approval in the simulator ->
入库确认, 分发 to a point and a terminal, 收回, 作废, 申退, thresholds and warnings — each change
read back from the server's tables and from the platform (getValidBillNo at the point)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from billing_core import methods
from billing_core.clock import ts17
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log
from tests.integration.stock.rig import PAPER_BATCH, PAPER_CODE, Finance, no, rid, rng, snapshot
from tests.rigs.stack import ServerThread, Simulator

pytestmark = pytest.mark.integration


def _point_has(sim: Simulator, place: str, bgn: int, end: int) -> bool:
    """The platform lists [bgn, end] among the point's valid paper numbers."""
    got = sim.client().ok(methods.GET_VALID_BILL_NO, {"placeCode": place, "billBatchCode": PAPER_BATCH})
    return any(int(r["billBgnNo"]) <= bgn and int(r["billEndNo"]) >= end for r in got["billNoList"])


def _lot(view: dict, bgn: int) -> dict:
    return next(lot for lot in view["lots"] if int(lot["billBgnNo"]) == bgn)


def test_opening_distribute_recall_void_return_keep_the_balance(server: ServerThread, sim: Simulator,
                                                                fin: Finance) -> None:
    opened = fin.ok("stockOpening", rng(900001, 900100, billCode=PAPER_CODE, billName="医疗收费票据（机打）"))
    assert (opened["count"], opened["billBgnNo"]) == (100, "0000900001")
    # distribute 10 to TERM01 at point 001: the platform now holds them at the point
    fin.ok("stockDistribute", rng(900011, 900020, placeCode="001", terminalId="TERM01"))
    assert _point_has(sim, "001", 900011, 900020)
    fin.ok("stockRecall", rng(900011, 900015))  # 5 come back to the store
    assert not _point_has(sim, "001", 900011, 900015) and _point_has(sim, "001", 900016, 900020)
    fin.ok("stockVoid", rng(900016, 900016, reason="打印机卡纸撕毁"))  # at the point: invalidBlankBillNo
    fin.ok("stockVoid", rng(900090, 900091, reason="受潮"))  # in the store: invalidUnitBillStock
    fin.ok("stockReturn", rng(900092, 900100, reason="年终申退"))
    view = fin.ok("stockView", {})
    lot = _lot(view, 900001)
    assert (lot["received"], lot["distributed"], lot["voided"], lot["returned"]) == (100, 5, 2, 9)
    assert lot["balance"] == lot["store"] == 84 and lot["held"] == 4 and lot["voidedHeld"] == 1 and lot["ok"]
    held = next(h for h in view["holdings"] if h["terminalId"] == "TERM01")
    assert (held["placeCode"], held["held"], held["remaining"]) == ("001", 4, 4)
    # pieces merged back: store 900001-900015 is one piece again after the recall
    store = [(p["billBgnNo"], p["billEndNo"]) for p in view["pieces"] if p["state"] == "store"]
    assert ("0000900001", "0000900015") in store
    # every change is audited, and a returned range can be neither distributed nor returned twice
    with read_tx(server.ctx.engine) as conn:
        actions = [r[0] for r in conn.execute(select(audit_log.c.action).where(audit_log.c.action.like("stock_%")))]
    for a in ("stock_opening", "stock_distribute", "stock_recall", "stock_void", "stock_return"):
        assert a in actions
    before = snapshot(server)
    code, msg = fin.call("stockDistribute", rng(900095, 900096, placeCode="001"))
    assert code == "E5943" and "财务库房" in msg
    assert snapshot(server) == before


def test_overlapping_opening_is_refused_and_a_repeat_answers_the_first(server: ServerThread, fin: Finance) -> None:
    req = rng(910001, 910050, billCode=PAPER_CODE)
    first = fin.ok("stockOpening", req)
    assert fin.ok("stockOpening", req) == first  # same requestId: the recorded move
    before = snapshot(server)
    code, msg = fin.call("stockOpening", rng(910040, 910060, billCode=PAPER_CODE))
    assert code == "E5942" and "重叠" in msg
    code, _ = fin.call("stockOpening", req | {"billEndNo": no(910051)})  # same id, other range
    assert code == "E5945"
    assert snapshot(server) == before


def test_apply_approve_confirm_enters_the_store(server: ServerThread, sim: Simulator, fin: Finance) -> None:
    sim.faults(stock_approval="manual")
    try:
        form = fin.ok("stockApply", {"requestId": rid(), "billCode": PAPER_CODE, "count": 200, "reason": "门诊用量"})
        assert form["state"] == "applied"
        code, _ = fin.call("stockConfirm", {"applyNo": form["applyNo"]})
        assert code == "E5946"  # not approved yet
        assert fin.ok("stockApplyRefresh", {"applyNo": form["applyNo"]})["state"] == "applied"
        r = requests.post(f"{sim.base}/_control/stock_apply", json={"applyNo": form["applyNo"], "approve": True},
                          timeout=10)
        assert r.status_code == 200, r.text
        got = fin.ok("stockApplyRefresh", {"applyNo": form["applyNo"]})
        assert got["state"] == "approved" and len(got["billNoList"]) == 1
        rng_ = got["billNoList"][0]
        assert int(rng_["billEndNo"]) - int(rng_["billBgnNo"]) + 1 == 200
        done = fin.ok("stockConfirm", {"applyNo": form["applyNo"]})
        assert done["state"] == "confirmed"
        assert fin.ok("stockConfirm", {"applyNo": form["applyNo"]})["state"] == "confirmed"  # repeat
        lot = _lot(fin.ok("stockView", {}), int(rng_["billBgnNo"]))
        assert (lot["origin"], lot["received"], lot["store"]) == ("in", 200, 200)
        # the confirmed numbers are the unit's on the platform: they can go to a point
        fin.ok("stockDistribute", rng(int(rng_["billBgnNo"]), int(rng_["billBgnNo"]) + 9, placeCode="001"))
        # a rejected form cannot be confirmed
        other = fin.ok("stockApply", {"requestId": rid(), "billCode": PAPER_CODE, "count": 5})
        requests.post(f"{sim.base}/_control/stock_apply", json={"applyNo": other["applyNo"], "approve": False,
                                                                 "opinion": "库存充足"}, timeout=10)
        got = fin.ok("stockApplyRefresh", {"applyNo": other["applyNo"]})
        assert (got["state"], got["opinion"]) == ("rejected", "库存充足")
        assert fin.call("stockConfirm", {"applyNo": other["applyNo"]})[0] == "E5946"
    finally:
        sim.faults(stock_approval="auto")


def test_thresholds_warn_per_point_and_for_the_store(server: ServerThread, fin: Finance) -> None:
    fin.ok("stockOpening", rng(920001, 920030, billCode=PAPER_CODE))
    fin.ok("stockDistribute", rng(920001, 920005, placeCode="002"))
    fin.ok("stockThreshold", {"placeCode": "002", "billCode": PAPER_CODE, "minCount": 10})
    warnings = fin.ok("stockView", {})["warnings"]
    mine = [w for w in warnings if w["placeCode"] == "002"]
    assert len(mine) == 1 and mine[0]["remaining"] == 5 and "低于预警值10张" in mine[0]["message"]
    fin.ok("stockDistribute", rng(920006, 920015, placeCode="002"))
    assert not [w for w in fin.ok("stockView", {})["warnings"] if w["placeCode"] == "002"]


def test_bad_input_and_roles_are_refused(server: ServerThread, fin: Finance) -> None:
    code, msg = fin.call("stockOpening", rng(930010, 930001, billCode=PAPER_CODE))
    assert code == "E5941" and "终止号码" in msg
    code, msg = fin.call("stockDistribute", rng(900001, 900002, placeCode="999"))
    assert code == "E5948" and "999" in msg
    code, msg = fin.call("stockApply", {"requestId": rid(), "billCode": PAPER_CODE, "count": "多"})
    assert code == "E5941" and "count" in msg
    cashier = Finance(server, role="cashier")
    assert cashier.call("stockView", {})[0] == "E2033"
    assert cashier.call("stockOpening", rng(940001, 940002, billCode=PAPER_CODE))[0] == "E2033"


def test_moves_and_ledger_read_the_journal(server: ServerThread, fin: Finance) -> None:
    t = ts17(server.ctx.clock.now())
    day = f"{t[:4]}-{t[4:6]}-{t[6:8]}"
    got = fin.ok("stockMoves", {"dayFrom": day, "dayTo": day, "actions": ["opening", "in"]})
    assert got["moves"] and all(m["action"] in ("opening", "in") for m in got["moves"])
    ledger = {r["billCode"]: r for r in got["ledger"]}[PAPER_CODE]
    assert ledger["closing"] == ledger["opening"] + ledger["received"] - ledger["distributed"] - ledger["voided"] \
        - ledger["returned"]
    assert fin.call("stockMoves", {"dayFrom": "2026/01/01", "dayTo": day})[0] == "E5941"
