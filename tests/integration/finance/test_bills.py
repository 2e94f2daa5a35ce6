"""Red-flush, status, queries, pictures, notices and list data (spec §5, §9): one success and one
failure per method, each state change read back through a different method."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import requests

from billing_core.clock import SystemClock, date10, ts17
from sync_server.connectors.errors import PlatformBadResponse, PlatformRejected
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import control, make_bill, now17

pytestmark = pytest.mark.integration


def write_off_req(answer: dict, place: str = "001") -> dict:
    return {"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"], "reason": "患者退费",
            "operator": "收费员甲", "busDateTime": now17(), "placeCode": place}


def test_write_off_then_bus_no_lookup_shows_red(client: FinanceClient, issue) -> None:
    bill, answer = issue()
    red = client.write_off_ebill(write_off_req(answer))
    assert red["eScarletBillNo"] != answer["billNo"] and len(red["eScarletRandom"]) == 6
    found = client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert found["isScarlet"] == "1"
    assert (found["scarletBillBatchCode"], found["scarletBillNo"], found["scarletRandom"]) == (
        red["eScarletBillBatchCode"], red["eScarletBillNo"], red["eScarletRandom"])
    with pytest.raises(PlatformRejected) as err:
        client.write_off_ebill(write_off_req(answer))
    assert err.value.code == "E3003" and "已冲销，不能冲销开票" in err.value.message


def test_write_off_unknown_bill(client: FinanceClient) -> None:
    with pytest.raises(PlatformRejected) as err:
        client.write_off_ebill(write_off_req({"billBatchCode": "44060226", "billNo": "0000000009"}))
    assert err.value.code == "E3001"


def test_write_off_to_paper(client: FinanceClient, issue) -> None:
    bill, answer = issue()
    with pytest.raises(PlatformRejected) as err:  # not exchanged yet
        client.write_off_ebill_to_paper(dict(write_off_req(answer), pBillBatchCode="44060126", pBillNo="0000010900"))
    assert err.value.code == "E3007"
    paper = client.get_paper_bill_no("001", "44060126")
    client.turn_paper({"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"],
                       "pBillBatchCode": "44060126", "pBillNo": paper["pBillNo"], "busDateTime": now17(),
                       "placeCode": "001", "operator": "收费员甲"})
    with pytest.raises(PlatformRejected) as err:  # paper must be voided before a plain write-off
        client.write_off_ebill(write_off_req(answer))
    assert err.value.code == "E3009"
    red_paper = client.get_paper_bill_no("001", "44060126")["pBillNo"]
    red = client.write_off_ebill_to_paper(dict(write_off_req(answer), pBillBatchCode="44060126", pBillNo=red_paper))
    states = client.get_ebill_states_by_bill_info(answer["billBatchCode"], answer["billNo"])
    assert states["isScarlet"] == "1" and states["scarletBillNo"] == red["eScarletBillNo"]
    listed = client.get_bill_by_bus_date({"busBgnDate": bill["busDateTime"][:8] + "000000000",
                                          "busEndDate": bill["busDateTime"][:8] + "235959999", "dataType": "4",
                                          "pageNo": "1", "pageSize": "200"})
    assert any(r["billNo"] == red_paper and r["relateBillNo"] == answer["billNo"] for r in listed["billList"])


def test_states_and_detail_failures(client: FinanceClient, issue) -> None:
    _, answer = issue()
    states = client.get_ebill_states_by_bill_info(answer["billBatchCode"], answer["billNo"])
    assert (states["state"], states["isPrtPaper"], states["isScarlet"], states["random"]) == (
        "1", "0", "0", answer["random"])
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_states_by_bill_info(answer["billBatchCode"], "0000000001")
    assert err.value.code == "E3001"
    with pytest.raises(PlatformRejected) as err:
        client.get_bill_detail(answer["billBatchCode"], answer["billNo"], "000000")
    assert err.value.code == "E3005"


def test_pic_url_and_notify_pic(client: FinanceClient, issue) -> None:
    _, answer = issue()
    urls = client.get_ebill_pic_url(answer["billBatchCode"], answer["billNo"], answer["random"], "3")
    assert answer["billNo"] in urls["pictureUrl"] and "channelMode=3" in urls["pictureUrl"]
    pic = client.get_ebill_notify_pic(answer["billBatchCode"], answer["billNo"], "1")
    assert base64.b64decode(pic["pictureData"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pictureData" not in client.get_ebill_notify_pic(answer["billBatchCode"], answer["billNo"], "0")
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_pic_url(answer["billBatchCode"], answer["billNo"], "ffffff", "1")
    assert err.value.code == "E3005"
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_notify_pic("44060226", "0000000002", "1")
    assert err.value.code == "E3001"


def test_layout_file_pdf(client: FinanceClient, issue) -> None:
    _, answer = issue()
    pdf = client.get_ebill_layout_file(answer["billBatchCode"], answer["billNo"], answer["random"])
    assert pdf["fileType"] == "PDF" and base64.b64decode(pdf["fileData"]).startswith(b"%PDF")
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_layout_file(answer["billBatchCode"], answer["billNo"], "")
    assert err.value.code == "E3032"
    url = answer["pictureUrl"].replace("/h5/ebill", "/pdf/ebill")
    download = requests.get(url, timeout=10)
    assert download.headers["Content-Type"] == "application/pdf" and download.content.startswith(b"%PDF")
    assert requests.get(url.replace(answer["random"], "000000"), timeout=10).status_code == 404


def test_account_status_booked_through_the_platform_console(sim, client: FinanceClient, issue) -> None:
    _, answer = issue()
    args = (answer["billBatchCode"], answer["billNo"], answer["random"], answer["createTime"])
    assert client.get_ebill_account_status(*args)["state"] == "0"
    control(sim, "book", {"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"]})
    assert client.get_ebill_account_status(*args)["state"] == "1"
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_account_status(*args[:3], "20200101000000000")
    assert err.value.code == "E3001"


def _range_query(card_no: str, **extra: str) -> dict:
    today = SystemClock().now()
    return {"busBgnDate": ts17(today - timedelta(days=1)), "busEndDate": ts17(today + timedelta(days=1)),
            "cardType": "3101", "cardNo": card_no, "pageNo": "1", "pageSize": "50", **extra}


def test_unprint_and_not_print_lists(client: FinanceClient, issue) -> None:
    card = "CARD-UNPRINT-1"
    _, a1 = issue(cardNo=card)
    _, a2 = issue(cardNo=card)
    listed = client.get_ebill_un_print_list(_range_query(card))
    assert {r["billNo"] for r in listed["billList"]} == {a1["billNo"], a2["billNo"]}
    client.turn_paper({"billBatchCode": a1["billBatchCode"], "billNo": a1["billNo"], "pBillBatchCode": "44060126",
                       "pBillNo": client.get_paper_bill_no("001", "44060126")["pBillNo"], "busDateTime": now17(),
                       "placeCode": "001", "operator": "收费员甲"})
    listed = client.get_ebill_un_print_list(_range_query(card))
    assert [r["billNo"] for r in listed["billList"]] == [a2["billNo"]]
    not_printed = client.get_not_print_list(_range_query(card))
    assert [(r["billNo"], r["listFlag"]) for r in not_printed["billList"]] == [(a2["billNo"], "1")]
    printed = client.get_ebill_print_list(_range_query(card))
    assert [r["billNo"] for r in printed["billList"]] == [a1["billNo"]] and printed["billList"][0]["relatedBillNo"]
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_un_print_list(_range_query(card, pageSize="500"))
    assert err.value.code.startswith("E1")
    with pytest.raises(PlatformRejected) as err:
        client.get_not_print_list(dict(_range_query(card), pageNo="0"))
    assert err.value.code.startswith("E1")
    too_long = _range_query(card)
    too_long["busBgnDate"] = ts17(SystemClock().now() - timedelta(days=30))
    with pytest.raises(PlatformRejected) as err:
        client.get_ebill_print_list(too_long)
    assert err.value.code.startswith("E1")


def test_arrears_feedback(client: FinanceClient, issue) -> None:
    _, answer = issue("hospitalized", isArrears="0", arrearsReason="欠费")
    client.receive_arreas_feed_back(answer["billBatchCode"], answer["billNo"], date10(SystemClock().now()))
    with pytest.raises(PlatformRejected) as err:  # now circulable: a second feedback is refused
        client.receive_arreas_feed_back(answer["billBatchCode"], answer["billNo"], date10(SystemClock().now()))
    assert err.value.code == "E3016"


def test_receive_list_detail_and_page_count(client: FinanceClient, issue) -> None:
    bill = make_bill("common", amt="5.00")
    answer = client.invoice_ebill_common(bill)
    key = (answer["billBatchCode"], answer["billNo"], answer["random"])
    with pytest.raises(PlatformRejected) as err:  # no list lines: no list pages (seed 000 item 11)
        client.get_elect_bill_list_total(*key)
    assert err.value.code == "E3040"
    lines = [{"name": f"项目{i}", "std": "1.00", "number": "1", "amt": "1.00"} for i in range(30)]
    client.receive_list_detail({"batchNo": "1", "billBatchCode": key[0], "billNo": key[1], "listDetail": lines})
    assert client.get_elect_bill_list_total(*key)["total"] == "2"  # 30 lines, 25 per page
    assert len(client.get_bill_detail(*key)["listDetail"]) == 30
    with pytest.raises(PlatformRejected) as err:
        client.receive_list_detail({"batchNo": "1", "billBatchCode": key[0], "billNo": key[1], "listDetail": lines})
    assert err.value.code == "E3017"


def test_send_bill_notice(sim, client: FinanceClient, issue) -> None:
    _, answer = issue()
    before = control(sim, "calls?method=sendBillNotice")["calls"]
    client.send_bill_notice(answer["billBatchCode"], answer["billNo"],
                            [{"noticeType": "1201", "noticeValue": "13800138000"}])
    after = control(sim, "calls?method=sendBillNotice")["calls"]
    assert len(after) == len(before) + 1 and after[-1]["result"] == "S0000"
    with pytest.raises(PlatformRejected) as err:
        client.send_bill_notice(answer["billBatchCode"], answer["billNo"],
                                [{"noticeType": "9999", "noticeValue": "x"}])
    assert err.value.code.startswith("E1")


def test_server_connect_and_unsupported_methods(client: FinanceClient) -> None:
    assert client.test_server_connect("hello") == "成功"
    with pytest.raises(PlatformRejected) as err:
        client.call("printElectBill", {"billBatchCode": "1", "billNo": "1", "random": "1"})
    assert err.value.code == "E3990"
    with pytest.raises(PlatformRejected) as err:
        client.call("noSuchMethod", {})
    assert err.value.code == "E3991"


def test_server_connect_with_a_wrong_key_is_refused(sim) -> None:
    wrong = FinanceClient(sim.api_url, "DEMOHOSP01", "not-the-key", query_retries=0)
    with pytest.raises(PlatformBadResponse):  # refused E2002, answer signed with the real key
        wrong.test_server_connect("hello")
    wrong.close()
    last = control(sim, "calls?method=testServerConnect")["calls"][-1]
    assert last["result"] == "E2002"
