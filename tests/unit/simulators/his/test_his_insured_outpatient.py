"""The HIS's insured outpatient settlement (HIS_ADAPTER §3.3): the optional ``insurance`` object
on ``outpatient.settle`` — insurance part first, the payment for the rest, the e-bill's insurance
fields; bad parts refused with nothing changed; a request without it settles as before."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from billing_core.bills import validate_request
from tests.rigs.his_rig import Caller, rid

pytestmark = pytest.mark.unit


def _ins(fund: str, account: str, other: str = "0.00") -> dict[str, Any]:
    return {"insurance": {"setlId": "S440300000001", "psnNo": "44030000000000000001", "insuplcAdmdvs": "440300",
                          "fundPay": fund, "otherfundPay": other, "accountPay": account}}


def _ext(amount: str) -> dict[str, str]:
    return {"payMethod": "external", "payChannel": "09", "payRef": "YBK1C1", "payAmount": amount}


def test_insurance_part_first_then_the_payment(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    charge = his.ok("charge.pending", {"patientId": p})["charges"][1]
    total = Decimal(charge["amount"])
    fund, account = (total * Decimal("0.5")).quantize(Decimal("0.01")), Decimal("1.00")
    cash = total - fund - account
    def body() -> dict[str, Any]:  # a fresh requestId each time: a refused call is recorded too
        return {"requestId": rid(), "patientId": p, "chargeIds": [charge["chargeId"]]}
    # the payment must cover exactly what the insurance did not
    code, msg, _ = his.call("outpatient.settle", body() | _ins(f"{fund}", f"{account}") | _ext(f"{total}"))
    assert code == "E3542" and "payAmount" in msg
    code, msg, _ = his.call("outpatient.settle", body() | _ins(f"{total}", "1.00") | _ext("0.00"))
    assert code == "E3512" and "insurance" in msg
    code, msg, _ = his.call("outpatient.settle", body() | _ins("-1.00", "0.00") | _ext(f"{total}"))
    assert code == "E3512" and "fundPay" in msg
    assert charge["chargeId"] in [c["chargeId"] for c in his.ok("charge.pending", {"patientId": p})["charges"]]

    s = his.ok("outpatient.settle", body() | _ins(f"{fund}", f"{account}") | _ext(f"{cash}"))["settlement"]
    assert s["insurancePart"] == f"{fund + account}" and s["externalPart"] == f"{cash}" and s["amount"] == f"{total}"
    assert Decimal(s["insurancePart"]) + Decimal(s["externalPart"]) + Decimal(s["prepayPart"]) == total
    bill = s["ebillRequest"]
    assert (bill["fundPay"], bill["accountPay"], bill["selfCashPay"], bill["ownPay"]) == \
        (f"{fund}", f"{account}", f"{cash}", "0.00")
    assert bill["medicalInsuranceID"] == "44030000000000000001" and bill["balancedNumber"] == "S440300000001"
    channels = {c["payChannelCode"]: c["payChannelValue"] for c in bill["payChannelDetail"]}
    assert channels == {"YBTCJJ": f"{fund}", "YBK": f"{account}", "09": f"{cash}"}
    norm = validate_request(s["ebillMethod"], bill | {"placeCode": "001"})  # strict: raises on any issue
    assert norm["totalAmt"] == total


def test_insurance_paying_it_all_needs_no_payment(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][1]["id"]
    charge = his.ok("charge.pending", {"patientId": p})["charges"][0]
    total = Decimal(charge["amount"])
    s = his.ok("outpatient.settle", {"requestId": rid(), "patientId": p, "chargeIds": [charge["chargeId"]]}
               | _ins(f"{total - Decimal('2.00')}", "2.00"))["settlement"]
    assert s["insurancePart"] == f"{total}" and s["externalPart"] == "0.00" and s["prepayPart"] == "0.00"
    assert {c["payChannelCode"] for c in s["ebillRequest"]["payChannelDetail"]} == {"YBTCJJ", "YBK"}
    assert s["ebillRequest"]["selfCashPay"] == "0.00"
