"""Typed answers of the HIS interface (docs/HIS_ADAPTER.md §3): frozen dataclasses built from the
wire JSON. Money is Decimal; identity numbers, phones and card numbers are masked in every repr
(DESIGN.md §3 Security) so a log line or a traceback never discloses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billing_core.money import parse_amount
from print_templates.masking import mask_card_no, mask_id_no, mask_phone

Json = dict[str, Any]


def money(value: Any) -> Decimal:
    """A wire amount ("12.34", may be negative on refunds) as a two-place Decimal."""
    return parse_amount(value, allow_negative=True)


def _opt_money(value: Any) -> Decimal | None:
    return None if value is None else money(value)


@dataclass(frozen=True)
class Payment:
    """Pay from the patient's prepayment account (``external`` False) or by an external payment
    (WeChat, Alipay, bank card ... through the payment platform): ``channel`` is the finance
    platform's payChannelCode, ``ref`` the payment's reference, ``amount`` what was paid."""

    external: bool = False
    channel: str = ""
    ref: str = ""
    amount: Decimal | None = None

    @classmethod
    def prepayment(cls) -> Payment:
        """Debit the prepayment account."""
        return cls()

    @classmethod
    def paid(cls, channel: str, ref: str, amount: Decimal) -> Payment:
        """Paid outside the HIS (the payment platform's reference)."""
        return cls(True, channel, ref, amount)

    def wire(self) -> Json:
        """The request fields of this payment."""
        if not self.external:
            return {"payMethod": "prepayment"}
        return {"payMethod": "external", "payChannel": self.channel, "payRef": self.ref,
                "payAmount": None if self.amount is None else f"{self.amount:.2f}"}


@dataclass(frozen=True)
class Patient:
    """A patient (full identifiers for the e-bill; masked in repr)."""

    patient_id: str
    name: str
    sex: str
    birth_date: date
    id_no: str = field(repr=False)
    phone: str = field(repr=False)
    ss_card: str = field(repr=False)
    hospital_card: str = field(repr=False)
    has_evoucher: bool
    address: str = field(repr=False)
    prepay_balance: Decimal

    @classmethod
    def of(cls, d: Json) -> Patient:
        return cls(d["patientId"], d["name"], d["sex"], date.fromisoformat(d["birthDate"]), d["idNo"], d["phone"],
                   d.get("ssCard", ""), d.get("hospitalCard", ""), bool(d.get("hasEVoucher")), d.get("address", ""),
                   money(d["prepayBalance"]))

    def __repr__(self) -> str:
        return (f"Patient(patient_id={self.patient_id!r}, name={self.name!r}, sex={self.sex!r}, "
                f"id_no={mask_id_no(self.id_no)!r}, phone={mask_phone(self.phone)!r}, "
                f"hospital_card={mask_card_no(self.hospital_card)!r}, ss_card={mask_card_no(self.ss_card)!r}, "
                f"prepay_balance={self.prepay_balance})")

    __str__ = __repr__


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    location: str

    @classmethod
    def of(cls, d: Json) -> Department:
        return cls(d["deptCode"], d["name"], d["location"])


@dataclass(frozen=True)
class Doctor:
    code: str
    name: str
    title: str
    dept_code: str
    expert: bool

    @classmethod
    def of(cls, d: Json) -> Doctor:
        return cls(d["doctorCode"], d["name"], d["title"], d["deptCode"], bool(d["expert"]))


@dataclass(frozen=True)
class Slot:
    """A registration slot: 普通/专家/急诊 on one day and period, with what is left."""

    slot_id: int
    dept_code: str
    dept_name: str
    doctor_code: str
    doctor_name: str
    day: date
    period: str
    type: str
    fee: Decimal
    total: int
    remaining: int

    @classmethod
    def of(cls, d: Json) -> Slot:
        return cls(int(d["slotId"]), d["deptCode"], d["deptName"], d["doctorCode"], d["doctorName"],
                   date.fromisoformat(d["date"]), d["period"], d["type"], money(d["fee"]), int(d["total"]),
                   int(d["remaining"]))


@dataclass(frozen=True)
class Appointment:
    appointment_no: str
    patient_id: str
    status: str  # booked | checked_in | cancelled
    status_text: str
    queue_no: int | None
    settlement_no: str | None
    slot: Slot

    @classmethod
    def of(cls, d: Json) -> Appointment:
        return cls(d["appointmentNo"], d["patientId"], d["status"], d["statusText"], d.get("queueNo"),
                   d.get("settlementNo"), Slot.of(d["slot"]))


@dataclass(frozen=True)
class Line:
    """One line of a charge, a daily list or a settlement."""

    code: str
    name: str
    spec: str
    unit: str
    price: Decimal
    qty: int
    amount: Decimal
    charge_code: str
    charge_name: str

    @classmethod
    def of(cls, d: Json) -> Line:
        return cls(d["code"], d["name"], d.get("spec", ""), d.get("unit", ""), money(d["price"]), int(d["qty"]),
                   money(d["amount"]), d["chargeCode"], d["chargeName"])


@dataclass(frozen=True)
class PendingCharge:
    """A prescription or exam order waiting to be paid."""

    charge_id: str
    kind: str  # prescription | exam
    kind_text: str
    title: str
    dept_name: str
    doctor_name: str
    amount: Decimal
    lines: tuple[Line, ...]
    dept_code: str = ""

    @classmethod
    def of(cls, d: Json) -> PendingCharge:
        return cls(d["chargeId"], d["kind"], d["kindText"], d["title"], d["deptName"], d["doctorName"],
                   money(d["amount"]), tuple(Line.of(x) for x in d["lines"]), str(d.get("deptCode", "")))


@dataclass(frozen=True)
class EBillState:
    """The e-bill of a settlement: ``none`` (nothing to issue), ``pending`` (to be issued by the
    terminal, or by the HIS later), ``issued`` (by the HIS: numbers below), ``failed``."""

    status: str
    bill_batch_code: str = ""
    bill_no: str = ""
    random: str = ""
    error_code: str = ""
    error_msg: str = ""

    @classmethod
    def of(cls, d: Json) -> EBillState:
        return cls(d.get("status", "none"), d.get("billBatchCode", ""), d.get("billNo", ""), d.get("random", ""),
                   d.get("errorCode", ""), d.get("errorMsg", ""))


@dataclass(frozen=True)
class Settlement:
    """One settlement (or reversal, with negative amounts). :attr:`ebill_request` is the finance
    platform issue request for :attr:`ebill_method` (fill in ``placeCode`` and the operator)."""

    settlement_no: str
    kind: str
    patient_id: str
    patient_name: str
    admission_no: str | None
    amount: Decimal
    pay_method: str
    pay_channel: str
    pay_ref: str
    prepay_part: Decimal
    deposit_part: Decimal
    external_part: Decimal
    refund_due: Decimal
    created_at: str
    status: str  # settled | reversed | reversal
    reversal_of: str | None
    reversed_by: str | None
    issuer: str
    items: tuple[Line, ...]
    prepay_balance: Decimal
    deposit_balance: Decimal | None
    ebill_method: str | None
    ebill_request: Json | None = field(repr=False, compare=False)
    ebill: EBillState
    #: what the insurance platform paid (an insured discharge; 0 otherwise)
    insurance_part: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, d: Json) -> Settlement:
        return cls(d["settlementNo"], d["kind"], d["patientId"], d["patientName"], d.get("admissionNo"),
                   money(d["amount"]), d["payMethod"], d["payChannel"], d["payRef"], money(d["prepayPart"]),
                   money(d["depositPart"]), money(d["externalPart"]), money(d["refundDue"]), d["createdAt"],
                   d["status"], d.get("reversalOf"), d.get("reversedBy"), d["issuer"],
                   tuple(Line.of(x) for x in d["items"]), money(d["prepayBalance"]),
                   _opt_money(d.get("depositBalance")), d.get("ebillMethod"), d.get("ebillRequest"),
                   EBillState.of(d.get("ebill") or {}), money(d.get("insurancePart", "0.00")))


