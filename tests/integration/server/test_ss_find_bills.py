"""Issue 18 §1 on the server: a cashier window finds any bill of the hospital (``findBills``) and
acts on it with its role's rights; HIS and kiosk callers keep their own points — over HTTP against
the in-process server and the real finance simulator, on SQLite and PostgreSQL.

The demo callers: HIS01 is granted 001-004, HIS02 only 005, TERM01 (the cashier window) only 001,
SELF01 is a patient kiosk at 005 (sync_server.seed).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text
from ss_rig import HisClient, ServerThread, load_sample, other_sample

from sync_server.cli import admin
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log, bills
from sync_server.store.sealing import sealer_for

pytestmark = pytest.mark.integration

P_BATCH = "44060126"  # the simulator's machine-printed paper batch (docs/FINANCE_SIMULATOR.md)
ID_NO, TEL, CARD = "110101199003071234", "13912345678", "D15600099887"


def _uid() -> str:
    return uuid.uuid4().hex[:10]


def _his_bill(server: ServerThread, place: str = "002", **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bill HIS01 issues at ``place`` (not the window's 001)."""
    bill = load_sample("outpatient.json") | {"busNo": f"FB{_uid()}", "placeCode": place} | changes
    return bill, server.his(0).ok("invoiceEBillOutpatient", bill)


def _session(server: ServerThread, role: str) -> str:
    user = admin.add_user(server.ctx.engine, f"{role[:4]}{_uid()}", "测试用户", role)
    return str(server.terminal().ok("login", {"username": user["username"],
                                              "password": user["password"]})["sessionToken"])


def _window_his(server: ServerThread) -> HisClient:
    """TERM01's client of the HIS interface (paper, write-off, states)."""
    c = next(c for c in server.demo["callers"] if c["appid"] == "TERM01")
    return server._track(HisClient(server.url, c["appid"], c["key"]))  # noqa: SLF001 - closed with the server


def _find(server: ServerThread, token: str, **crit: Any) -> dict[str, Any]:
    return dict(server.terminal().ok("findBills", crit | {"sessionToken": token}))


def test_a_cashier_finds_an_his_bill_by_every_criterion_with_personal_numbers_masked(server: ServerThread) -> None:
    payer = f"测{_uid()[:6]}"
    bill, ans = _his_bill(server, payer=payer, idCardNo=ID_NO, tel=TEL, cardNo=CARD)
    token = _session(server, "cashier")
    for crit in ({"busNo": bill["busNo"]}, {"billNo": ans["billNo"], "billBatchCode": ans["billBatchCode"]},
                 {"payer": payer[:3]}, {"idCardNo": ID_NO.lower()[:-1] + ID_NO[-1]}, {"tel": TEL},
                 {"cardNo": CARD.lower()}, {"keyword": bill["busNo"]}, {"keyword": ID_NO}, {"keyword": payer},
                 {"payer": payer, "tel": TEL}):
        found = _find(server, token, **crit)
        assert [b["busNo"] for b in found["billList"]] == [bill["busNo"]], crit
    item = _find(server, token, busNo=bill["busNo"])["billList"][0]
    assert item["placeCode"] == "002" and item["billNo"] == ans["billNo"] and item["totalAmt"] == "386.50"
    assert item["isScarlet"] == "0" and item["isPrtPaper"] == "0" and item["callerAppid"] == "HIS01"
    req = item["request"]
    assert req["idCardNo"] == "110***********1234" and req["tel"] == "139****5678" and req["cardNo"] != CARD
    assert ID_NO not in str(found) and TEL not in str(item)
    # another payer's numbers find nothing; criteria are ANDed
    assert _find(server, token, tel="13900000000", payer=payer)["total"] == "0"
    assert _find(server, token, idCardNo="110101199003071235")["total"] == "0"


def test_digests_are_keyed_and_the_personal_values_stay_sealed(server: ServerThread) -> None:
    bill, _ans = _his_bill(server, idCardNo=ID_NO, tel=TEL, cardNo=CARD)
    sealer = sealer_for(server.ctx.engine.dialect)
    assert sealer is not None
    with read_tx(server.ctx.engine) as conn:
        raw = conn.execute(text("SELECT request_json, card_no, id_digest, tel_digest, card_digest FROM bills "
                                "WHERE bus_no = :b"), {"b": bill["busNo"]}).mappings().one()
    assert ID_NO not in raw["request_json"] and TEL not in raw["request_json"] and raw["card_no"] != CARD
    assert raw["id_digest"] == sealer.blind_index(ID_NO) and raw["tel_digest"] == sealer.blind_index(TEL)
    assert raw["card_digest"] == sealer.blind_index(CARD)
    assert len({raw["id_digest"], raw["tel_digest"], raw["card_digest"]}) == 3


