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

import re
import threading
from datetime import date
from decimal import Decimal
from typing import Any

from devices.errors import DeviceError
from devices.scanner import InsuranceVoucher, parse_scan
from workflows.his import HisError, HisUnavailable, Patient
from workflows.kiosk import functions as fn
from workflows.kiosk.context import KioskContext
from workflows.kiosk.errors import (
    FunctionUnavailableError,
    HisUnavailableError,
    IdentifyError,
    KioskInputError,
    NotIdentifiedError,
)
from workflows.kiosk.events import KIOSK_CARD_REMOVED, KIOSK_IDLE, KIOSK_PATIENT, KIOSK_RESET, KIOSK_STATE
from workflows.kiosk.flows import PHONE, SessionFlows
from workflows.kiosk.insured_flows import InsuredFlows
from workflows.kiosk.models import (
    IdCardView,
    IdentifyMethod,
    IdleState,
    PatientSummary,
    SessionState,
)
from workflows.kiosk.settings import KioskSettings
from workflows.kiosk.views import patient_summary
from workflows.payment_client import PaymentError

CARD_NO = re.compile(r"^[0-9A-Za-z]{4,32}$")


class KioskSession(SessionFlows, InsuredFlows):
    """One patient at a time on one kiosk (see the module docstring).

    Every patient function raises :class:`~workflows.kiosk.errors.NotIdentifiedError` (E3902)
    with nobody identified and :class:`~workflows.kiosk.errors.FunctionUnavailableError` (E3903,
    the Chinese reason of the faulty device) when its function is disabled; bad input raises
    :class:`~workflows.kiosk.errors.KioskInputError` (E3901) naming the field. Money flows return
    a :class:`FlowResult` and never raise for payment / HIS / printer trouble.
    """

    def __init__(self, ctx: KioskContext) -> None:
        self._ctx = ctx
        self._lock = threading.RLock()
        self._state = SessionState.ATTRACT
        self._last_touch = ctx.clock.monotonic()
        self._warned = False
        self._paying = False
        self._reset_after_payment = ""
        self._clear()

    def use_settings(self, settings: KioskSettings) -> None:
        """Settings changed by the management web (idle timeout, survey, functions): from the next
        idle check and the next screen on."""
        self._ctx.settings = settings

    def _clear(self) -> None:
        # Every reference to patient data lives in these attributes (and nowhere else): reset()
        # rebinds them all, so nothing of the previous patient stays reachable from the session.
        self._patient: Patient | None = None
        self._summary: PatientSummary | None = None
        self._id_card: Any = None
        self._slots: dict[int, Any] = {}
        self._admission: str = ""
        self._ins_cert: tuple[str, str, str] | None = None  # the insured credential (workflows.kiosk.insured)
        self._ins_order = ""  # a pre-settled insured order waiting for the patient's decision

    # --- state and idle -------------------------------------------------------------------------

    @property
    def state(self) -> SessionState:
        """Where the session is (the screen to show)."""
        return self._state

    @property
    def patient(self) -> PatientSummary | None:
        """The identified patient (masked), None on the attract screen."""
        return self._summary

    def touch(self) -> None:
        """The patient did something (touch, key, card): restart the idle countdown."""
        with self._lock:
            self._last_touch = self._ctx.clock.monotonic()
            self._warned = False

    def _left(self) -> float:
        return max(0.0, self._ctx.settings.idle_seconds - (self._ctx.clock.monotonic() - self._last_touch))

    def tick(self) -> IdleState:
        """Advance the idle countdown (the GUI calls it about once a second). At zero the session
        resets itself (unless a payment is running: money is never abandoned by the idle timer) and
        the answer says ``expired``. Emits ``kiosk_idle`` when the warning starts and at expiry."""
        with self._lock:
            if self._state is SessionState.ATTRACT and self._id_card is None:
                return IdleState(self._ctx.settings.idle_seconds, False, False)
            if self._paying:
                return IdleState(self._left(), False, False)
            left = self._left()
            if left <= 0:
                idle = IdleState(0.0, False, True)
                self.reset("idle")
                self._ctx.events.emit(KIOSK_IDLE, idle=idle)
                return idle
            idle = IdleState(left, left <= self._ctx.settings.warning_seconds, False)
            if idle.warning and not self._warned:
                self._warned = True
                self._ctx.events.emit(KIOSK_IDLE, idle=idle)
            return idle

    def idle_state(self) -> IdleState:
        """The countdown without advancing anything."""
        left = self._left()
        return IdleState(left, 0 < left <= self._ctx.settings.warning_seconds, left <= 0)

    def reset(self, reason: str = "exit") -> None:
        """Back to the attract screen: drop the patient and every fetched list, cancel a running
        payment wait (its order completes or is resumed by the checkout), emit ``kiosk_reset``."""
        with self._lock:
            if self._paying:
                self._ctx.checkout.cancel_payment()
            # the patient left at the pre-settlement: close the visit (not while its cash part is
            # being paid: that order completes, or the background round resumes it)
            quoted = "" if self._paying else self._ins_order
            self._clear()
            self._reset_after_payment = ""
            self._last_touch = self._ctx.clock.monotonic()
            self._warned = False
        self._set_state(SessionState.ATTRACT)
        if quoted:
            self.abandon_insured(quoted)
        self._ctx.events.emit(KIOSK_PATIENT, patient=None)
        self._ctx.events.emit(KIOSK_RESET, reason=reason)

    def card_removed(self) -> None:
        """The social-security card left the reader (the GUI's card watcher or the device event).
        Before a payment: the flow is abandoned and the session resets (``kiosk_card_removed``).
        During a payment the money path finishes first, then the session resets."""
        with self._lock:
            if self._summary is None or self._summary.method is not IdentifyMethod.SSC:
                return
            paying = self._paying
            if paying:
                self._reset_after_payment = "card_removed"
        self._ctx.events.emit(KIOSK_CARD_REMOVED, during_payment=paying)
        if not paying:
            self.reset("card_removed")

    def _set_state(self, state: SessionState) -> None:
        if state is not self._state:
            self._state = state
            self._ctx.events.emit(KIOSK_STATE, state=state)

    def _gate(self, function: str) -> None:
        avail = self._ctx.availability().get(function)
        if avail is None or not avail.enabled:
            raise FunctionUnavailableError(avail.reason if avail else fn.DISABLED_BY_CONFIG)

    def _require_patient(self) -> Patient:
        if self._patient is None:
            raise NotIdentifiedError()
        self.touch()
        return self._patient

    def _his(self, call: Any, *args: Any) -> Any:
        try:
            return call(*args)
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc

    # --- identify -------------------------------------------------------------------------------

    def _found(self, patient: Patient, method: IdentifyMethod) -> PatientSummary:
        in_hospital = False
        try:
            in_hospital = self._ctx.his.inpatient(patient.patient_id).status == "in"
        except HisError:
            pass
        summary = patient_summary(patient, method, self._ctx.clock.now().date(), in_hospital)
        with self._lock:
            self._clear()
            self._patient, self._summary = patient, summary
        self.touch()
        self._set_state(SessionState.IDENTIFIED)
        self._ctx.events.emit(KIOSK_PATIENT, patient=summary)
        return summary

    def _find(self, pairs: list[tuple[str, str]], method: IdentifyMethod) -> PatientSummary:
        self._set_state(SessionState.IDENTIFYING)
        try:
            for by, value in pairs:
                if not value:
                    continue
                try:
                    return self._found(self._ctx.his.find_patient(by, value), method)
                except HisUnavailable as exc:
                    raise HisUnavailableError() from exc
                except HisError as exc:
                    if exc.code != "E3520":
                        raise IdentifyError(exc.message) from exc
            raise IdentifyError("未找到您的就诊信息，请先办理就诊卡或到人工窗口登记")
        except Exception:
            self._set_state(SessionState.ATTRACT if self._patient is None else SessionState.IDENTIFIED)
            raise

    def _read(self, role: str, function: str, read: Any) -> Any:
        self._gate(function)
        try:
            dev = self._ctx.device(role)
            assert dev is not None
            return read(dev)
        except DeviceError as exc:
            raise IdentifyError(exc.message) from exc

    def identify_ssc(self, timeout: float = 30.0) -> PatientSummary:
        """Wait for a social-security card on the ssc_reader, read it, find the patient by card
        number (then by ID number). :raises IdentifyError: E3904 (no card, unreadable, unknown)."""
        def read(dev: Any) -> Any:
            dev.wait_for_card(timeout)
            return dev.read_card()
        card = self._read("ssc_reader", fn.IDENTIFY_SSC, read)
        summary = self._find([("ssCard", card.card_no), ("idNo", card.id_no)], IdentifyMethod.SSC)
        # 1101 by the card's 社会保障号码 (= the ID number, 02): the reader does not give the card
        # serial (card_sn) that 03 needs.
        self._ins_cert = ("02", card.id_no, "")
        return summary

    def identify_id_card(self) -> PatientSummary:
        """Read the ID card on the id_reader and find the patient by ID number.
        :raises IdentifyError: E3904; an unknown person is sent to 办就诊卡."""
        card = self._read("id_reader", fn.IDENTIFY_ID_CARD, lambda dev: dev.read_card())
        return self._find([("idNo", card.id_no)], IdentifyMethod.ID_CARD)

    def identify_voucher(self, scanned: str | None = None, timeout: float = 30.0) -> PatientSummary:
        """Find the patient by the insurance e-voucher QR (``scanned`` text, else read from the
        scanner within ``timeout``). :raises IdentifyError: E3904."""
        text = scanned if scanned is not None else self._read("scanner", fn.IDENTIFY_VOUCHER,
                                                               lambda dev: dev.read_code(timeout))
        try:
            payload = parse_scan(text)
        except DeviceError as exc:
            raise IdentifyError("请出示医保电子凭证二维码") from exc
        if not isinstance(payload, InsuranceVoucher):
            raise IdentifyError("这是电子票据二维码，请出示医保电子凭证二维码")
        summary = self._find([("eVoucher", payload.code)], IdentifyMethod.E_VOUCHER)
        self._ins_cert = ("01", payload.code, "")
        return summary

    def identify_hospital_card(self, card_no: str) -> PatientSummary:
        """Find the patient by hospital card number (typed, or scanned by the GUI).
        :raises KioskInputError: E3901 malformed number; :raises IdentifyError: unknown card."""
        self._gate(fn.IDENTIFY_HOSPITAL_CARD)
        card_no = (card_no or "").strip()
        if not CARD_NO.match(card_no):
            raise KioskInputError("就诊卡号：应为4到32位数字或字母")
        return self._find([("hospitalCard", card_no)], IdentifyMethod.HOSPITAL_CARD)

    def identify_face(self, phone: str) -> PatientSummary:
        """Capture the best face frame with the camera, verify it with the typed phone number on
        the payment platform (face/verify), then find the patient by the verified ID number.
        :raises KioskInputError: bad phone; :raises IdentifyError: no face / not matched."""
        phone = (phone or "").strip()
        if not PHONE.match(phone):
            raise KioskInputError("手机号码：请输入11位手机号码")
        if self._ctx.payments is None:
            raise FunctionUnavailableError("本机未接入人脸核身服务，请用其他方式识别")
        capture = self._read("camera", fn.IDENTIFY_FACE, lambda dev: dev.capture_face())
        try:
            who = self._ctx.payments.face_verify(phone, capture.jpeg)
        except PaymentError as exc:
            raise IdentifyError(f"刷脸核身未通过：{exc.message}") from exc
        return self._find([("idNo", who.id_card_no)], IdentifyMethod.FACE)

    # --- 办就诊卡 --------------------------------------------------------------------------------

    def read_id_for_card(self) -> IdCardView:
        """Read the ID card for 办就诊卡 (no patient needs to be identified). The full ID number
        stays inside the session; the view is masked."""
        self._gate(fn.REGISTER_CARD)
        card = self._read("id_reader", fn.REGISTER_CARD, lambda dev: dev.read_card())
        known = True
        try:
            self._ctx.his.find_patient("idNo", card.id_no)
        except HisUnavailable as exc:
            raise HisUnavailableError() from exc
        except HisError:
            known = False
        birth = date(int(card.birth_date[:4]), int(card.birth_date[4:6]), int(card.birth_date[6:8]))
        with self._lock:
            self._id_card = card
        self.touch()
        from print_templates.masking import mask_id_no
        return IdCardView(card.name, card.sex_label, birth, mask_id_no(card.id_no), card.address, known)

    def card_fee(self) -> Decimal:
        """The 工本费 the HIS charges for a card (shown on the form)."""
        return self._ctx.settings.card_fee
