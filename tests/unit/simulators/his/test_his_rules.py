"""State rules of the HIS simulator: remaining counts, check-in once, balances never negative,
deposits and discharge, card registration, reversals."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

import pytest

from billing_core.clock import ManualClock
from simulators.his.context import HisContext
from simulators.his.people import check_digit, check_id_no, make_id_no
from tests.rigs.his_rig import Caller, rid

pytestmark = pytest.mark.unit

PREPAY = {"payMethod": "prepayment"}


def ext(amount: str, ref: str = "WX0001") -> dict[str, str]:
    return {"payMethod": "external", "payChannel": "05", "payRef": ref, "payAmount": amount}


def slot(his: Caller, dept: str = "NK", day: str = "2026-12-03", kind: str = "普通") -> dict[str, Any]:
    return next(s for s in his.ok("slot.list", {"deptCode": dept, "date": day, "type": kind})["slots"])


def test_id_numbers_have_a_valid_check_digit() -> None:
    assert check_digit("11010519491231002") == "X"  # the standard's published example
    assert check_id_no("11010519491231002x") == "11010519491231002X"
    made = make_id_no("440106", date(1990, 2, 28), 7, male=False)
    assert check_id_no(made) == made and int(made[16]) % 2 == 0
    with pytest.raises(Exception, match="校验位"):
        check_id_no("110105194912310021")


def test_demo_patients_have_consistent_valid_identities(demo: dict[str, Any]) -> None:
    assert len(demo["patients"]) >= 8 and sum(1 for p in demo["patients"] if p["admissionNo"]) == 3
    for p in demo["patients"]:
        assert check_id_no(p["idNo"]) == p["idNo"]
        assert p["idNo"][6:14] == p["birth"].replace("-", "")
        assert (int(p["idNo"][16]) % 2 == 1) == (p["sex"] == "男")
        assert len(p["phone"]) == 11 and p["phone"].startswith("1")
    assert {"ssCard", "hospitalCard", "eVoucher"} <= {k for p in demo["patients"] for k, v in p.items() if v}


def test_booking_takes_a_slot_and_cancel_gives_it_back(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    s = slot(his, day="2026-12-05", kind="专家")
    booked = his.ok("appointment.book", {"requestId": rid(), "patientId": p, "slotId": s["slotId"]} | PREPAY)
    assert slot(his, day="2026-12-05", kind="专家")["remaining"] == s["remaining"] - 1
    assert booked["appointment"]["status"] == "booked" and booked["settlement"]["amount"] == "31.00"
    again = his.call("appointment.book", {"requestId": rid(), "patientId": p, "slotId": s["slotId"]} | PREPAY)
    assert again[0] == "E3536"
    assert slot(his, day="2026-12-05", kind="专家")["remaining"] == s["remaining"] - 1
    # not the visit day: check-in refused
    assert his.call("appointment.checkIn", {"appointmentNo": booked["appointment"]["appointmentNo"]})[0] == "E3534"
    before = his.ok("prepay.balance", {"patientId": p})["balance"]
    out = his.ok("appointment.cancel", {"requestId": rid(), "appointmentNo": booked["appointment"]["appointmentNo"]})
    assert out["appointment"]["status"] == "cancelled" and out["refund"]["amount"] == "-31.00"
    assert slot(his, day="2026-12-05", kind="专家")["remaining"] == s["remaining"]
    assert float(his.ok("prepay.balance", {"patientId": p})["balance"]) == float(before) + 31


def test_a_full_slot_refuses_and_changes_nothing(his: Caller, ctx: HisContext, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    s = slot(his)
    with ctx.store.tx() as db:
        db.execute("UPDATE slots SET remaining = 0 WHERE id = ?", (s["slotId"],))
    before = his.ok("prepay.balance", {"patientId": p})["balance"]
    code, msg, _ = his.call("registration.create", {"requestId": rid(), "patientId": p, "slotId": s["slotId"]} | PREPAY)
    assert code == "E3531" and "约满" in msg
    assert his.ok("prepay.balance", {"patientId": p})["balance"] == before
    assert his.ok("appointment.list", {"patientId": p})["appointments"] == []


def test_check_in_once_with_queue_numbers(his: Caller, demo: dict[str, Any]) -> None:
    s = slot(his)
    a = his.ok("appointment.book", {"requestId": rid(), "patientId": demo["patients"][0]["id"],
                                    "slotId": s["slotId"]} | PREPAY)["appointment"]
    b = his.ok("appointment.book", {"requestId": rid(), "patientId": demo["patients"][2]["id"],
                                    "slotId": s["slotId"]} | PREPAY)["appointment"]
    assert his.ok("appointment.checkIn", {"appointmentNo": b["appointmentNo"]})["queueNo"] == 1
    assert his.ok("appointment.checkIn", {"appointmentNo": a["appointmentNo"]})["queueNo"] == 2
    code, msg, _ = his.call("appointment.checkIn", {"appointmentNo": a["appointmentNo"]})
    assert code == "E3533" and "重复签到" in msg
    assert his.call("appointment.cancel", {"requestId": rid(), "appointmentNo": a["appointmentNo"]})[0] == "E3535"


def test_registration_now_is_today_only(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    tomorrow = slot(his, day="2026-12-04")
    assert his.call("registration.create", {"requestId": rid(), "patientId": p,
                                            "slotId": tomorrow["slotId"]} | PREPAY)[0] == "E3534"
    out = his.ok("registration.create", {"requestId": rid(), "patientId": p,
                                         "slotId": slot(his, "JZK", kind="急诊")["slotId"]} | PREPAY)
    assert out["appointment"]["status"] == "checked_in" and out["appointment"]["queueNo"] == 1
    assert his.call("slot.list", {"deptCode": "NK", "date": "2026-12-11"})[0] == "E3537"  # 8 days ahead
    assert his.call("slot.list", {"deptCode": "XX", "date": "2026-12-03"})[0] == "E3538"


def test_prepayment_balance_never_goes_negative(his: Caller, ctx: HisContext, demo: dict[str, Any]) -> None:
    p = demo["patients"][4]["id"]
    charge = his.ok("charge.pending", {"patientId": p})["charges"][0]
    with ctx.store.tx() as db:  # one fen short of the charge
        db.execute("UPDATE patients SET prepay_fen = ? WHERE id = ?", (round(float(charge["amount"]) * 100) - 1, p))
    before = his.ok("prepay.balance", {"patientId": p})["balance"]
    code, msg, _ = his.call("outpatient.settle", {"requestId": rid(), "patientId": p,
                                                  "chargeIds": [charge["chargeId"]]} | PREPAY)
    assert code == "E3541" and "不足" in msg
    assert his.ok("prepay.balance", {"patientId": p})["balance"] == before
    assert [c["chargeId"] for c in his.ok("charge.pending", {"patientId": p})["charges"]] == [charge["chargeId"]]
    top = his.ok("prepay.topUp", {"requestId": rid(), "patientId": p, "amount": "0.01"} | ext("0.01"))
    assert top["settlement"]["prepayBalance"] == charge["amount"]
    done = his.ok("outpatient.settle", {"requestId": rid(), "patientId": p, "chargeIds": [charge["chargeId"]]} | PREPAY)
    assert done["settlement"]["prepayBalance"] == "0.00" and done["settlement"]["prepayPart"] == charge["amount"]
    with pytest.raises(sqlite3.IntegrityError), ctx.store.tx() as db:  # the database itself refuses
        db.execute("UPDATE patients SET prepay_fen = -1 WHERE id = ?", (p,))


def test_outpatient_settlement_of_chosen_charges(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    charges = his.ok("charge.pending", {"patientId": p})["charges"]
    assert len(charges[0]["lines"]) == 12 and charges[1]["kind"] == "exam"
    out = his.ok("outpatient.settle", {"requestId": rid(), "patientId": p, "chargeIds": [charges[1]["chargeId"]]}
                 | ext(charges[1]["amount"]))["settlement"]
    assert out["externalPart"] == charges[1]["amount"] and out["prepayPart"] == "0.00"
    left = his.ok("charge.pending", {"patientId": p})["charges"]
    assert [c["chargeId"] for c in left] == [charges[0]["chargeId"]]
    code, _, _ = his.call("outpatient.settle", {"requestId": rid(), "patientId": p,
                                                "chargeIds": [charges[1]["chargeId"]]} | PREPAY)
    assert code == "E3540"
    code, msg, _ = his.call("outpatient.settle", {"requestId": rid(), "patientId": p,
                                                  "chargeIds": [charges[0]["chargeId"]]} | ext("1.00"))
    assert code == "E3542" and "payAmount" in msg
    # reversal: the charges are refunded, an external part is reported for refund
    rev = his.ok("settlement.reverse", {"requestId": rid(), "settlementNo": out["settlementNo"], "reason": "退药"})
    assert rev["reversal"]["amount"] == "-" + out["amount"] and rev["reversal"]["refundDue"] == out["amount"]
    assert his.call("settlement.reverse", {"requestId": rid(), "settlementNo": out["settlementNo"],
                                           "reason": "再退"})[0] == "E3561"


def test_deposit_and_discharge_with_surplus_and_due(his: Caller, demo: dict[str, Any], ctx: HisContext) -> None:
    rich = next(p for p in demo["patients"] if p["name"] == "王芳")["admissionNo"]  # 3000.00 deposit
    poor = next(p for p in demo["patients"] if p["name"] == "刘洋")["admissionNo"]  # 500.00 deposit
    bill = his.ok("inpatient.dischargeBill", {"admissionNo": rich})
    assert float(bill["deposit"]) > float(bill["total"]) and bill["due"] == "0.00"
    s = his.ok("inpatient.settleDischarge", {"requestId": rid(), "admissionNo": rich})["settlement"]
    assert s["depositPart"] == bill["total"] and s["refundDue"] == bill["refundDue"] and s["depositBalance"] == "0.00"
    assert his.call("inpatient.deposit", {"requestId": rid(), "admissionNo": rich, "amount": "10"} | ext("10"))[0] == "E3551"
    assert his.call("settlement.reverse", {"requestId": rid(), "settlementNo": s["settlementNo"],
                                           "reason": "x"})[0] == "E3561"
    with ctx.store.tx() as db:  # make the stay dearer than its deposit
        db.execute("INSERT INTO daily_fees (admission_no, day, code, name, spec, unit, price_fen, qty, charge_code,"
                   " charge_name) VALUES (?, '2026-12-03', 'T9', '手术', '', '次', 100000, 1, '402', '手术费')", (poor,))
    bill = his.ok("inpatient.dischargeBill", {"admissionNo": poor})
    assert bill["refundDue"] == "0.00" and float(bill["due"]) > 0
    assert his.call("inpatient.settleDischarge", {"requestId": rid(), "admissionNo": poor})[0] == "E3510"
    s = his.ok("inpatient.settleDischarge", {"requestId": rid(), "admissionNo": poor} | ext(bill["due"]))["settlement"]
    assert s["depositPart"] == "500.00" and s["externalPart"] == bill["due"]


def test_daily_list_is_limited_to_the_stay(his: Caller, demo: dict[str, Any], clock: ManualClock) -> None:
    no = next(p for p in demo["patients"] if p["name"] == "王芳")["admissionNo"]
    stay = his.ok("inpatient.get", {"patientId": next(p["id"] for p in demo["patients"] if p["name"] == "王芳")})
    first = stay["inpatient"]["admittedOn"]
    day = his.ok("inpatient.dailyList", {"admissionNo": no, "date": first})
    assert day["lines"] and sum(float(x["amount"]) for x in day["lines"]) == pytest.approx(float(day["total"]))
    assert his.call("inpatient.dailyList", {"admissionNo": no, "date": "2026-11-01"})[0] == "E3552"
    clock.advance(timedelta(days=1).total_seconds())
    assert his.call("inpatient.dailyList", {"admissionNo": no, "date": "2026-12-04"})[0] == "0"


def test_register_card_rules(his: Caller) -> None:
    id_no = make_id_no("320102", date(1992, 6, 1), 33, male=True)
    base = {"name": "孙浩", "sex": "男", "birthDate": "1992-06-01", "idNo": id_no, "phone": "13912340000",
            "firstTopUp": "50.00", "cardFee": "5.00"} | ext("55.00")
    code, msg, _ = his.call("patient.register", {"requestId": rid()} | base | {"phone": ""})
    assert code == "E3510" and "phone" in msg
    assert his.call("patient.register", {"requestId": rid()} | base | {"sex": "女"})[0] == "E3513"
    low = base | {"firstTopUp": "1.00"} | ext("6.00")
    assert his.call("patient.register", {"requestId": rid()} | low)[0] == "E3522"
    out = his.ok("patient.register", {"requestId": rid()} | base)
    assert out["patient"]["hospitalCard"] == out["hospitalCard"] and out["patient"]["prepayBalance"] == "50.00"
    assert out["cardFee"]["ebillMethod"] == "invoiceEBillOutpatient" and out["topUp"]["ebillMethod"] == "invoicePayMentVoucher"
    found = his.ok("patient.find", {"by": "hospitalCard", "value": out["hospitalCard"]})["patient"]
    assert found["idNo"] == id_no
    assert his.call("patient.register", {"requestId": rid()} | base)[0] == "E3521"


def test_find_patient_by_each_identifier(his: Caller, demo: dict[str, Any], ctx: HisContext) -> None:
    li = next(p for p in demo["patients"] if p["name"] == "李娜")
    for by, value in (("ssCard", li["ssCard"]), ("idNo", li["idNo"]), ("eVoucher", li["eVoucher"])):
        assert his.ok("patient.find", {"by": by, "value": value})["patient"]["patientId"] == li["id"]
    assert his.call("patient.find", {"by": "hospitalCard", "value": "8899999999"})[0] == "E3520"
    assert his.call("patient.find", {"by": "face", "value": "x"})[0] == "E3511"


def test_insured_discharge_takes_the_insurance_part_first(his: Caller, demo: dict[str, Any]) -> None:
    from decimal import Decimal

    from billing_core.bills import validate_request

    rich = next(p for p in demo["patients"] if p["name"] == "王芳")["admissionNo"]  # 3000.00 deposit
    ward = his.ok("inpatient.list", {"ward": "", "status": "in"})["inpatients"]
    assert rich in {s["admissionNo"] for s in ward}
    assert his.call("inpatient.list", {"status": "gone"})[0] == "E3511"
    total = Decimal(his.ok("inpatient.dischargeBill", {"admissionNo": rich})["total"])
    fund, account = (total * Decimal("0.6")).quantize(Decimal("0.01")), Decimal("12.34")
    ins = {"setlId": "S0001", "psnNo": "44030000000000000001", "insuplcAdmdvs": "440300",
           "fundPay": f"{fund}", "accountPay": f"{account}"}
    assert his.call("inpatient.dischargeBill", {"admissionNo": rich, "insurance": ins | {
        "fundPay": f"{total + 1}"}})[0] == "E3512"
    bill = his.ok("inpatient.dischargeBill", {"admissionNo": rich, "insurance": ins})
    part = total - fund - account
    assert Decimal(bill["depositUsed"]) == part and Decimal(bill["insurancePart"]) == fund + account
    assert Decimal(bill["refundDue"]) == Decimal("3000.00") - part
    s = his.ok("inpatient.settleDischarge", {"requestId": rid(), "admissionNo": rich, "insurance": ins})["settlement"]
    assert Decimal(s["insurancePart"]) + Decimal(s["depositPart"]) + Decimal(s["externalPart"]) == Decimal(s["amount"])
    req = s["ebillRequest"] | {"placeCode": "001"}
    assert req["fundPay"] == f"{fund}" and req["accountPay"] == "12.34" and req["selfCashPay"] == f"{part}"
    assert req["balancedNumber"] == "S0001" and {c["payChannelCode"] for c in req["payChannelDetail"]} >= {"YBTCJJ", "YBK"}
    assert validate_request(s["ebillMethod"], req)["balancedNumber"] == "S0001"  # raises when invalid
