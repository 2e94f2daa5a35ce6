"""Issuing contract (spec §3): each issuing method succeeds and fails over real HTTP; the state
change is read back through a different method (getEBillByBusNo / getBillDetail)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import LIMITED_APPID, LIMITED_KEY, control, make_bill

pytestmark = pytest.mark.integration

KINDS = {
    "outpatient": "invoice_ebill_outpatient", "hospitalized": "inv_ebill_hospitalized",
    "registration": "inv_ebill_registration", "checkup": "inv_ebill_checkup", "common": "invoice_ebill_common",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_issue_each_type_and_read_back(client: FinanceClient, kind: str) -> None:
    bill = make_bill(kind, amt="23.40")
    answer = getattr(client, KINDS[kind])(bill)
    assert len(answer["billNo"]) == 10 and len(answer["random"]) == 6 and len(answer["createTime"]) == 17
    found = client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert found is not None
    assert (found["billBatchCode"], found["billNo"], found["random"], found["isScarlet"]) == (
        answer["billBatchCode"], answer["billNo"], answer["random"], "0")
    detail = client.get_bill_detail(answer["billBatchCode"], answer["billNo"], answer["random"])
    assert Decimal(detail["totalAmt"]) == Decimal("23.40")
    assert detail["busNo"] == bill["busNo"] and detail["chargeDetail"][0]["chargeName"] == "西药费"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_issue_refuses_sums_that_do_not_add_up(client: FinanceClient, kind: str) -> None:
    bill = make_bill(kind, amt="10.00")
    bill["totalAmt"] = "11.00"  # charge items and pay channels say 10.00
    with pytest.raises(PlatformRejected) as err:
        getattr(client, KINDS[kind])(bill)
    assert err.value.code.startswith("E1")  # billing_core validation codes
    assert client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"]) is None


def test_unknown_and_ungranted_billing_points(sim, client: FinanceClient) -> None:
    with pytest.raises(PlatformRejected) as err:
        client.invoice_ebill_outpatient(make_bill(place="999"))
    assert err.value.code == "E3011"
    limited = FinanceClient(sim.api_url, LIMITED_APPID, LIMITED_KEY)
    assert limited.invoice_ebill_outpatient(make_bill(place="001"))["billNo"]
    with pytest.raises(PlatformRejected) as err:
        limited.invoice_ebill_outpatient(make_bill(place="002"))
    limited.close()
    assert err.value.code == "E3012"


def test_duplicate_busno_return_and_reject(sim, client: FinanceClient) -> None:
    bill = make_bill()
    first = client.call("invoiceEBillOutpatient", bill)
    again = client.call("invoiceEBillOutpatient", bill)
    assert (again["billNo"], again["random"]) == (first["billNo"], first["random"])
    control(sim, "faults", {"duplicate_busno": "reject"})
    try:
        with pytest.raises(PlatformRejected) as err:
            client.call("invoiceEBillOutpatient", bill)
        assert err.value.code == "E3002"
        # the client's issue() turns the refusal into the existing bill
        outcome = client.issue("invoiceEBillOutpatient", bill)
        assert outcome.recovered and outcome.payload["billNo"] == first["billNo"]
    finally:
        control(sim, "faults", {"duplicate_busno": "return"})


def test_stock_runs_out_with_a_clear_code(sim, client: FinanceClient) -> None:
    control(sim, "stock", {"placeCode": "005", "remaining": 2})
    numbers = [client.invoice_ebill_outpatient(make_bill(place="005"))["billNo"] for _ in range(2)]
    assert int(numbers[1]) == int(numbers[0]) + 1
    with pytest.raises(PlatformRejected) as err:
        client.invoice_ebill_outpatient(make_bill(place="005"))
    assert err.value.code == "E4001" and "库存不足" in err.value.message
    valid = client.get_valid_bill_no("005", bill_code="0601")
    assert valid["count"] == 0
