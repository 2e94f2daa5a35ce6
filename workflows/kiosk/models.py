"""The view models the kiosk screens show: frozen, Qt-free, already masked and formatted.

Screens never see a :class:`workflows.his.models.Patient` (full ID number and phone): the session
turns HIS objects into these dataclasses, so a screen cannot leak what it was never given. Money
is ``Decimal`` with two places (yuan) for display and integer fen where it is paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from workflows.kiosk_config import SurveyQuestion as SurveyQuestion  # re-exported: the survey screen shows it


class SessionState(StrEnum):
    """Where the kiosk session is (the GUI shows the matching screen)."""

    ATTRACT = "attract"          # 欢迎页: nobody identified, no patient data in memory
    IDENTIFYING = "identifying"  # reading a card / waiting for a scan / checking a face
    IDENTIFIED = "identified"    # a patient is known: the function menu
    BUSY = "busy"                # a flow is running (I/O off the GUI thread)
    PAYING = "paying"            # waiting for the patient to pay (QR shown / code confirmed)
    DONE = "done"                # a flow finished: its result screen


class IdentifyMethod(StrEnum):
    """How the patient identified (issue 15 §3)."""

    SSC = "ssc"                    # 社保卡 (ssc_reader role, pcscd driver)
    ID_CARD = "id_card"            # 身份证 (id_reader role)
    E_VOUCHER = "e_voucher"        # 医保电子凭证二维码 (scanner role)
    HOSPITAL_CARD = "hospital_card"  # 就诊卡 (typed or scanned number)
    FACE = "face"                  # 刷脸 (camera + phone -> payment platform face/verify)


class PayMethod(StrEnum):
    """How the patient pays a kiosk order."""

    PREPAYMENT = "prepayment"  # debit the prepayment account (no payment platform)
    QR = "qr"                  # 主扫: show a QR code, the patient scans it
    CODE = "code"              # 被扫: the scanner reads the patient's payment code
    CASH = "cash"              # banknotes into the kiosk (only when [kiosk].cash_enabled)


@dataclass(frozen=True, slots=True)
class PayChoice:
    """The patient's payment choice for one flow.

    :ivar auth_code: the payment code read by the scanner (CODE only).
    :ivar cash_fen: banknotes inserted, fen (CASH only; must equal the amount due).
    """

    method: PayMethod
    auth_code: str = field(default="", repr=False)
    cash_fen: int = 0

    @classmethod
    def prepayment(cls) -> PayChoice:
        """Debit the patient's prepayment account."""
        return cls(PayMethod.PREPAYMENT)

    @classmethod
    def qr(cls) -> PayChoice:
        """Pay by scanning the kiosk's QR code."""
        return cls(PayMethod.QR)

    @classmethod
    def code(cls, auth_code: str) -> PayChoice:
        """Pay with the payment code the scanner read."""
        return cls(PayMethod.CODE, auth_code=auth_code)

    @classmethod
    def cash(cls, cash_fen: int) -> PayChoice:
        """Pay with banknotes (the inserted amount in fen)."""
        return cls(PayMethod.CASH, cash_fen=cash_fen)


@dataclass(frozen=True, slots=True)
class PatientSummary:
    """The identified patient as screens show it (ID number and phone masked)."""

    patient_id: str
    name: str
    sex: str
    age: int | None
    id_no_masked: str
    phone_masked: str
    hospital_card: str  # may be empty (no 就诊卡 yet)
    has_ssc: bool
    prepay_balance: Decimal
    method: IdentifyMethod
    in_hospital: bool = False  # an open inpatient stay (deposit / discharge functions)


@dataclass(frozen=True, slots=True)
class IdCardView:
    """What the ID reader read, for the 办就诊卡 form (ID masked; the full number stays in the session)."""

    name: str
    sex: str  # 男 / 女
    birth_date: date
    id_no_masked: str
    address: str
    known_patient: bool  # the HIS already knows this person (a card is issued to the record)


@dataclass(frozen=True, slots=True)
class ChargeLineView:
    """One line of a pending charge or a daily list."""

    name: str
    spec: str
    unit: str
    price: Decimal
    qty: Decimal
    amount: Decimal
    charge_name: str


@dataclass(frozen=True, slots=True)
class ChargeView:
    """One pending outpatient charge (处方 / 检查) the patient may choose to pay."""

    charge_id: str
    kind_text: str
    title: str
    dept_name: str
    doctor_name: str
    created_at: str
    amount: Decimal
    lines: tuple[ChargeLineView, ...]


@dataclass(frozen=True, slots=True)
class DepartmentView:
    """A clinic department."""

    dept_code: str
    name: str
    location: str


@dataclass(frozen=True, slots=True)
class DoctorView:
    """A doctor of a department."""

    doctor_code: str
    name: str
    title: str
    dept_code: str
    expert: bool


