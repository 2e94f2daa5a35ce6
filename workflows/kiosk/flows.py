"""The business flows of :class:`workflows.kiosk.session.KioskSession` (a mixin: the session holds
the state, identification and idle logic; this holds what the patient does once identified).

Money flows build an :class:`~workflows.kiosk.checkout.OrderRequest` and hand it to the checkout;
reads go straight to the HIS and come back as view models.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from offline_store import kiosk_orders
from print_templates.masking import mask_id_no, mask_phone
from workflows.his import HisError, HisUnavailable
from workflows.kiosk import functions as fn
from workflows.kiosk.bill_flows import FlowBase
from workflows.kiosk.checkout import OrderRequest
from workflows.kiosk.errors import HisUnavailableError, KioskError, KioskInputError, NotIdentifiedError
from workflows.kiosk.models import (
    AppointmentView,
    ChargeView,
    DepartmentView,
    DischargeView,
    DoctorView,
    FlowResult,
    IdentifyMethod,
    InpatientView,
    PayChoice,
    SessionState,
    SlotView,
)
from workflows.kiosk.views import (
    appointment_view,
    charge_view,
    discharge_view,
    inpatient_view,
    slot_view,
)

if TYPE_CHECKING:
    pass

CENT = Decimal("0.01")
PHONE = re.compile(r"^1[3-9]\d{9}$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_no_valid(id_no: str) -> bool:
    """GB 11643 check digit of an 18-digit resident ID number (refused before any payment)."""
    text = id_no.strip().upper()
    if len(text) != 18 or not text[:17].isdigit():
        return False
    return "10X98765432"[sum(int(a) * b for a, b in zip(text[:17], _WEIGHTS, strict=True)) % 11] == text[17]


def _amount(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        raise KioskInputError(f"{field}：请输入金额") from None
    if not d.is_finite() or d <= 0 or d != d.quantize(CENT):
        raise KioskInputError(f"{field}：须为大于0、最多两位小数的金额")
    return d


class SessionFlows(FlowBase):
    """The flows; see :class:`workflows.kiosk.session.KioskSession` for the contract."""

    # --- the money path ---------------------------------------------------------------------

    def _run(self, request: OrderRequest, pay: PayChoice) -> FlowResult:
        self._set_state(SessionState.PAYING if request.amount > 0 and pay.method != "prepayment"
                        else SessionState.BUSY)
        self._paying = True
        try:
            result = self._ctx.checkout.run(request, pay)
        finally:
            self._paying = False
            self.touch()
        if self._reset_after_payment:
            self.reset(self._reset_after_payment)
        elif self._patient is None and request.flow != fn.REGISTER_CARD:
            self._set_state(SessionState.ATTRACT)  # reset (退出) while the payment finished
        else:
            self._set_state(SessionState.DONE)
        return result

    # --- 办就诊卡 --------------------------------------------------------------------------------

    def register_card(self, phone: str, first_top_up: Decimal, pay: PayChoice) -> FlowResult:
        """Issue a hospital card to the person of :meth:`read_id_for_card` (phone required),
        paying card fee + first top-up (external payment only). On success the patient is
        identified (``hospital_card`` filled). Prints the receipt."""
        self._gate(fn.REGISTER_CARD)
        card = self._id_card
        if card is None:
            raise KioskInputError("身份证：请先放置身份证读取信息")
        if not id_no_valid(card.id_no):
            raise KioskInputError("身份证号码：校验位错误，无法自助办卡，请到人工窗口办理")
        phone = (phone or "").strip()
        if not PHONE.match(phone):
            raise KioskInputError("手机号码：办卡须登记11位手机号码")
        top_up = _amount(first_top_up, "首次充值金额")
        if top_up < self._ctx.settings.min_first_top_up:
            raise KioskInputError(f"首次充值金额：不能低于{self._ctx.settings.min_first_top_up}元")
        fee = self._ctx.settings.card_fee
        birth = f"{card.birth_date[:4]}-{card.birth_date[4:6]}-{card.birth_date[6:8]}"
        params = {"name": card.name, "sex": card.sex_label, "birthDate": birth, "idNo": card.id_no, "phone": phone,
                  "address": card.address, "firstTopUp": f"{top_up:.2f}", "cardFee": f"{fee:.2f}"}
        receipt = {"kind": "register_card", "patient": {"name": card.name, "idNo": mask_id_no(card.id_no),
                                                        "phone": mask_phone(phone)},
                   "rows": [["工本费", f"{fee:.2f}元"], ["首次充值", f"{top_up:.2f}元"]]}
        result = self._run(OrderRequest(fn.REGISTER_CARD, top_up + fee, "办理就诊卡", "patient.register", params, "",
                                        receipt), pay)
        if result.ok:
            try:
                no = kiosk_orders.get(self._ctx.db, result.order_no).result.get("hospitalCard")
                if no:
                    self._found(self._ctx.his.find_patient("hospitalCard", str(no)), IdentifyMethod.HOSPITAL_CARD)
            except HisError:
                pass
        self._id_card = None
        return result

    # --- registration and appointments ----------------------------------------------------------

    def departments(self) -> list[DepartmentView]:
        """Clinic departments."""
        self._require_patient()
        return [DepartmentView(d.code, d.name, d.location) for d in self._his(self._ctx.his.departments)]

    def doctors(self, dept_code: str) -> list[DoctorView]:
        """Doctors of a department."""
        self._require_patient()
        return [DoctorView(d.code, d.name, d.title, d.dept_code, d.expert)
                for d in self._his(self._ctx.his.doctors, dept_code)]

    def slots(self, dept_code: str, day: date, slot_type: str | None = None) -> list[SlotView]:
        """Slots of a department on a day (today … today + 7) with remaining counts; ``slot_type``
        普通 / 专家 / 急诊 filters."""
        self._require_patient()
        today = self._ctx.clock.now().date()
        if not today <= day <= today + timedelta(days=7):
            raise KioskInputError("就诊日期：只能选择今天起7天内")
        found = self._his(self._ctx.his.slots, dept_code, day, slot_type)
        self._slots.update({s.slot_id: s for s in found})
        return [slot_view(s) for s in found]

    def _slot_flow(self, slot_id: int, pay: PayChoice, *, book: bool) -> FlowResult:
        p = self._require_patient()
        self._gate(fn.REGISTRATION)
        slot = self._slots.get(slot_id)
        if slot is None:
            raise KioskInputError("号源：请先在号源列表中选择")
        if slot.remaining <= 0:
            raise KioskInputError("号源：该号源已约满，请选择其他号源")
        rows = [["科室", slot.dept_name], ["医生", slot.doctor_name or "普通号"], ["号别", slot.type],
                ["就诊时间", f"{slot.day.isoformat()} {slot.period}"]]
        receipt = {"kind": "booking" if book else "registration", "patient": self._receipt_patient(p), "rows": rows}
        op = "appointment.book" if book else "registration.create"
        return self._run(OrderRequest(fn.REGISTRATION, slot.fee, "预约挂号费" if book else "挂号费", op,
                                      {"patientId": p.patient_id, "slotId": slot_id}, p.patient_id, receipt), pay)

    def register(self, slot_id: int, pay: PayChoice) -> FlowResult:
        """挂号 today: pay the fee, get a queue number (``result.queue_no``), receipt + notice."""
        return self._slot_flow(slot_id, pay, book=False)

    def book(self, slot_id: int, pay: PayChoice) -> FlowResult:
        """预约 a later slot: pay the fee now, check in on the day. Receipt + notice."""
        return self._slot_flow(slot_id, pay, book=True)

    def appointments(self) -> list[AppointmentView]:
        """The patient's appointments, newest first."""
        p = self._require_patient()
        today = self._ctx.clock.now().date()
        return [appointment_view(a, today) for a in self._his(self._ctx.his.appointments, p.patient_id)]

    def check_in(self, appointment_no: str) -> FlowResult:
        """签到 on the visit day (no money): queue number on a printed slip."""
        p = self._require_patient()
        self._gate(fn.CHECK_IN)
        try:
            a = self._ctx.his.check_in(appointment_no)
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc
        except HisError as exc:
            return FlowResult(False, fn.CHECK_IN, exc.message, code=exc.code)
        queue = "" if a.queue_no is None else str(a.queue_no)
        info = self._slip("check_in", p, [["预约号", a.appointment_no], ["科室", a.slot.dept_name],
                                          ["医生", a.slot.doctor_name or "普通号"], ["就诊序号", queue]])
        self._set_state(SessionState.DONE)
        return FlowResult(True, fn.CHECK_IN, "签到成功", receipt=info, queue_no=queue,
                          notes=(info.message,) if info.message else ())

    def cancel_appointment(self, appointment_no: str, reason: str = "患者自助取消") -> FlowResult:
        """Cancel a booked appointment: the HIS reverses its fee; an external payment is refunded
        to the original channel, the e-bill written off (冲红). Prints a slip."""
        p = self._require_patient()
        self._gate(fn.CHECK_IN)
        request_id = f"C{appointment_no}"[:64]
        try:
            c = self._ctx.his.cancel_appointment(request_id, appointment_no, reason)
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc
        except HisError as exc:
            return FlowResult(False, "cancel", exc.message, code=exc.code)
        notes: list[str] = []
        refunded = False
        original = c.refund.reversal_of or ""
        amount = -c.refund.amount
        paid_in_cash = False
        if original and c.refund.refund_due != 0:
            try:
                paid_in_cash = self._ctx.his.settlement(original).pay_channel == "02"
            except HisError:
                pass
        if paid_in_cash:
            notes.append(f"挂号费{abs(c.refund.refund_due):.2f}元为现金支付，请凭凭条到人工窗口领取")
        elif c.refund.refund_due != 0 and self._ctx.checkout.payments is not None:
            try:
                order_no = self._ctx.his.settlement(original).pay_ref if original else ""
                if order_no:
                    self._ctx.checkout.payments.refund(order_no, int(abs(c.refund.refund_due) * 100), reason)
                    refunded = True
                    notes.append(f"挂号费{abs(c.refund.refund_due):.2f}元已原路退回")
            except (HisError, KioskError) as exc:
                notes.append(f"退款处理中，请到人工窗口查询（{exc.message}）")
            except Exception as exc:  # PaymentError: the refund is retried by staff with the order number
                notes.append(f"退款处理中，请到人工窗口查询（{getattr(exc, 'message', exc)}）")
        elif c.refund.prepay_part != 0:
            notes.append(f"挂号费{abs(c.refund.prepay_part):.2f}元已退回预交金账户")
        notes.extend(self._write_off(original, reason))
        info = self._slip("cancel", p, [["预约号", appointment_no], ["退费流水", c.refund.settlement_no]],
                          amount=amount)
        self._set_state(SessionState.DONE)
        return FlowResult(True, "cancel", "已取消预约", settlement_no=c.refund.settlement_no, amount=amount,
                          receipt=info, refunded=refunded, notes=tuple(notes))

    # --- outpatient ------------------------------------------------------------------------------

    def pending_charges(self) -> list[ChargeView]:
        """The patient's unpaid outpatient charges."""
        p = self._require_patient()
        return [charge_view(c) for c in self._his(self._ctx.his.pending_charges, p.patient_id)]

    def pay_outpatient(self, charge_ids: list[str], pay: PayChoice) -> FlowResult:
        """Pay the chosen pending charges (prepayment account, QR, payment code or cash)."""
        p = self._require_patient()
        self._gate(fn.OUTPATIENT)
        if not charge_ids:
            raise KioskInputError("待缴费用：请至少选择一项")
        pending = {c.charge_id: c for c in self._his(self._ctx.his.pending_charges, p.patient_id)}
        unknown = [c for c in charge_ids if c not in pending]
        if unknown:
            raise KioskInputError(f"待缴费用：{'、'.join(unknown)}不是您的待缴费用")
        chosen = [pending[c] for c in charge_ids]
        total = sum((c.amount for c in chosen), Decimal("0.00"))
        items = [[f"{c.kind_text} {c.title}", "1", f"{c.amount:.2f}"] for c in chosen]
        receipt = {"kind": "outpatient", "patient": self._receipt_patient(p), "items": items}
        return self._run(OrderRequest(fn.OUTPATIENT, total, "门诊缴费", "outpatient.settle",
                                      {"patientId": p.patient_id, "chargeIds": list(charge_ids)}, p.patient_id,
                                      receipt), pay)

    # --- prepayment and inpatients --------------------------------------------------------------

    def _top_up_amount(self, amount: Decimal) -> Decimal:
        value = _amount(amount, "充值金额")
        s = self._ctx.settings
        if not s.min_top_up <= value <= s.max_top_up:
            raise KioskInputError(f"充值金额：须在{s.min_top_up}元到{s.max_top_up}元之间")
        return value

    def top_up_prepay(self, amount: Decimal, pay: PayChoice) -> FlowResult:
        """预交金充值 (external payment or cash); ``result.balance`` is the new balance."""
        p = self._require_patient()
        self._gate(fn.PREPAY)
        value = self._top_up_amount(amount)
        receipt = {"kind": "prepay", "patient": self._receipt_patient(p)}
        return self._run(OrderRequest(fn.PREPAY, value, "门诊预交金充值", "prepay.topUp",
                                      {"patientId": p.patient_id, "amount": f"{value:.2f}"}, p.patient_id,
                                      receipt), pay)

    def inpatient(self) -> InpatientView:
        """The patient's inpatient stay. :raises KioskError: E3900 when there is none."""
        return inpatient_view(self._stay())

    def top_up_deposit(self, amount: Decimal, pay: PayChoice) -> FlowResult:
        """住院押金 top-up of the current stay; ``result.balance`` is the new deposit."""
        self._gate(fn.DEPOSIT)
        stay = self._stay()
        if stay.status != "in":
            raise KioskError("您已出院，不能缴纳住院押金")
        value = self._top_up_amount(amount)
        p = self._require_patient()
        receipt = {"kind": "deposit", "patient": self._receipt_patient(p),
                   "rows": [["住院号", stay.admission_no], ["科室", stay.dept_name], ["床号", stay.bed]]}
        return self._run(OrderRequest(fn.DEPOSIT, value, "住院押金", "inpatient.deposit",
                                      {"admissionNo": stay.admission_no, "amount": f"{value:.2f}"}, p.patient_id,
                                      receipt), pay)

    def discharge_bill(self) -> DischargeView:
        """What discharge settlement will do (due / refund of surplus deposit)."""
        stay = self._stay()
        return discharge_view(self._his(self._ctx.his.discharge_bill, stay.admission_no))

    def settle_discharge(self, pay: PayChoice | None = None) -> FlowResult:
        """出院结算, self-pay part: ``pay`` needed when ``due`` > 0 (external only); a surplus
        deposit is shown as 退还 in the result. Receipt + notice."""
        self._gate(fn.DISCHARGE)
        stay = self._stay()
        if stay.status != "in":
            raise KioskError("您已办理出院结算")
        bill = self._his(self._ctx.his.discharge_bill, stay.admission_no)
        if bill.due > 0 and pay is None:
            raise KioskInputError(f"支付方式：需补缴{bill.due}元，请选择支付方式")
        p = self._require_patient()
        receipt = {"kind": "discharge", "patient": self._receipt_patient(p),
                   "rows": [["住院号", stay.admission_no], ["费用总额", f"{bill.total:.2f}元"],
                            ["押金", f"{bill.deposit:.2f}元"]],
                   "items": [[name, "1", f"{amt:.2f}"] for _, name, amt in bill.groups]}
        return self._run(OrderRequest(fn.DISCHARGE, bill.due, "出院结算", "inpatient.settleDischarge",
                                      {"admissionNo": stay.admission_no}, p.patient_id, receipt),
                         pay or PayChoice.qr())


__all__ = ["SessionFlows", "NotIdentifiedError"]
