"""HIS objects -> the screens' view models (masked, Decimal, no full identifiers)."""

from __future__ import annotations

from datetime import date

from print_templates.masking import mask_id_no, mask_phone
from workflows.his import Appointment, Inpatient, Line, Patient, PendingCharge, Settlement, Slot
from workflows.his.models import DailyList, DischargeBill
from workflows.kiosk.models import (
    AppointmentView,
    BillHistoryItem,
    BillInfo,
    ChargeLineView,
    ChargeView,
    DailyListView,
    DischargeView,
    IdentifyMethod,
    InpatientView,
    PatientSummary,
    SlotView,
)

KIND_TEXT = {"registration": "挂号", "outpatient": "门诊缴费", "prepay": "预交金充值", "deposit": "住院押金",
             "discharge": "出院结算", "card": "就诊卡工本费", "reversal": "退费"}


def age_of(birth: date, today: date) -> int:
    """Full years."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def patient_summary(p: Patient, method: IdentifyMethod, today: date, in_hospital: bool) -> PatientSummary:
    """The masked summary of a patient."""
    return PatientSummary(p.patient_id, p.name, p.sex, age_of(p.birth_date, today), mask_id_no(p.id_no),
                          mask_phone(p.phone), p.hospital_card, bool(p.ss_card), p.prepay_balance, method,
                          in_hospital)


def line_view(x: Line) -> ChargeLineView:
    """One fee line."""
    from decimal import Decimal
    return ChargeLineView(x.name, x.spec, x.unit, x.price, Decimal(x.qty), x.amount, x.charge_name)


def charge_view(c: PendingCharge, created_at: str = "") -> ChargeView:
    """A pending charge."""
    return ChargeView(c.charge_id, c.kind_text, c.title, c.dept_name, c.doctor_name, created_at, c.amount,
                      tuple(line_view(x) for x in c.lines))


def slot_view(s: Slot) -> SlotView:
    """A slot."""
    return SlotView(s.slot_id, s.dept_name, s.doctor_name, s.day, s.period, s.type, s.fee, s.remaining, s.total)


def appointment_view(a: Appointment, today: date) -> AppointmentView:
    """An appointment with what the patient may do with it."""
    booked = a.status == "booked"
    return AppointmentView(a.appointment_no, a.status, a.status_text, a.slot.dept_name, a.slot.doctor_name,
                           a.slot.day, a.slot.period, a.slot.fee, "" if a.queue_no is None else str(a.queue_no),
                           booked and a.slot.day == today, booked)


def inpatient_view(i: Inpatient) -> InpatientView:
    """A stay."""
    return InpatientView(i.admission_no, i.dept_name, i.ward, i.bed, i.admitted_on, i.status, i.deposit,
                         i.total_fees)


def discharge_view(d: DischargeBill) -> DischargeView:
    """What discharge will do."""
    return DischargeView(d.inpatient.admission_no, d.total, d.deposit, d.due, d.refund_due,
                         tuple((name, amt) for _, name, amt in d.groups))


def daily_view(d: DailyList) -> DailyListView:
    """One day's list."""
    return DailyListView(d.admission_no, d.day, tuple(line_view(x) for x in d.lines), d.total, d.cumulative,
                         d.deposit)


def history_item(s: Settlement, kiosk_bill: dict[str, object] | None, paper_no: str = "") -> BillHistoryItem:
    """A settlement in the bill history; the bill is the HIS's record, else the kiosk's own;
    ``paper_no`` when this kiosk exchanged it for paper already."""
    bill: BillInfo | None = None
    if s.ebill.status == "issued" and s.ebill.bill_no:
        emergency = bool(kiosk_bill.get("emergency")) if kiosk_bill else False
        bill = BillInfo(s.ebill.bill_batch_code, s.ebill.bill_no, s.ebill.random, emergency, bool(paper_no))
    elif kiosk_bill:
        bill = BillInfo(str(kiosk_bill.get("billBatchCode", "")), str(kiosk_bill.get("billNo", "")),
                        str(kiosk_bill.get("random", "")), bool(kiosk_bill.get("emergency")), bool(paper_no))
    has_bill = bool(s.ebill_method) and s.status != "reversal"
    return BillHistoryItem(s.settlement_no, s.kind, KIND_TEXT.get(s.kind, s.kind), s.amount, s.created_at, s.status,
                           bill, has_bill, bill is not None and not bill.paper_exchanged
                           and s.status == "settled" and s.ebill_method != "invoicePayMentVoucher")
