"""Reconciliation (spec §10, seed 000 items 4-9) on a fresh simulator: every answer equals a
recomputation from the test's own records of what it issued and wrote off."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from simulators.finance import SimServer
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import APPID, KEY, make_bill, now17, start_sim

pytestmark = pytest.mark.integration

METHODS = {"outpatient": "invoiceEBillOutpatient", "hospitalized": "invEBillHospitalized",
           "registration": "invEBillRegistration", "checkup": "invEBillCheckUp"}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FinanceClient, list[dict[str, Any]], str]]:
    """Issue 24 bills over 3 points and 4 types, red-flush every third; keep our own records."""
    server: SimServer = start_sim(tmp_path_factory, "finance-recon")
    client = FinanceClient(server.api_url, APPID, KEY)
    mine: list[dict[str, Any]] = []
    kinds = sorted(METHODS)
    for i in range(24):
        kind, place = kinds[i % 4], ("001", "002", "003")[i % 3]
        bill = make_bill(kind, place=place, amt=f"{10 + i}.{i:02d}")
        ans = client.issue(METHODS[kind], bill).payload
        mine.append({"busType": bill["busType"], "placeCode": place, "billBatchCode": ans["billBatchCode"],
                     "billNo": ans["billNo"], "amt": Decimal(bill["totalAmt"]), "red": False,
                     "day": ans["createTime"][:8]})
        if i % 3 == 2:
            red = client.write_off_ebill({"billBatchCode": ans["billBatchCode"], "billNo": ans["billNo"],
                                          "reason": "退费", "operator": "x", "busDateTime": now17(), "placeCode": place})
            mine[-1]["scarlet"] = True
            mine.append({"busType": bill["busType"], "placeCode": place, "billBatchCode": red["eScarletBillBatchCode"],
                         "billNo": red["eScarletBillNo"], "amt": -Decimal(bill["totalAmt"]), "red": True,
                         "day": red["createTime"][:8]})
    yield client, mine, mine[0]["day"]
    client.close()
    server.stop()


def expected_ranges(rows: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str, int, Decimal]]:
    out: list[list[Any]] = []
    for r in sorted(rows, key=lambda r: (r["busType"], r["placeCode"], r["billBatchCode"], int(r["billNo"]))):
        key = (r["busType"], r["placeCode"], r["billBatchCode"])
        if out and tuple(out[-1][:3]) == key and int(out[-1][4]) + 1 == int(r["billNo"]):
            out[-1][4] = r["billNo"]
            out[-1][5] += 1
            out[-1][6] += r["amt"]
        else:
            out.append([*key, r["billNo"], r["billNo"], 1, r["amt"]])
    return [tuple(x) for x in out]  # type: ignore[misc]


def got_ranges(answer: dict[str, Any]) -> list[tuple[str, str, str, str, str, int, Decimal]]:
    return [(r["busType"], r["placeCode"], r["billBatchCode"], r["bgnNo"], r["endNo"], int(r["copyNum"]),
             Decimal(r["totalAmt"])) for r in answer["billNoList"]]


@pytest.mark.parametrize("by_ivc", [False, True])
def test_check_total_data(records, by_ivc: bool) -> None:
    client, mine, day = records
    field = "ivcDate" if by_ivc else "busDate"
    q = {field: f"{day[:4]}-{day[4:6]}-{day[6:]}", "pageNo": "1", "pageSize": "200"}
    answer = client.check_total_data(q, by_ivc_date=by_ivc)
    assert int(answer["allTotalNum"]) == len(mine)
    assert Decimal(answer["allTotalAmt"]) == sum(r["amt"] for r in mine)
    assert got_ranges(answer) == expected_ranges(mine)
    # paging: page totals add up to the all-pages totals
    pages = [client.check_total_data(dict(q, pageNo=str(n), pageSize="2"), by_ivc_date=by_ivc)
             for n in range(1, int(answer["copyNum"]) // 2 + 2)]
    assert sum(Decimal(p["totalAmt"]) for p in pages) == Decimal(answer["allTotalAmt"])
    assert sum(int(p["totalNum"]) for p in pages) == len(mine)


@pytest.mark.parametrize("by_ivc", [False, True])
def test_check_data_by_place_and_write_off(records, by_ivc: bool) -> None:
    client, mine, day = records
    field = "ivcDate" if by_ivc else "busDate"
    date = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    for bus_type in ("01", "02", "05", "06"):
        for place in ("001", "002", "003"):
            q = {field: date, "busType": bus_type, "placeCode": place, "pageNo": "1", "pageSize": "200"}
            rows = [r for r in mine if r["busType"] == bus_type and r["placeCode"] == place]
            answer = client.check_data_by_place(q, by_ivc_date=by_ivc)
            assert (int(answer["allTotalNum"]), Decimal(answer["allTotalAmt"])) == (
                len(rows), sum((r["amt"] for r in rows), Decimal("0")))
            reds = [r for r in rows if r["red"]]
            refunds = client.check_write_off_data(dict(q, isReturnList="0"), by_ivc_date=by_ivc)
            assert (int(refunds["allTotalNum"]), Decimal(refunds["allTotalAmt"])) == (
                len(reds), sum((r["amt"] for r in reds), Decimal("0")))
            assert "billNoList" not in refunds


@pytest.mark.parametrize("by_ivc", [False, True])
def test_bill_lists(records, by_ivc: bool) -> None:
    client, mine, day = records
    q = {"busBgnDate": day + "000000000", "busEndDate": day + "235959999", "pageNo": "1", "pageSize": "200"}
    answer = client.get_bill_by_bus_date(q, by_ivc_date=by_ivc)
    assert int(answer["total"]) == len(mine)
    got = {(r["billNo"], r["dataType"], r["state"]) for r in answer["billList"]}
    want = {(r["billNo"], "2" if r["red"] else "1", "3" if r.get("scarlet") else "1") for r in mine}
    assert got == want
    reds = client.get_bill_by_bus_date(dict(q, dataType="2", placeCode="002"), by_ivc_date=by_ivc)
    assert {r["billNo"] for r in reds["billList"]} == {r["billNo"] for r in mine if r["red"] and r["placeCode"] == "002"}


def test_reconciliation_failures(records) -> None:
    client, _, day = records
    from sync_server.connectors.errors import PlatformRejected

    with pytest.raises(PlatformRejected) as err:  # placeCode and busType are required per place
        client.check_data_by_place({"busDate": f"{day[:4]}-{day[4:6]}-{day[6:]}", "pageNo": "1", "pageSize": "10"})
    assert err.value.code.startswith("E1")
    with pytest.raises(PlatformRejected) as err:
        client.check_total_data({"busDate": "20261123", "pageNo": "1", "pageSize": "10"})
    assert err.value.code.startswith("E1")
    with pytest.raises(PlatformRejected) as err:
        client.get_bill_by_bus_date({"busBgnDate": day + "000000000", "busEndDate": day + "235959999",
                                     "placeCode": "999", "pageNo": "1", "pageSize": "10"}, by_ivc_date=True)
    assert err.value.code == "E3011"
    with pytest.raises(PlatformRejected) as err:
        client.check_write_off_data({"busDate": f"{day[:4]}-{day[4:6]}-{day[6:]}", "busType": "02",
                                     "placeCode": "001", "pageNo": "1", "pageSize": "201"}, by_ivc_date=True)
    assert err.value.code.startswith("E1")


@pytest.mark.parametrize("method", ["checkTotalData", "checkTotalDataByIvcDate", "checkDataByPlace",
                                    "checkDataPlaceByIvcDate", "checkWriteOffData", "checkWriteOffDataByIvcDate",
                                    "getBillByBusDate", "getBillByIvcDate"])
def test_each_reconciliation_method_refuses_a_bad_date(records, method: str) -> None:
    from sync_server.connectors.errors import PlatformRejected

    client, _, day = records
    if method.startswith("getBill"):
        q = {"busBgnDate": day, "busEndDate": day + "235959999", "pageNo": "1", "pageSize": "10"}  # 8-digit time
    else:
        q = {"ivcDate" if "Ivc" in method else "busDate": day, "busType": "02", "placeCode": "001",
             "pageNo": "1", "pageSize": "10"}  # yyyyMMdd where yyyy-MM-dd is required
    with pytest.raises(PlatformRejected) as err:
        client.forward(method, q)
    assert err.value.code.startswith("E1")
