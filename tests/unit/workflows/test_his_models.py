"""workflows.his models: wire JSON -> frozen dataclasses with Decimal money; identity numbers,
phones and cards masked in every repr; payments to request fields."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from workflows.his import HisBadAnswer, HisError, HisUnavailable, Patient, Payment, Settlement

pytestmark = pytest.mark.unit

PATIENT = {"patientId": "P00000009", "name": "张三", "sex": "男", "birthDate": "1980-02-29",
           "idNo": "11010519800229123X", "phone": "13912345678", "ssCard": "A98765432", "hospitalCard": "8800000123",
           "hasEVoucher": True, "address": "北京市东城区", "prepayBalance": "12.50"}
SETTLEMENT = {"settlementNo": "MZ20261203000001", "kind": "outpatient", "patientId": "P00000009", "patientName": "张三",
              "admissionNo": None, "amount": "37.00", "payMethod": "prepayment", "payChannel": "07", "payRef": "",
              "prepayPart": "37.00", "depositPart": "0.00", "externalPart": "0.00", "refundDue": "0.00",
              "createdAt": "2026-12-03T09:30:00.000+08:00", "status": "settled", "reversalOf": None,
              "reversedBy": None, "reason": "", "issuer": "terminal", "prepayBalance": "463.00",
              "items": [{"code": "X0001", "name": "阿莫西林胶囊", "spec": "0.25g*24粒", "unit": "盒", "price": "18.50",
                         "qty": 2, "amount": "37.00", "chargeCode": "201", "chargeName": "西药费"}],
              "ebillMethod": "invoiceEBillOutpatient", "ebillRequest": {"busNo": "MZ20261203000001", "idCardNo":
                                                                        "11010519800229123X"},
              "ebill": {"status": "pending"}}


def test_patient_repr_masks_identifiers_but_keeps_them() -> None:
    p = Patient.of(PATIENT)
    text = repr(p) + str(p) + f"{p}"
    for secret in ("11010519800229123X", "13912345678", "A98765432", "8800000123"):
        assert secret not in text
    assert "110105********123X" in text and "139****5678" in text
    assert p.id_no == "11010519800229123X" and p.birth_date == date(1980, 2, 29)
    assert p.prepay_balance == Decimal("12.50")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.name = "李四"  # type: ignore[misc]


def test_settlement_parses_money_exactly_and_hides_the_bill_request_in_repr() -> None:
    s = Settlement.of(SETTLEMENT)
    assert s.amount == Decimal("37.00") and s.items[0].price == Decimal("18.50") and s.items[0].qty == 2
    assert s.ebill_request is not None and s.ebill_request["busNo"] == s.settlement_no
    assert "11010519800229123X" not in repr(s) and s.ebill.status == "pending"
    rev = Settlement.of(SETTLEMENT | {"amount": "-37.00", "status": "reversal", "ebillRequest": None,
                                      "ebill": {"status": "none"}})
    assert rev.amount == Decimal("-37.00") and rev.ebill_request is None


def test_payment_wire_fields() -> None:
    assert Payment.prepayment().wire() == {"payMethod": "prepayment"}
    assert Payment.paid("05", "WX1", Decimal("3.5")).wire() == {"payMethod": "external", "payChannel": "05",
                                                                 "payRef": "WX1", "payAmount": "3.50"}


def test_error_types() -> None:
    err = HisError("预交金余额不足", code="E3541")
    assert err.code == "E3541" and err.message == "预交金余额不足"
    lost = HisUnavailable(sent=True)
    assert isinstance(lost, HisError) and lost.code == "E3591" and lost.sent and lost.message
    bad = HisBadAnswer()
    assert isinstance(bad, HisUnavailable) and bad.code == "E3592" and bad.sent
