"""Paper exchange (spec §7) and stock (spec §8) through the client; every state change is read
back through a different method."""

from __future__ import annotations

import pytest

from billing_core.clock import SystemClock, date10
from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import now17

pytestmark = pytest.mark.integration
PAPER = "44060126"


def paper_req(answer: dict, p_no: str, place: str = "001") -> dict:
    return {"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"], "pBillBatchCode": PAPER,
            "pBillNo": p_no, "busDateTime": now17(), "placeCode": place, "operator": "收费员甲"}


def next_paper(client: FinanceClient, place: str = "001") -> str:
    return client.get_paper_bill_no(place, PAPER)["pBillNo"]


def test_turn_paper_once_then_re_turn_voids_the_old_paper(client: FinanceClient, issue) -> None:
    bill, answer = issue()
    p1 = next_paper(client)
    client.turn_paper(paper_req(answer, p1))
    states = client.get_ebill_states_by_bill_info(answer["billBatchCode"], answer["billNo"])
    assert (states["isPrtPaper"], states["pBillBatchCode"], states["pBillNo"]) == ("1", PAPER, p1)
    assert next_paper(client) != p1
    with pytest.raises(PlatformRejected) as err:  # exchange is once only
        client.turn_paper(paper_req(answer, next_paper(client)))
    assert err.value.code == "E3006"
    p2 = next_paper(client)
    client.re_turn_paper(paper_req(answer, p2))
    states = client.get_ebill_states_by_bill_info(answer["billBatchCode"], answer["billNo"])
    assert states["pBillNo"] == p2
    day = bill["busDateTime"][:8]
    listed = client.get_bill_by_bus_date({"busBgnDate": day + "000000000", "busEndDate": day + "235959999",
                                          "dataType": "3", "pageNo": "1", "pageSize": "200"})
    mine = {r["billNo"]: r["state"] for r in listed["billList"] if r["relateBillNo"] == answer["billNo"]}
    assert mine == {p1: "2", p2: "1"}  # old paper voided, new one valid


def test_turn_paper_refuses_a_used_paper_number(client: FinanceClient, issue) -> None:
    _, a1 = issue()
    _, a2 = issue()
    p = next_paper(client)
    client.turn_paper(paper_req(a1, p))
    with pytest.raises(PlatformRejected) as err:
        client.turn_paper(paper_req(a2, p))
    assert err.value.code == "E3008"
    with pytest.raises(PlatformRejected) as err:  # number of another point's stock
        client.turn_paper(paper_req(a2, "0000020001"))
    assert err.value.code == "E3008"


def test_re_turn_paper_needs_an_exchanged_bill(client: FinanceClient, issue) -> None:
    _, answer = issue()
    with pytest.raises(PlatformRejected) as err:
        client.re_turn_paper(paper_req(answer, next_paper(client)))
    assert err.value.code == "E3007"


def test_invalid_paper_voids_paper_and_red_flushes(client: FinanceClient, issue) -> None:
    bill, answer = issue()
    p = next_paper(client)
    client.turn_paper(paper_req(answer, p))
    red = client.invalid_paper({"pBillBatchCode": PAPER, "pBillNo": p, "placeCode": "001", "author": "收费员甲",
                                "reason": "打印错误", "busDateTime": now17()})
    found = client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert found["isScarlet"] == "1" and found["scarletBillNo"] == red["eScarletBillNo"]
    with pytest.raises(PlatformRejected) as err:  # already voided
        client.invalid_paper({"pBillBatchCode": PAPER, "pBillNo": p, "placeCode": "001", "author": "收费员甲",
                              "reason": "重复", "busDateTime": now17()})
    assert err.value.code == "E3008"


def _valid_paper_numbers(client: FinanceClient, place: str) -> set[int]:
    out: set[int] = set()
    for r in client.get_valid_bill_no(place, bill_batch_code=PAPER)["billNoList"]:
        out.update(range(int(r["billBgnNo"]), int(r["billEndNo"]) + 1))
    return out


def test_invalid_blank_bill_no_removes_numbers_from_valid_ranges(client: FinanceClient) -> None:
    start = int(next_paper(client, "002")) + 50
    assert {start, start + 1, start + 2} <= _valid_paper_numbers(client, "002")
    client.invalid_blank_bill_no({"pBillBatchCode": PAPER, "pBillNoStart": f"{start:010d}",
                                  "pBillNoEnd": f"{start + 2:010d}", "placeCode": "002", "author": "财务甲",
                                  "reason": "污损", "busDateTime": now17()})
    assert not {start, start + 1, start + 2} & _valid_paper_numbers(client, "002")
    with pytest.raises(PlatformRejected) as err:  # already voided
        client.invalid_blank_bill_no({"pBillBatchCode": PAPER, "pBillNoStart": f"{start:010d}",
                                      "pBillNoEnd": f"{start:010d}", "placeCode": "002", "author": "财务甲",
                                      "reason": "污损", "busDateTime": now17()})
    assert err.value.code == "E4004"


def test_stock_out_and_return_move_ranges(client: FinanceClient) -> None:
    today = date10(SystemClock().now())
    rng = {"billCode": "0602", "billBatchCode": PAPER, "copyNum": "100", "billBgnNo": "0000900101",
           "billEndNo": "0000900200"}
    client.bill_stock_out({"placeCode": "003", "operator": "自助机管理员", "remark": "", "billNoList": [rng]})
    assert set(range(900101, 900201)) <= _valid_paper_numbers(client, "003")
    out = client.get_bill_stock_out_list({"placeCode": "003", "bgnDate": today, "endDate": today})
    assert any(r["billBgnNo"] == "0000900101" and r["billEndNo"] == "0000900200" and r["billType"] == "2"
               for r in out["billNoList"])
    with pytest.raises(PlatformRejected) as err:  # the unit no longer holds that range
        client.bill_stock_out({"placeCode": "004", "operator": "x", "billNoList": [rng]})
    assert err.value.code == "E4002"
    half = dict(rng, copyNum="50", billBgnNo="0000900151")
    client.bill_stock_return({"placeCode": "003", "returner": "自助机管理员", "reason": "多领", "billNoList": [half]})
    valid = _valid_paper_numbers(client, "003")
    assert set(range(900101, 900151)) <= valid and not set(range(900151, 900201)) & valid
    with pytest.raises(PlatformRejected) as err:  # already returned
        client.bill_stock_return({"placeCode": "003", "returner": "x", "reason": "x", "billNoList": [half]})
    assert err.value.code == "E4003"


def test_stock_out_list_and_batch_codes(client: FinanceClient) -> None:
    codes = client.get_valid_bill_batch_code("001")
    by_code = {c["billCode"]: [b["billBatchCode"] for b in c["billBatchCodeList"]] for c in codes["billCodeList"]}
    assert by_code["0601"] == ["44060226"] and by_code["0602"] == [PAPER]
    with pytest.raises(PlatformRejected) as err:
        client.get_valid_bill_batch_code("999")
    assert err.value.code == "E3011"
    with pytest.raises(PlatformRejected) as err:
        client.get_bill_stock_out_list({"placeCode": "001", "bgnDate": "2026/11/01", "endDate": "2026-11-30"})
    assert err.value.code.startswith("E1")
    with pytest.raises(PlatformRejected) as err:
        client.get_valid_bill_no("998")
    assert err.value.code == "E3011"


def test_get_paper_bill_no_failure(client: FinanceClient) -> None:
    with pytest.raises(PlatformRejected) as err:
        client.get_paper_bill_no("001", "99999999")
    assert err.value.code == "E4005"