def test_a_search_by_personal_data_is_audited_without_the_value(server: ServerThread) -> None:
    bill, _ans = _his_bill(server, idCardNo=ID_NO)
    token = _session(server, "finance")
    _find(server, token, idCardNo=ID_NO)
    with read_tx(server.ctx.engine) as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.action == "find_bills")
                           .order_by(audit_log.c.id.desc())).mappings().first()
    assert row is not None and row["terminal"] == "TERM01" and row["actor"].startswith("fina")
    assert '"idCardNo"' in row["after_json"] and bill["busNo"] in row["after_json"]
    assert ID_NO not in row["after_json"]


def test_paging_newest_first(server: ServerThread) -> None:
    payer = f"页{_uid()[:6]}"
    made = [_his_bill(server, payer=payer)[0]["busNo"] for _ in range(3)]
    token = _session(server, "cashier")
    first = _find(server, token, payer=payer, pageSize=2)
    second = _find(server, token, payer=payer, pageSize=2, pageNo=2)
    assert (first["total"], first["pageCount"], second["pageNo"]) == ("3", "2", "2")
    assert [b["busNo"] for b in first["billList"] + second["billList"]] == made[::-1]


def test_bad_searches_are_refused_with_their_codes(server: ServerThread) -> None:
    term, token = server.terminal(), _session(server, "cashier")
    assert term.call("findBills", {"sessionToken": token})[0] == "E5920"
    assert term.call("findBills", {"billBatchCode": "4401", "sessionToken": token})[0] == "E5920"
    assert term.call("findBills", {"busNo": "X" * 65, "sessionToken": token})[0] == "E5920"
    assert term.call("findBills", {"busNo": "X", "pageSize": "0", "sessionToken": token})[0] == "E5921"
    assert term.call("findBills", {"busNo": "X", "pageNo": "a", "sessionToken": token})[0] == "E5921"
    assert term.call("findBills", {"busNo": "X", "pageNo": 10**30, "sessionToken": token})[0] == "E5921"


def test_only_window_roles_may_search_and_his_and_kiosks_may_not(server: ServerThread) -> None:
    bill, _ = _his_bill(server)
    term = server.terminal()
    assert term.call("findBills", {"busNo": bill["busNo"]})[0] == "E2030"  # nobody logged in
    for role in ("ward_nurse", "it"):
        assert term.call("findBills", {"busNo": bill["busNo"], "sessionToken": _session(server, role)})[0] == "E2033"
    kiosk = server.terminal("SELF01")
    assert kiosk.call("findBills", {"busNo": bill["busNo"]})[0] == "E2015"
    his_on_terminal_api = HisClient(term.url, "HIS01", server.demo["callers"][0]["key"])
    try:
        assert his_on_terminal_api.call("findBills", {"busNo": bill["busNo"]})[0] == "E2015"
    finally:
        his_on_terminal_api.close()


def test_window_roles_act_on_another_points_bill_and_his_still_cannot(server: ServerThread) -> None:
    _bill, ans = _his_bill(server)  # at 002; TERM01 is granted 001 only
    ref = {"billBatchCode": ans["billBatchCode"], "billNo": ans["billNo"]}
    win = _window_his(server)
    cashier, finance = _session(server, "cashier"), _session(server, "finance")
    # HIS02 (005) still cannot see it, and cannot change it
    assert server.his(1).call("getEBillStatesByBillInfo", ref)[0] == "E5022"
    states = win.ok("getEBillStatesByBillInfo", ref | {"sessionToken": cashier})
    assert states["isPrtPaper"] == "0"
    paper = str(win.ok("getPaperBillNo", {"placeCode": "001", "pBillBatchCode": P_BATCH,
                                          "sessionToken": cashier})["pBillNo"])
    turn = other_sample("turnPaper") | ref | {"pBillBatchCode": P_BATCH, "pBillNo": paper, "placeCode": "001"}
    assert server.his(1).call("turnPaper", turn | {"placeCode": "005"})[0] == "E2011"
    win.ok("turnPaper", turn | {"sessionToken": cashier})
    # the same role rules as own bills: a cashier may not write off, the paper goes first
    off = other_sample("writeOffEBill") | ref | {"placeCode": "001"}
    assert win.call("writeOffEBill", off | {"sessionToken": cashier})[0] == "E2033"
    assert win.call("writeOffEBill", off | {"sessionToken": finance})[0] != "S0000"
    void = other_sample("invalidPaper") | {"pBillBatchCode": P_BATCH, "pBillNo": paper, "placeCode": "001"}
    red = win.ok("invalidPaper", void | {"sessionToken": finance})
    assert red["eScarletBillNo"]
    with read_tx(server.ctx.engine) as conn:
        row = conn.execute(select(bills).where(bills.c.bill_no == ans["billNo"])).mappings().one()
    assert row["is_scarlet"] == 1 and row["place_code"] == "002"
    item = _find(server, cashier, billNo=ans["billNo"])["billList"][0]
    assert item["isScarlet"] == "1" and item["voidedPapers"] == [paper] and item["scarletBillNo"] == red["eScarletBillNo"]
