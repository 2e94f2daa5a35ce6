"""The ward's money steps against the real processes: ward list and arrears, collection by
payment code (被扫) and by QR (主扫), payment succeeded + HIS down (stored, pushed later, never
charged twice), reversal (and reversal with the HIS down), discharge with a deposit larger than
the bill (surplus back on the original channels, to the fen) and with a self-pay top-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from offline_store import kiosk_orders
from tests.integration.ward.conftest import one
from tests.integration.ward.rig import QrPayer
from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE
from workflows.kiosk.models import PayChoice
from workflows.ward.errors import NotReversibleError, WardInputError

pytestmark = pytest.mark.integration


def _stay(rig, bed: str = "01床", deposit: str = "0", days: int = 1):  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    return p, rig.admit(p["patientId"], deposit=deposit, days=days, bed=bed)


def _row(ward, p):  # type: ignore[no-untyped-def]
    return one([r for r in ward.desk.board() if r.patient_id == p["patientId"]])


def _deposits(ward, patient_id: str):  # type: ignore[no-untyped-def]
    return [s for s in ward.his.settlements(patient_id, "deposit")]


def test_ward_list_shows_balance_against_the_minimum_and_arrears(rig, ward) -> None:  # type: ignore[no-untyped-def]
    _, ok = _stay(rig, "11床", deposit="5000.00")
    _, low = _stay(rig, "12床", deposit="100.00")
    _, owes = _stay(rig, "13床", deposit="0")
    rows = {r.admission_no: r for r in ward.desk.board()}
    fees = Decimal(owes["totalFees"])
    assert rows[owes["admissionNo"]].status == "arrears" and rows[owes["admissionNo"]].arrears == fees
    assert rows[owes["admissionNo"]].suggested == Decimal("1000.00") + fees
    assert rows[low["admissionNo"]].status == "low"
    assert rows[ok["admissionNo"]].status == "ok" and rows[ok["admissionNo"]].arrears == 0
    assert rows[ok["admissionNo"]].balance == Decimal("5000.00") - Decimal(ok["totalFees"])
    statuses = [r.status for r in ward.desk.board()]
    assert statuses == sorted(statuses, key=["arrears", "low", "ok"].index)  # arrears first
    assert all("*" in r.name for r in rows.values())  # names masked on screen


def test_collect_by_payment_code_pushes_to_his_and_issues_the_voucher(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, stay = _stay(rig, "21床")
    result = ward.desk.collect(_row(ward, p), Decimal("300.00"), PayChoice.code(WECHAT_CODE))
    assert result.ok and result.state == "printed", result
    assert result.balance == Decimal("300.00")
    s = one(_deposits(ward, p["patientId"]))
    assert s.pay_ref == result.order_no and s.external_part == Decimal("300.00") and s.pay_channel == "05"
    assert s.ebill.status == "issued" and s.ebill.bill_no == result.bill.bill_no  # reported to the HIS
    order = rig.control._get(f"/_sim/orders/{result.order_no}")
    assert order["trade_state"] == "SUCCESS" and order["total_fee"] == 30000
    with pytest.raises(WardInputError):
        ward.desk.collect(_row(ward, p), Decimal("0.001"), PayChoice.code(WECHAT_CODE))


def test_collect_by_qr_shown_to_the_patient(rig, ward, events) -> None:  # type: ignore[no-untyped-def]
    p, _ = _stay(rig, "22床")
    result = QrPayer(rig, events).pay(lambda: ward.desk.collect(_row(ward, p), Decimal("88.88"), PayChoice.qr()))
    assert result.ok and result.state == "printed", result
    assert one(_deposits(ward, p["patientId"])).external_part == Decimal("88.88")
    assert rig.control._get(f"/_sim/orders/{result.order_no}")["pay_channel"] == "alipay"


def test_paid_with_his_down_is_stored_and_pushed_later_once(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, _ = _stay(rig, "23床")
    row = _row(ward, p)
    rig.his_control("faults", {"down": 3})  # every attempt of this collection answers 503
    paid = ward.desk.collect(row, Decimal("120.00"), PayChoice.code(ALIPAY_CODE))
    assert not paid.ok and paid.state == "paid", paid
    assert _deposits(ward, p["patientId"]) == []
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["trade_state"] == "SUCCESS"
    done = ward.maintain()["resumed"]
    assert done["orders"] == 1
    assert ward.desk.checkout.order(paid.order_no).state == "printed"
    assert one(_deposits(ward, p["patientId"])).pay_ref == paid.order_no
    assert ward.maintain()["resumed"]["orders"] == 0  # nothing again: never pushed twice
    assert len(_deposits(ward, p["patientId"])) == 1
    order = rig.control._get(f"/_sim/orders/{paid.order_no}")
    assert order["trade_state"] == "SUCCESS" and order["refund_fee"] == 0
    assert ward.his.inpatient(p["patientId"]).deposit == Decimal("120.00")


def test_reversal_gives_the_deposit_back_on_the_original_channel(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, _ = _stay(rig, "24床")
    paid = ward.desk.collect(_row(ward, p), Decimal("200.00"), PayChoice.code(WECHAT_CODE))
    assert paid.ok
    with pytest.raises(WardInputError):
        ward.desk.reverse(paid.order_no, " ")
    rig.his_control("faults", {"down": 1})
    waiting = ward.desk.reverse(paid.order_no, "收错患者")
    assert waiting.state == "his" and not waiting.done
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == 0
    done = ward.desk.reverse(paid.order_no, "收错患者")  # again (or the resume round): finishes
    assert done.done, done
    order = rig.control._get(f"/_sim/orders/{paid.order_no}")
    assert order["trade_state"] == "REFUND" and order["refund_fee"] == 20000
    assert ward.his.inpatient(p["patientId"]).deposit == Decimal("0.00")
    assert ward.desk.reverse(paid.order_no, "再来一次").done  # idempotent: no second refund
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == 20000
    with pytest.raises(NotReversibleError):
        ward.desk.reverse(ward.desk.collect(_row(ward, p), Decimal("1.00"), PayChoice.code(
            "13")).order_no, "x")  # a refused payment code: nothing settled to reverse


def test_discharge_with_deposit_larger_than_bill_refunds_original_channels_to_the_fen(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, stay = _stay(rig, "25床", days=2)
    first = ward.desk.collect(_row(ward, p), Decimal("700.01"), PayChoice.code(WECHAT_CODE))
    second = ward.desk.collect(_row(ward, p), Decimal("300.00"), PayChoice.code(ALIPAY_CODE))
    assert first.ok and second.ok
    bill = ward.desk.discharge_bill(stay["admissionNo"])
    assert bill.deposit == Decimal("1000.01") and bill.due == 0 and bill.refund_due > Decimal("300.00")
    out = ward.desk.discharge(p["patientId"])
    assert out.flow.ok and out.flow.state == "printed", out.flow
    assert out.flow.bill is not None and not out.flow.bill.emergency
    assert out.refund_fen == int(bill.refund_due * 100) == out.refunded_fen
    by_order = {x.out_trade_no: x.fen for x in out.refunds}
    assert by_order == {second.order_no: 30000, first.order_no: out.refund_fen - 30000}  # newest first
    for no, fen in by_order.items():
        assert rig.control._get(f"/_sim/orders/{no}")["refund_fee"] == fen
    # deposits - bill = refunds, to the fen
    assert 70001 + 30000 - int(bill.total * 100) == sum(by_order.values())
    discharge = one(ward.his.settlements(p["patientId"], "discharge"))
    assert discharge.ebill_method == "invEBillHospitalized" and discharge.ebill.status == "issued"
    assert ward.desk.resume()["refunds"] == 0  # a resume round refunds nothing twice
    assert ward.desk.send_notice(out.flow.order_no, "13912345678") == [out.flow.bill.bill_no]  # or sent
    with pytest.raises(WardInputError):
        ward.desk.send_notice(out.flow.order_no, "12345")
    assert sum(rig.control._get(f"/_sim/orders/{no}")["refund_fee"] for no in by_order) == out.refund_fen


def test_discharge_with_self_pay_top_up_in_one_step(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, stay = _stay(rig, "26床", deposit="10.00", days=2)
    bill = ward.desk.discharge_bill(stay["admissionNo"])
    assert bill.due > 0
    with pytest.raises(WardInputError):
        ward.desk.discharge(p["patientId"])
    out = ward.desk.discharge(p["patientId"], PayChoice.code(WECHAT_CODE))
    assert out.flow.ok and out.flow.amount == bill.due and out.refunds == ()
    s = one(ward.his.settlements(p["patientId"], "discharge"))
    assert s.deposit_part == Decimal("10.00") and s.external_part == bill.due and s.amount == bill.total
    assert rig.control._get(f"/_sim/orders/{out.flow.order_no}")["total_fee"] == int(bill.due * 100)
    assert ward.his.inpatient(p["patientId"]).status == "discharged"
    assert [o.state for o in kiosk_orders.of_day(ward.terminal.db)] == ["printed"]


def test_refund_refused_at_discharge_is_finished_by_the_resume_round_once(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p, stay = _stay(rig, "27床", days=1)
    paid = ward.desk.collect(_row(ward, p), Decimal("800.00"), PayChoice.code(WECHAT_CODE))
    assert paid.ok
    rig.control.plan(paid.order_no, outcome="success", refund_fail=True)  # the platform refuses its refunds
    out = ward.desk.discharge(p["patientId"])
    assert out.flow.ok and out.refund_fen > 0 and out.refunded_fen == 0
    line = one(list(out.refunds))
    assert line.state == "pending" and line.out_trade_no == paid.order_no and line.fen == out.refund_fen
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == 0
    board = {(r[0], r[3]) for r in ward.reports.abnormal().rows}
    assert (line.out_refund_no, "押金余额退款处理中") in board
    rig.control.plan(paid.order_no, outcome="success")  # refunds accepted again
    assert ward.desk.resume()["refunds"] == 1
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == out.refund_fen
    assert ward.desk.resume()["refunds"] == 0  # done: never refunded twice
    assert rig.control._get(f"/_sim/orders/{paid.order_no}")["refund_fee"] == out.refund_fen
