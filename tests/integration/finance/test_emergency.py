"""Our §17 extensions: reserve / return emergency numbers, upload emergency bills."""

from __future__ import annotations

import pytest

from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from sync_server.connectors.finance_ext import FinanceExtClient
from tests.integration.finance.conftest import make_bill, now17

pytestmark = pytest.mark.integration


def upload_req(block: dict, no: int, bill: dict, random: str = "e1e2e3") -> dict:
    return {"billType": "outpatient", "bill": bill, "billBatchCode": block["billBatchCode"], "billNo": f"{no:010d}",
            "random": random, "issueTime": now17(), "terminalId": "KIOSK-01", "signValue": "ab" * 32}


def test_reserved_numbers_never_appear_in_online_issuing(client: FinanceClient, ext: FinanceExtClient) -> None:
    block = ext.emergency_stock_out("002", 20, "信息科")
    bgn, end = int(block["billBgnNo"]), int(block["billEndNo"])
    assert end - bgn + 1 == 20 and len(block["reserveTime"]) == 17
    online = {int(client.invoice_ebill_outpatient(make_bill(place="002"))["billNo"]) for _ in range(5)}
    assert not online & set(range(bgn, end + 1))
    valid = client.get_valid_bill_no("002", bill_code="0601")["billNoList"]
    for r in valid:  # the reserved block is not online stock either
        assert int(r["billEndNo"]) < bgn or int(r["billBgnNo"]) > end
    nxt = ext.emergency_stock_out("002", 5, "信息科")
    assert int(nxt["billBgnNo"]) == end + 1
    with pytest.raises(PlatformRejected) as err:
        ext.emergency_stock_out("002", 10_000_0, "信息科")
    assert err.value.code == "E4010"


def test_upload_repeat_conflicts_and_write_off(client: FinanceClient, ext: FinanceExtClient) -> None:
    block = ext.emergency_stock_out("001", 10, "信息科")
    bgn = int(block["billBgnNo"])
    bill = make_bill(amt="30.00")
    req = upload_req(block, bgn, bill)
    with pytest.raises(PlatformRejected) as err:  # not uploaded yet: no write-off
        client.write_off_ebill({"billBatchCode": block["billBatchCode"], "billNo": f"{bgn:010d}", "reason": "退费",
                                "operator": "x", "busDateTime": now17(), "placeCode": "001"})
    assert err.value.code == "E4015"
    first = ext.upload_emergency_ebill(req)
    assert (first["billNo"], first["random"]) == (f"{bgn:010d}", "e1e2e3")  # exactly as printed
    assert ext.upload_emergency_ebill(req)["billNo"] == first["billNo"]  # repeat answers the same bill
    found = client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert (found["billNo"], found["random"]) == (first["billNo"], "e1e2e3")
    other = dict(req, bill=make_bill(amt="31.00"))
    with pytest.raises(PlatformRejected) as err:  # same number, other content
        ext.upload_emergency_ebill(other)
    assert err.value.code == "E4012" and FinanceExtClient.is_conflict(err.value) and first["billNo"] in err.value.message
    with pytest.raises(PlatformRejected) as err:  # the busNo already has a bill
        ext.upload_emergency_ebill(upload_req(block, bgn + 1, bill))
    assert err.value.code == "E4014" and first["billNo"] in err.value.message
    red = client.write_off_ebill({"billBatchCode": block["billBatchCode"], "billNo": first["billNo"],
                                  "reason": "退费", "operator": "x", "busDateTime": now17(), "placeCode": "001"})
    assert client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])["scarletBillNo"] == red["eScarletBillNo"]


def test_upload_outside_block_and_returned_numbers(client: FinanceClient, ext: FinanceExtClient) -> None:
    block = ext.emergency_stock_out("003", 10, "信息科")
    bgn, end = int(block["billBgnNo"]), int(block["billEndNo"])
    with pytest.raises(PlatformRejected) as err:  # beyond the block
        ext.upload_emergency_ebill(upload_req(block, end + 100, make_bill(place="003")))
    assert err.value.code == "E4011"
    with pytest.raises(PlatformRejected) as err:  # an online number is not an emergency number
        online = client.invoice_ebill_outpatient(make_bill(place="003"))
        ext.upload_emergency_ebill(upload_req(block, int(online["billNo"]), make_bill(place="003")))
    assert err.value.code == "E4011"
    with pytest.raises(PlatformRejected) as err:  # block of another billing point
        ext.upload_emergency_ebill(upload_req(block, bgn, make_bill(place="004")))
    assert err.value.code == "E4011"
    ext.emergency_stock_return("003", block["billBatchCode"], f"{end - 4:010d}", f"{end:010d}", "停用")
    with pytest.raises(PlatformRejected) as err:
        ext.upload_emergency_ebill(upload_req(block, end, make_bill(place="003")))
    assert err.value.code == "E4013"
    with pytest.raises(PlatformRejected) as err:  # returned twice
        ext.emergency_stock_return("003", block["billBatchCode"], f"{end:010d}", f"{end:010d}", "停用")
    assert err.value.code == "E4016"
    ext.upload_emergency_ebill(upload_req(block, bgn, make_bill(place="003")))
    with pytest.raises(PlatformRejected) as err:  # a used number cannot be returned
        ext.emergency_stock_return("003", block["billBatchCode"], f"{bgn:010d}", f"{bgn + 1:010d}", "停用")
    assert err.value.code == "E4016"
    with pytest.raises(PlatformRejected) as err:
        ext.upload_emergency_ebill(dict(upload_req(block, bgn + 2, make_bill(place="003")), billType="dental"))
    assert err.value.code.startswith("E1")
