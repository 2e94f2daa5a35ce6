"""The e-bill content of every settlement kind is a valid finance-platform issue request
(billing_core validation) whose self-pay totals add up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing_core.bills import validate_request
from simulators.his.context import HisContext
from simulators.his.people import make_id_no
from tests.rigs.his_rig import Caller, rid

pytestmark = pytest.mark.unit

EXT = {"payMethod": "external", "payChannel": "04", "payRef": "ALI1"}


def _check(s: dict[str, Any]) -> dict[str, Any]:
    """Validate the e-bill request of settlement ``s`` (placeCode filled as a terminal would)."""
    req = s["ebillRequest"]
    assert req["busNo"] == s["settlementNo"] and req["placeCode"] == ""  # left to the issuing terminal
    norm = validate_request(s["ebillMethod"], req | {"placeCode": "005"})
    total = Decimal(s["amount"])
    channels = sum((c["payChannelValue"] for c in norm["payChannelDetail"]), Decimal(0))
    assert channels == total
    if "totalAmt" in norm:
        assert norm["totalAmt"] == total == sum((c["amt"] for c in norm["chargeDetail"]), Decimal(0))
        assert norm["selfCashPay"] == norm["ownPay"] == total
        assert norm["fundPay"] == norm["accountPay"] == norm["otherfundPay"] == 0
        assert sum((x["amt"] for x in norm["listDetail"]), Decimal(0)) == total
    else:
        assert norm["amt"] == total
    return norm


def test_every_settlement_kind_carries_a_valid_ebill(his: Caller, ctx: HisContext, demo: dict[str, Any]) -> None:
    methods: set[str] = set()
    for p in demo["patients"]:
        for charge in his.ok("charge.pending", {"patientId": p["id"]})["charges"]:
            s = his.ok("outpatient.settle", {"requestId": rid(), "patientId": p["id"], "chargeIds": [charge["chargeId"]],
                                             "payAmount": charge["amount"]} | EXT)["settlement"]
            norm = _check(s)
            assert len(norm["listDetail"]) == len(charge["lines"])  # 1 to 20 drug lines
            methods.add(s["ebillMethod"])
    slot = his.ok("slot.list", {"deptCode": "EK", "date": "2026-12-03", "type": "专家"})["slots"][0]
    reg = his.ok("registration.create", {"requestId": rid(), "patientId": demo["patients"][0]["id"],
                                         "slotId": slot["slotId"], "payMethod": "prepayment"})["settlement"]
    norm = _check(reg)
    assert norm["busType"] == "06" and norm["payChannelDetail"][0]["payChannelCode"] == "07"
    top = his.ok("prepay.topUp", {"requestId": rid(), "patientId": demo["patients"][1]["id"], "amount": "300",
                                  "payAmount": "300"} | EXT)["settlement"]
    assert _check(top)["busType"] == "12"
    stay = next(p for p in demo["patients"] if p["admissionNo"])
    dep = his.ok("inpatient.deposit", {"requestId": rid(), "admissionNo": stay["admissionNo"], "amount": "2000",
                                       "payAmount": "2000"} | EXT)["settlement"]
    assert _check(dep)["busType"] == "07"
    out = his.ok("inpatient.settleDischarge", {"requestId": rid(), "admissionNo": stay["admissionNo"]})["settlement"]
    norm = _check(out)
    assert norm["busType"] == "01" and norm["cashRefund"] == Decimal(out["refundDue"])
    card = his.ok("patient.register", {"requestId": rid(), "name": "钱多", "sex": "女", "birthDate": "2000-01-01",
                                       "idNo": make_id_no("110105", date(2000, 1, 1), 9, False),
                                       "phone": "13511112222", "firstTopUp": "10", "cardFee": "5",
                                       "payAmount": "15"} | EXT)
    _check(card["cardFee"])
    _check(card["topUp"])
    methods |= {reg["ebillMethod"], top["ebillMethod"], out["ebillMethod"]}
    assert methods == {"invoiceEBillOutpatient", "invEBillRegistration", "invoicePayMentVoucher",
                       "invEBillHospitalized"}


def test_reversal_has_no_ebill_of_its_own(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    top = his.ok("prepay.topUp", {"requestId": rid(), "patientId": p, "amount": "20", "payAmount": "20"} | EXT)
    rev = his.ok("settlement.reverse", {"requestId": rid(), "settlementNo": top["settlement"]["settlementNo"],
                                        "reason": "误充"})["reversal"]
    assert rev["ebillRequest"] is None and rev["ebill"]["status"] == "none" and rev["reversalOf"]
    assert his.ok("settlement.get", {"settlementNo": top["settlement"]["settlementNo"]})["settlement"]["status"] == "reversed"


def test_the_terminal_reports_the_bill_it_issued(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    top = his.ok("prepay.topUp", {"requestId": rid(), "patientId": p, "amount": "20", "payAmount": "20"} | EXT)
    no = top["settlement"]["settlementNo"]
    numbers = {"settlementNo": no, "billBatchCode": "44060126", "billNo": "0000000042", "random": "abc123"}
    s = his.ok("ebill.report", numbers | {"emergency": True})["settlement"]
    assert s["ebill"]["status"] == "issued" and s["ebill"]["emergency"] is True and s["ebill"]["issuedBy"] == his.appid
    assert his.ok("ebill.report", numbers)["settlement"]["ebill"]["billNo"] == "0000000042"
    assert his.call("ebill.report", numbers | {"billNo": "0000000043"})[0] == "E3564"
    assert his.call("ebill.report", numbers | {"random": ""})[0] == "E3510"
    rev = his.ok("settlement.reverse", {"requestId": rid(), "settlementNo": no, "reason": "误充"})["reversal"]
    assert his.call("ebill.report", numbers | {"settlementNo": rev["settlementNo"]})[0] == "E3564"
