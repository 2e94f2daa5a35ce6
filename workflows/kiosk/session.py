"""The kiosk session: one patient from identification to the idle reset.

The GUI (kiosk_app) owns one :class:`KioskSession` (from :class:`workflows.kiosk.kiosk.Kiosk`)
and calls its methods off the GUI thread (every flow does I/O), listening to the events of
:mod:`workflows.kiosk.events` for screen changes. The session keeps the identified patient and
whatever the flows fetched; :meth:`reset` drops every reference to them (idle timeout, 退出, card
pulled), so nothing of the previous patient stays on screen or in memory.

Typical use::

    s = kiosk.session
    s.identify_ssc(timeout=30)                       # -> PatientSummary (masked)
    charges = s.pending_charges()                    # -> list[ChargeView]
    result = s.pay_outpatient([c.charge_id for c in charges], PayChoice.qr())   # -> FlowResult
    s.tick()                                         # GUI timer, once a second -> IdleState
    s.reset("exit")
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from workflows.kiosk.models import (
    AppointmentView,
    BillHistoryItem,
    ChargeView,
    DailyListView,
    DepartmentView,
    DischargeView,
    DoctorView,
    FlowResult,
    IdCardView,
    IdleState,
    InpatientView,
    PatientSummary,
    PayChoice,
    SessionState,
    SlotView,
    SurveyQuestion,
)


class KioskSession:
    """One patient at a time on one kiosk (see the module docstring).

    Every patient function raises :class:`~workflows.kiosk.errors.NotIdentifiedError` (E3902)
    with nobody identified and :class:`~workflows.kiosk.errors.FunctionUnavailableError` (E3903,
    the Chinese reason of the faulty device) when its function is disabled; bad input raises
    :class:`~workflows.kiosk.errors.KioskInputError` (E3901) naming the field. Money flows return
    a :class:`FlowResult` and never raise for payment / HIS / printer trouble.
    """

    # --- state and idle -------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        """Where the session is (the screen to show)."""
        raise NotImplementedError

    @property
    def patient(self) -> PatientSummary | None:
        """The identified patient (masked), None on the attract screen."""
        raise NotImplementedError

    def touch(self) -> None:
        """The patient did something (touch, key, card): restart the idle countdown."""
        raise NotImplementedError

    def tick(self) -> IdleState:
        """Advance the idle countdown (the GUI calls it about once a second). At zero the session
        resets itself (unless a payment is running: money is never abandoned by the idle timer) and
        the answer says ``expired``. Emits ``kiosk_idle`` when the warning starts and at expiry."""
        raise NotImplementedError

    def idle_state(self) -> IdleState:
        """The countdown without advancing anything."""
        raise NotImplementedError

    def reset(self, reason: str = "exit") -> None:
        """Back to the attract screen: drop the patient and every fetched list, cancel a running
        payment wait (its order completes or is resumed by the checkout), emit ``kiosk_reset``."""
        raise NotImplementedError

    def card_removed(self) -> None:
        """The social-security card left the reader (the GUI's card watcher or the device event).
        Before a payment: the flow is abandoned and the session resets (``kiosk_card_removed``).
        During a payment the money path finishes first, then the session resets."""
        raise NotImplementedError

    # --- identify -------------------------------------------------------------------------------

    def identify_ssc(self, timeout: float = 30.0) -> PatientSummary:
        """Wait for a social-security card on the ssc_reader, read it, find the patient by card
        number (then by ID number). :raises IdentifyError: E3904 (no card, unreadable, unknown)."""
        raise NotImplementedError

    def identify_id_card(self) -> PatientSummary:
        """Read the ID card on the id_reader and find the patient by ID number.
        :raises IdentifyError: E3904; an unknown person is sent to 办就诊卡."""
        raise NotImplementedError

    def identify_voucher(self, scanned: str | None = None, timeout: float = 30.0) -> PatientSummary:
        """Find the patient by the insurance e-voucher QR (``scanned`` text, else read from the
        scanner within ``timeout``). :raises IdentifyError: E3904."""
        raise NotImplementedError

    def identify_hospital_card(self, card_no: str) -> PatientSummary:
        """Find the patient by hospital card number (typed, or scanned by the GUI).
        :raises KioskInputError: E3901 malformed number; :raises IdentifyError: unknown card."""
        raise NotImplementedError

    def identify_face(self, phone: str) -> PatientSummary:
        """Capture the best face frame with the camera, verify it with the typed phone number on
        the payment platform (face/verify), then find the patient by the verified ID number.
        :raises KioskInputError: bad phone; :raises IdentifyError: no face / not matched."""
        raise NotImplementedError

    # --- 办就诊卡 --------------------------------------------------------------------------------

    def read_id_for_card(self) -> IdCardView:
        """Read the ID card for 办就诊卡 (no patient needs to be identified). The full ID number
        stays inside the session; the view is masked."""
        raise NotImplementedError

    def card_fee(self) -> Decimal:
        """The 工本费 the HIS charges for a card (shown on the form)."""
        raise NotImplementedError

    def register_card(self, phone: str, first_top_up: Decimal, pay: PayChoice) -> FlowResult:
        """Issue a hospital card to the person of :meth:`read_id_for_card` (phone required),
        paying card fee + first top-up (external payment only). On success the patient is
        identified (``hospital_card`` filled). Prints the receipt."""
        raise NotImplementedError

    # --- registration and appointments ----------------------------------------------------------

    def departments(self) -> list[DepartmentView]:
        """Clinic departments."""
        raise NotImplementedError

    def doctors(self, dept_code: str) -> list[DoctorView]:
        """Doctors of a department."""
        raise NotImplementedError

    def slots(self, dept_code: str, day: date, slot_type: str | None = None) -> list[SlotView]:
        """Slots of a department on a day (today … today + 7) with remaining counts; ``slot_type``
        普通 / 专家 / 急诊 filters."""
        raise NotImplementedError

    def register(self, slot_id: int, pay: PayChoice) -> FlowResult:
        """挂号 today: pay the fee, get a queue number (``result.queue_no``), receipt + notice."""
        raise NotImplementedError

    def book(self, slot_id: int, pay: PayChoice) -> FlowResult:
        """预约 a later slot: pay the fee now, check in on the day. Receipt + notice."""
        raise NotImplementedError

    def appointments(self) -> list[AppointmentView]:
        """The patient's appointments, newest first."""
        raise NotImplementedError

    def check_in(self, appointment_no: str) -> FlowResult:
        """签到 on the visit day (no money): queue number on a printed slip."""
        raise NotImplementedError

    def cancel_appointment(self, appointment_no: str, reason: str = "患者自助取消") -> FlowResult:
        """Cancel a booked appointment: the HIS reverses its fee; an external payment is refunded
        to the original channel, the e-bill written off (冲红). Prints a slip."""
        raise NotImplementedError

    # --- outpatient ------------------------------------------------------------------------------

    def pending_charges(self) -> list[ChargeView]:
        """The patient's unpaid outpatient charges."""
        raise NotImplementedError

    def pay_outpatient(self, charge_ids: list[str], pay: PayChoice) -> FlowResult:
        """Pay the chosen pending charges (prepayment account, QR, payment code or cash)."""
        raise NotImplementedError

    # --- prepayment and inpatients --------------------------------------------------------------

    def top_up_prepay(self, amount: Decimal, pay: PayChoice) -> FlowResult:
        """预交金充值 (external payment or cash); ``result.balance`` is the new balance."""
        raise NotImplementedError

    def inpatient(self) -> InpatientView:
        """The patient's inpatient stay. :raises KioskError: E3900 when there is none."""
        raise NotImplementedError

    def top_up_deposit(self, amount: Decimal, pay: PayChoice) -> FlowResult:
        """住院押金 top-up of the current stay; ``result.balance`` is the new deposit."""
        raise NotImplementedError

    def discharge_bill(self) -> DischargeView:
        """What discharge settlement will do (due / refund of surplus deposit)."""
        raise NotImplementedError

    def settle_discharge(self, pay: PayChoice | None = None) -> FlowResult:
        """出院结算, self-pay part: ``pay`` needed when ``due`` > 0 (external only); a surplus
        deposit is shown as 退还 in the result. Receipt + notice."""
        raise NotImplementedError

    # --- bills and queries ----------------------------------------------------------------------

    def bill_history(self, kind: str | None = None) -> list[BillHistoryItem]:
        """The patient's settlements with their e-bills (newest first)."""
        raise NotImplementedError

    def print_notice(self, settlement_no: str) -> FlowResult:
        """Print the e-bill notice of one of the patient's settlements (issues it first when the
        kiosk has no bill for it yet, e.g. settled at a window with issuer ``terminal``)."""
        raise NotImplementedError

    def exchange_paper(self, settlement_no: str) -> FlowResult:
        """换开纸质票据 once, on the bill printer (refused the second time)."""
        raise NotImplementedError

    def daily_list(self, day: date) -> DailyListView:
        """One day of the inpatient's fee list (日清单)."""
        raise NotImplementedError

    def print_daily_list(self, day: date) -> FlowResult:
        """Print one day's fee list on the receipt printer."""
        raise NotImplementedError

    # --- payment wait and survey ----------------------------------------------------------------

    def cancel_payment(self) -> None:
        """The patient pressed 取消 on the payment screen (any thread)."""
        raise NotImplementedError

    def survey_questions(self) -> list[SurveyQuestion]:
        """The configured questions ([kiosk].survey)."""
        raise NotImplementedError

    def submit_survey(self, answers: dict[str, str], comment: str = "") -> FlowResult:
        """Store the answers (question key -> chosen option) in the kiosk's store for the control
        centre's summary; works without identification (anonymous)."""
        raise NotImplementedError