@dataclass(frozen=True)
class CardRegistration:
    """办就诊卡: the patient with the new card, and the settlements of the card fee and the first top-up."""

    patient: Patient
    hospital_card: str = field(repr=False)
    card_fee: Settlement | None
    top_up: Settlement | None


@dataclass(frozen=True)
class Booking:
    """A registration (checked in at once, with a queue number) or a booked appointment, and its fee."""

    appointment: Appointment
    settlement: Settlement


@dataclass(frozen=True)
class Cancellation:
    appointment: Appointment
    refund: Settlement


@dataclass(frozen=True)
class Inpatient:
    admission_no: str
    patient_id: str
    patient_name: str
    dept_name: str
    ward: str
    bed: str
    admitted_on: date
    status: str  # in | discharged
    deposit: Decimal
    total_fees: Decimal
    settlement_no: str | None
    dept_code: str = ""

    @classmethod
    def of(cls, d: Json) -> Inpatient:
        return cls(d["admissionNo"], d["patientId"], d["patientName"], d["deptName"], d["ward"], d["bed"],
                   date.fromisoformat(d["admittedOn"]), d["status"], money(d["deposit"]), money(d["totalFees"]),
                   d.get("settlementNo"), str(d.get("deptCode", "")))


@dataclass(frozen=True)
class DailyList:
    """日清单: one day's fee lines of a stay."""

    admission_no: str
    day: date
    lines: tuple[Line, ...]
    total: Decimal
    cumulative: Decimal
    deposit: Decimal

    @classmethod
    def of(cls, d: Json) -> DailyList:
        return cls(d["admissionNo"], date.fromisoformat(d["date"]), tuple(Line.of(x) for x in d["lines"]),
                   money(d["total"]), money(d["cumulative"]), money(d["deposit"]))


@dataclass(frozen=True)
class DischargeBill:
    """What discharge settlement will take: the deposit first, ``due`` on top, ``refund_due`` back."""

    inpatient: Inpatient
    total: Decimal
    deposit: Decimal
    deposit_used: Decimal
    due: Decimal
    refund_due: Decimal
    groups: tuple[tuple[str, str, Decimal], ...]
    insurance_part: Decimal = Decimal("0.00")

    @classmethod
    def of(cls, d: Json) -> DischargeBill:
        return cls(Inpatient.of(d["inpatient"]), money(d["total"]), money(d["deposit"]), money(d["depositUsed"]),
                   money(d["due"]), money(d["refundDue"]),
                   tuple((g["chargeCode"], g["chargeName"], money(g["amount"])) for g in d["groups"]),
                   money(d.get("insurancePart", "0.00")))


@dataclass(frozen=True)
class RequestOutcome:
    """What the first call with a requestId answered (``request.query``)."""

    request_id: str
    operation: str
    code: str
    msg: str
    created_at: str
    data: Json | None = field(repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when the call succeeded (its result is in :attr:`data`)."""
        return self.code == "0"