@dataclass(frozen=True, slots=True)
class SlotView:
    """A registration slot with its remaining count (剩余号)."""

    slot_id: int
    dept_name: str
    doctor_name: str  # empty for a department slot
    day: date
    period: str  # 上午 / 下午 / 全天
    slot_type: str  # 普通 / 专家 / 急诊
    fee: Decimal
    remaining: int
    total: int

    @property
    def available(self) -> bool:
        """True while a number is left."""
        return self.remaining > 0


@dataclass(frozen=True, slots=True)
class AppointmentView:
    """An appointment of the patient (check-in / cancel)."""

    appointment_no: str
    status: str  # booked / checked_in / cancelled
    status_text: str
    dept_name: str
    doctor_name: str
    day: date
    period: str
    fee: Decimal
    queue_no: str
    can_check_in: bool  # booked and today
    can_cancel: bool  # booked


@dataclass(frozen=True, slots=True)
class InpatientView:
    """The patient's inpatient stay."""

    admission_no: str
    dept_name: str
    ward: str
    bed: str
    admitted_on: date
    status: str  # in / discharged
    deposit: Decimal
    total_fees: Decimal


@dataclass(frozen=True, slots=True)
class DischargeView:
    """What discharge settlement will do: fees, deposit used, what to pay or get back."""

    admission_no: str
    total: Decimal
    deposit: Decimal
    due: Decimal  # to pay now (self-pay part)
    refund_due: Decimal  # surplus deposit paid back
    groups: tuple[tuple[str, Decimal], ...]  # (charge name, amount)


@dataclass(frozen=True, slots=True)
class DailyListView:
    """One day of an inpatient's fee list (日清单)."""

    admission_no: str
    day: date
    lines: tuple[ChargeLineView, ...]
    total: Decimal
    cumulative: Decimal
    deposit: Decimal


@dataclass(frozen=True, slots=True)
class BillInfo:
    """The e-bill issued for a settlement (printed on the receipt and the notice)."""

    bill_batch_code: str
    bill_no: str
    random: str
    emergency: bool  # issued from emergency stock (the server was unreachable)
    paper_exchanged: bool = False


@dataclass(frozen=True, slots=True)
class BillHistoryItem:
    """One settlement of the patient (bill history / fee query)."""

    settlement_no: str
    kind: str
    kind_text: str
    amount: Decimal
    created_at: str
    status: str
    bill: BillInfo | None
    can_print_notice: bool
    can_exchange_paper: bool


@dataclass(frozen=True, slots=True)
class ReceiptInfo:
    """What the receipt printer did for a flow."""

    printed: bool
    notice_printed: bool  # the e-bill notice (告知单), where a bill was issued
    message: str  # Chinese; e.g. 凭条打印机缺纸，请到人工窗口补打
    reprint_ref: str = ""  # what staff reprint with (the order number)


@dataclass(frozen=True, slots=True)
class FlowResult:
    """How a kiosk flow ended (the result screen).

    :ivar ok: the business was done (paid and settled, or a no-money step done).
    :ivar order_no: the kiosk order (out_trade_no) when money moved; staff look it up by this.
    :ivar state: the order's final state (see :class:`workflows.kiosk.checkout.OrderState`).
    :ivar refunded: the payment was given back (the HIS refused after payment).
    :ivar notes: further Chinese lines to show (emergency bill, printer trouble, refund).
    """

    ok: bool
    flow: str
    message: str
    order_no: str = ""
    state: str = ""
    amount: Decimal = Decimal("0.00")
    settlement_no: str = ""
    bill: BillInfo | None = None
    receipt: ReceiptInfo | None = None
    refunded: bool = False
    balance: Decimal | None = None  # prepayment / deposit balance afterwards
    queue_no: str = ""  # registration / check-in
    code: str = ""  # error code when not ok
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionAvailability:
    """Whether a kiosk function can be offered now; ``reason`` is the Chinese text when not."""

    function: str
    label: str
    enabled: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """One device role as the kiosk sees it (heartbeat and the IT view)."""

    role: str
    label: str
    ok: bool
    detail: str = ""  # e.g. 缺纸 / 未连接
    paper: str = ""  # receipt printer: ok / near_end / out / unknown


@dataclass(frozen=True, slots=True)
class IdleState:
    """The idle countdown: the GUI shows a warning when ``warning`` and goes to the attract
    screen when ``expired`` (the session has then already dropped the patient)."""

    seconds_left: float
    warning: bool
    expired: bool


@dataclass(frozen=True, slots=True)
class OrderView:
    """A kiosk order as staff and the recovery report see it (patient masked)."""

    order_no: str
    flow: str
    amount: Decimal
    pay_method: str
    state: str
    settlement_no: str
    bill_no: str
    emergency: bool
    message: str
    created_at: str
    updated_at: str
