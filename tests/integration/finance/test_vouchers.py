"""Prepayment vouchers (spec §6): issue, refund, undo a settlement, void voucher paper."""

from __future__ import annotations

from typing import Any

import pytest

from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import bus_no, make_bill, now17

pytestmark = pytest.mark.integration


def voucher_req(amt: str = "1000.00") -> dict[str, Any]:
    return {"busType": "07", "busNo": bus_no("YJ"), "payer": "李四", "busDateTime": now17(), "placeCode": "002",
            "payee": "收费员乙", "author": "收费员乙", "cardType": "3101", "cardNo": "C9", "amt": amt,
            "ownAcBalance": "0", "category": "内科", "categoryCode": "NK", "inHospitalDate": "2026-11-20",
            "hospitalNo": "ZY0009", "visitNo": "ZY0009-1",
            "payChannelDetail": [{"payChannelCode": "02", "payChannelValue": amt}]}


def refund_req(v: dict[str, Any], amt: str) -> dict[str, Any]:
    return {"busType": "07", "reason": "退预交金", "operator": "收费员乙", "busDateTime": now17(), "placeCode": "002",
            "voucherBatchCode": v["voucherBatchCode"], "voucherNo": v["voucherNo"], "amt": amt,
            "ownAcBalance": "1000.00"}


def test_voucher_issue_and_refund(client: FinanceClient) -> None:
    v = client.invoice_pay_ment_voucher(voucher_req())
    assert v["voucherBatchCode"] == "44070126" and len(v["voucherRandom"]) == 6
    states = client.get_ebill_states_by_bill_info(v["voucherBatchCode"], v["voucherNo"])
    assert states["isScarlet"] == "0"
    with pytest.raises(PlatformRejected) as err:
        client.write_off_pay_ment_voucher(refund_req(v, "1000.01"))
    assert err.value.code == "E3020"
    red = client.write_off_pay_ment_voucher(refund_req(v, "1000.00"))
    states = client.get_ebill_states_by_bill_info(v["voucherBatchCode"], v["voucherNo"])
    assert states["isScarlet"] == "1" and states["scarletBillNo"] == red["voucherNo"]
    with pytest.raises(PlatformRejected) as err:
        client.invoice_pay_ment_voucher(dict(voucher_req(), placeCode="999"))
    assert err.value.code == "E3011"


def test_settlement_consumes_vouchers_until_cancelled(client: FinanceClient) -> None:
    v = client.invoice_pay_ment_voucher(voucher_req("500.00"))
    bill = make_bill("hospitalized", place="002", amt="480.00",
                     payMentVoucher=[{"voucherBatchCode": v["voucherBatchCode"], "voucherNo": v["voucherNo"]}])
    settled = client.inv_ebill_hospitalized(bill)
    with pytest.raises(PlatformRejected) as err:  # consumed by the settlement
        client.write_off_pay_ment_voucher(refund_req(v, "500.00"))
    assert err.value.code == "E3010"
    red = client.cancel_pay_ment_voucher_balance({
        "billBatchCode": settled["billBatchCode"], "billNo": settled["billNo"], "reason": "取消结算",
        "operator": "收费员乙", "busDateTime": now17(), "placeCode": "002", "hospitalNo": "ZY0001"})
    assert client.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])["scarletBillNo"] == red["eScarletBillNo"]
    client.write_off_pay_ment_voucher(refund_req(v, "500.00"))  # settleable again
    with pytest.raises(PlatformRejected) as err:
        client.cancel_pay_ment_voucher_balance({
            "billBatchCode": settled["billBatchCode"], "billNo": settled["billNo"], "reason": "取消结算",
            "operator": "收费员乙", "busDateTime": now17(), "placeCode": "002", "hospitalNo": "ZY0001"})
    assert err.value.code == "E3003"


def test_invalid_voucher_paper(client: FinanceClient) -> None:
    v = client.invoice_pay_ment_voucher(voucher_req("200.00"))
    p_no = client.get_paper_bill_no("002", "44060126")["pBillNo"]
    client.turn_paper({"billBatchCode": v["voucherBatchCode"], "billNo": v["voucherNo"], "pBillBatchCode": "44060126",
                       "pBillNo": p_no, "busDateTime": now17(), "placeCode": "002", "operator": "收费员乙"})
    req = {"pBillBatchCode": "44060126", "pBillNo": p_no, "placeCode": "002", "author": "收费员乙",
           "reason": "作废", "busDateTime": now17()}
    red = client.invalid_pay_ment_voucher_paper(req)
    states = client.get_ebill_states_by_bill_info(v["voucherBatchCode"], v["voucherNo"])
    assert (states["isScarlet"], states["scarletBillNo"], states["isPrtPaper"]) == ("1", red["voucherNo"], "0")
    with pytest.raises(PlatformRejected) as err:
        client.invalid_pay_ment_voucher_paper(req)
    assert err.value.code == "E3008"
