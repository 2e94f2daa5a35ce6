"""Every kiosk flow against the real HIS, payment, finance simulators and sync server: identify
five ways, 办就诊卡, registration / booking / check-in / cancel, outpatient payment, top-ups,
deposit, daily list, discharge, notice, bill history, survey — each ending in a printed receipt
and, where a bill was issued, the e-bill reported to the HIS."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from devices.virtual.card_readers import DEMO_ID, DEMO_SSC
from tests.integration.kiosk.rig import Payer
from tests.rigs.payment import WECHAT_CODE
from workflows.kiosk.errors import IdentifyError, KioskInputError, NotIdentifiedError
from workflows.kiosk.models import IdentifyMethod, PayChoice

pytestmark = pytest.mark.integration


def _receipts(kiosk) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in (kiosk.config.data_dir / "receipts").glob("*.png"))


def _reported(rig, settlement_no: str) -> str:  # type: ignore[no-untyped-def]
    caller = rig.his.demo["callers"][0]
    from workflows.his import HisClient
    with HisClient(rig.his.url, caller["appid"], caller["key"]) as his:
        return his.settlement(settlement_no).ebill.status


def test_identify_five_ways(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    s = kiosk.session
    ssc = kiosk.devices.by_role("ssc_reader")
    ssc.insert(DEMO_SSC)
    found = s.identify_ssc(timeout=2)  # the demo card's number belongs to 李娜 in the HIS
    assert found.method is IdentifyMethod.SSC and found.name == "李娜" and found.has_ssc
    assert "*" in found.id_no_masked and "*" in found.phone_masked
    s.reset()
    assert s.patient is None

    ev = rig.patient(name="赵凭证", eVoucher="EVTESTVOUCHER00000001")
    assert s.identify_voucher("EVTESTVOUCHER00000001").patient_id == ev["patientId"]
    with pytest.raises(IdentifyError):
        s.identify_voucher("EVUNKNOWNVOUCHER0000099")
    card = rig.patient(name="钱卡号")
    assert s.identify_hospital_card(card["hospitalCard"]).patient_id == card["patientId"]
    with pytest.raises(KioskInputError) as bad:
        s.identify_hospital_card("12")
    assert bad.value.code == "E3901" and "就诊卡号" in bad.value.message

    face = rig.patient(name="孙刷脸", phone="13822223333")
    rig.face("13822223333", face["idNo"], "孙刷脸")
    assert s.identify_face("13822223333").patient_id == face["patientId"]
    with pytest.raises(IdentifyError) as no_face:
        s.identify_face("13899990000")  # nobody enrolled under this phone
    assert "刷脸核身未通过" in no_face.value.message


def test_register_card_with_payment_code_then_identify_by_id_card(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    s = kiosk.session
    reader = kiosk.devices.by_role("id_reader")
    reader.place(DEMO_ID)  # the demo card's check digit is wrong: refused before any payment
    s.read_id_for_card()
    with pytest.raises(KioskInputError) as bad_id:
        s.register_card("13955556666", Decimal("50.00"), PayChoice.code(WECHAT_CODE))
    assert "校验位" in bad_id.value.message and not kiosk.checkout.orders()
    reader.place(replace(DEMO_ID, id_no="110101198505056784"))
    with pytest.raises(IdentifyError):
        s.identify_id_card()  # 李四 is not a patient yet
    view = s.read_id_for_card()
    assert view.name == "李四" and view.id_no_masked == "110101********6784" and not view.known_patient
    with pytest.raises(KioskInputError):
        s.register_card("12345", Decimal("50.00"), PayChoice.code(WECHAT_CODE))
    result = s.register_card("13955556666", Decimal("50.00"), PayChoice.code(WECHAT_CODE))
    assert result.ok and result.state == "printed", result
    assert result.amount == Decimal("55.00")  # first top-up + 工本费
    assert s.patient is not None and s.patient.hospital_card and s.patient.prepay_balance == Decimal("50.00")
    assert _reported(rig, result.settlement_no) == "issued"
    s.reset()
    assert s.identify_id_card().name == "李四"


def test_registration_booking_check_in_and_cancel(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="200.00")
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    assert any(d.dept_code == "NK" for d in s.departments()) and s.doctors("NK")
    today = kiosk.clock.now().date()
    slots = [x for x in s.slots("NK", today) if x.available]
    assert slots
    reg = s.register(slots[0].slot_id, PayChoice.prepayment())
    assert reg.ok and reg.queue_no and reg.amount == slots[0].fee
    with pytest.raises(KioskInputError):
        s.slots("NK", today + timedelta(days=9))
    later = [x for x in s.slots("NK", today + timedelta(days=2)) if x.available]
    booked = Payer(rig, events[0]).pay(lambda: s.book(later[0].slot_id, PayChoice.qr()))
    assert booked.ok and booked.state == "printed"
    appts = s.appointments()
    mine = next(a for a in appts if a.status == "booked")
    assert mine.can_cancel and not mine.can_check_in  # not the visit day
    cancelled = s.cancel_appointment(mine.appointment_no)
    assert cancelled.ok and cancelled.refunded, cancelled  # the QR payment went back to WeChat
    # A kiosk caller may not write off (sync_server permissions): the note sends it to the cashier.
    assert any(n.startswith("原电子票据将由收费处冲红") for n in cancelled.notes), cancelled.notes
    order = rig.control._get(f"/_sim/orders/{booked.order_no}")
    assert order["refund_fee"] == int(booked.amount * 100)
    # Book for today, then check in on the visit day.
    today_slot = [x for x in s.slots("NK", today) if x.available][-1]
    b2 = s.book(today_slot.slot_id, PayChoice.prepayment())
    appt = next(a for a in s.appointments() if a.status == "booked" and a.can_check_in)
    checked = s.check_in(appt.appointment_no)
    assert checked.ok and checked.queue_no and checked.receipt is not None and checked.receipt.printed
    assert b2.ok


def test_outpatient_qr_prepay_deposit_daily_list_discharge(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    rig.charge(p["patientId"], count=3)
    rig.charge(p["patientId"], kind="exam")
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    charges = s.pending_charges()
    assert len(charges) == 2
    payer = Payer(rig, events[0], channel="alipay")
    paid = payer.pay(lambda: s.pay_outpatient([charges[0].charge_id], PayChoice.qr()))
    assert paid.ok and paid.amount == charges[0].amount and paid.bill is not None
    assert [c.charge_id for c in s.pending_charges()] == [charges[1].charge_id]
    refused = s.pay_outpatient([charges[1].charge_id], PayChoice.prepayment())  # balance 0: HIS refuses
    assert not refused.ok and refused.state == "failed" and not refused.refunded

    top = s.top_up_prepay(Decimal("300.00"), PayChoice.code(WECHAT_CODE))
    assert top.ok and top.balance == Decimal("300.00")
    with pytest.raises(KioskInputError):
        s.top_up_prepay(Decimal("0.001"), PayChoice.code(WECHAT_CODE))
    assert s.pay_outpatient([charges[1].charge_id], PayChoice.prepayment()).ok

    rig.his_control("inpatients", {"patientId": p["patientId"], "days": 3, "deposit": "100.00", "seed": 3})
    stay = s.inpatient()
    assert stay.status == "in"
    dep = s.top_up_deposit(Decimal("2000.00"), PayChoice.code(WECHAT_CODE))
    assert dep.ok and dep.balance == Decimal("2100.00")
    day = kiosk.clock.now().date()
    dl = s.daily_list(day)
    assert dl.lines and dl.total > 0
    assert s.print_daily_list(day).ok
    bill = s.discharge_bill()
    assert bill.due == 0 and bill.refund_due > 0
    out = s.settle_discharge()
    assert out.ok and out.state == "printed" and out.amount == Decimal("0.00"), out
    assert s.inpatient().status == "discharged"

    history = s.bill_history()
    assert {h.kind for h in history} >= {"outpatient", "prepay", "deposit", "discharge"}
    notice = s.print_notice(paid.settlement_no)
    assert notice.ok and notice.bill is not None and notice.bill.bill_no == paid.bill.bill_no
    assert len(_receipts(kiosk)) >= 8
    assert kiosk.terminal.workflow.status().unfinished_prints == 0  # voucher notices printed too


def test_survey_idle_reset_and_identification_required(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    s = kiosk.session
    qs = s.survey_questions()
    assert s.submit_survey({qs[0].key: qs[0].options[0]}).ok
    with pytest.raises(KioskInputError):
        s.submit_survey({qs[0].key: "没有这个选项"})
    from offline_store import kiosk_orders
    assert kiosk_orders.survey_summary(kiosk.terminal.db) == {qs[0].key: {qs[0].options[0]: 1}}
    with pytest.raises(NotIdentifiedError):
        s.pending_charges()


def test_exchange_for_paper_once_on_the_bill_printer(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="100.00")
    rig.charge(p["patientId"], count=1)
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    paid = s.pay_outpatient([s.pending_charges()[0].charge_id], PayChoice.prepayment())
    assert paid.ok
    first = s.exchange_paper(paid.settlement_no)
    assert first.ok and first.bill is not None and first.bill.paper_exchanged, first
    assert list((kiosk.config.data_dir / "bills").glob("*.pdf"))
    again = s.exchange_paper(paid.settlement_no)
    assert not again.ok and "只能换开一次" in again.message
    history = {h.settlement_no: h for h in s.bill_history()}
    item = history[paid.settlement_no]
    assert item.bill is not None and item.bill.paper_exchanged and not item.can_exchange_paper
