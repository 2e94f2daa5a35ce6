"""The glue between the kiosk window and ``workflows.kiosk``: taps -> session calls off the GUI
thread (qt_common.tasks) -> view models onto screens. No decision is made here that the session
does not already make; what is left is which screen comes next.

Errors: bad input and identification refusals are said on the screen that caused them (the patient
can fix them there); anything else goes to the 请到人工窗口 screen with its code, never a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from kiosk_app.insured import InsuredPay
from kiosk_app.payflow import PayFlow
from kiosk_app.screens.entry import METHODS
from kiosk_app.widgets import Choice
from kiosk_app.window import KioskWindow
from print_templates.masking import mask_name
from qt_common.bridge import EventBridge
from qt_common.errors import describe
from qt_common.qt import QObject, QTimer
from qt_common.tasks import TaskRunner
from workflows.kiosk import events as kev
from workflows.kiosk.errors import IdentifyError, KioskInputError
from workflows.kiosk.kiosk import Kiosk
from workflows.kiosk.models import (
    DepartmentView,
    DoctorView,
    FlowResult,
    FunctionAvailability,
    PatientSummary,
    SlotView,
)

#: attract-screen method -> (availability name, session call name)
IDENTIFY = {"ssc": ("identify_ssc", "identify_ssc"), "id_card": ("identify_id_card", "identify_id_card"),
            "e_voucher": ("identify_voucher", "identify_voucher"),
            "hospital_card": ("identify_hospital_card", "identify_hospital_card"),
            "face": ("identify_face", "identify_face")}


class KioskController(QObject):
    """Drives one :class:`KioskWindow` over one :class:`Kiosk`.

    :param maintain_ms: the background round (heartbeat, uploads, availability); 0 = never.
    :param watch_card: watch the social-security card reader (Kiosk.watch_card): a card inserted
        on the attract screen starts identification, a card pulled resets the session.
    """

    def __init__(self, kiosk: Kiosk, window: KioskWindow, *, maintain_ms: int = 30000,
                 watch_card: bool = True) -> None:
        super().__init__(window)
        self.kiosk = kiosk
        self.session = kiosk.session
        self.w = window
        self.tasks = TaskRunner(self.failed, self)
        self.bridge = EventBridge(kiosk.events, self)
        self.bridge.event.connect(self._on_event)
        self.history: list[str] = []
        self.functions: dict[str, FunctionAvailability] = {}
        self.pay = PayFlow(self)
        self.insured = InsuredPay(self)
        w = window
        w.back_requested.connect(self.back)
        w.home_requested.connect(self.home)
        w.idle_expired.connect(lambda: self._reset_session("idle"))
        w.idle.resumed.connect(self.session.touch)
        w.attract.identify.connect(self.start_identify)
        w.attract.register_card.connect(self.start_register_card)
        w.identify.hospital_card.connect(lambda no: self._identify("hospital_card", no))
        w.identify.face.connect(lambda phone: self._identify("face", phone))
        w.identify.retry.connect(lambda: self.start_identify(w.identify.method))
        w.home.function.connect(self.open_function)
        w.home.logout.connect(self.finish)
        w.register_card.read_id.connect(self._read_id)
        w.register_card.submit.connect(self._card_phone)
        w.registration.department.connect(self._department)
        w.registration.doctor.connect(self._doctor)
        w.registration.slot.connect(self._slot)
        w.appointments.check_in.connect(lambda no: self.run_flow(lambda: self.session.check_in(no)))
        w.appointments.cancel.connect(lambda no: self.run_flow(lambda: self.session.cancel_appointment(no)))
        w.outpatient.pay.connect(self._pay_outpatient)
        w.outpatient.insured.connect(self.insured.quote)
        w.insured.confirm.connect(self.insured.confirm)
        w.insured.self_pay.connect(self.insured.to_self_pay)
        w.topup.amount.connect(self._top_up)
        w.discharge.settle.connect(self._settle_discharge)
        w.bills.print_notice.connect(lambda no: self.run_flow(lambda: self.session.print_notice(no)))
        w.bills.paper.connect(lambda no: self.run_flow(lambda: self.session.exchange_paper(no)))
        w.query.day.connect(lambda d: self.call(lambda: self.session.daily_list(d), w.query.show_daily))
        w.result.again.connect(self.home)
        w.result.finish.connect(self.finish)
        w.result.survey.connect(lambda: self.open_function("survey"))
        w.survey.submit.connect(lambda answers: self.run_flow(lambda: self.session.submit_survey(answers)))
        w.error.home.connect(self.home)
        self._dept: tuple[str, str] = ("", "")
        self._depts: dict[str, DepartmentView] = {}
        self._doctors: dict[str, DoctorView] = {}
        self._slots: dict[int, SlotView] = {}
        self._topup_flow = "prepay"
        self._own_resets = 0  # session resets the GUI started whose kiosk_reset event is still due
        self._maintain = QTimer(self)
        self._maintain.timeout.connect(self.maintain)
        if maintain_ms > 0:
            self._maintain.start(maintain_ms)
        self.refresh_functions()
        if watch_card:
            # Without the watcher a pulled card left the patient on screen and an inserted card did
            # nothing until 社保卡 was tapped. It polls on its own thread; kiosk.close() stops it.
            kiosk.watch_card()

    # --- plumbing ------------------------------------------------------------------------
    def call(self, fn: Callable[[], Any], then: Callable[[Any], None], busy: str = "正在查询，请稍候…",
             on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run a session call off the GUI thread with the busy bar up; ``then`` gets the answer."""
        self.w.set_busy(busy)

        def ok(value: Any) -> None:
            self.w.set_busy("")
            then(value)

        def bad(exc: BaseException) -> None:
            self.w.set_busy("")
            (on_error or self.failed)(exc)

        self.tasks.run(fn, ok, bad)

    def go(self, key: str) -> None:
        """Show a screen, remembering where 返回 goes."""
        cur = self.w.current().key
        if cur != key and cur not in ("payment", "result", "error", "confirm_pay"):
            self.history.append(cur)
        self.w.show_screen(key)

    def failed(self, exc: BaseException) -> None:
        """Input refusals stay on the screen; the rest goes to 请到人工窗口."""
        if isinstance(exc, KioskInputError | IdentifyError):
            self.w.current().say(exc.message)
            if self.w.current() is self.w.identify:
                self.w.identify.failed(exc.message)
            return
        code, message = describe(exc)
        self.w.error.show_error(code, message)
        self.w.show_screen("error")

    def back(self) -> None:
        """返回: the previous screen (registration steps count as screens of their own)."""
        reg = self.w.registration
        if self.w.current() is reg and reg.stage != "departments":
            if reg.stage == "slots":
                self._department(self._dept[0])
            else:
                self.open_function("registration")
            return
        self.insured.leaving()
        prev = self.history.pop() if self.history else ("home" if self.session.patient else "attract")
        if prev == "attract":
            self.finish()
            return
        self.w.show_screen(prev)

    def home(self) -> None:
        """返回首页: the menu when a patient is identified, else the attract screen."""
        self.insured.leaving()
        self.history.clear()
        if self.session.patient is None:
            self.finish()
            return
        self.refresh_functions()
        self.w.show_screen("home")

    def finish(self) -> None:
        """退出: drop the patient (session off the GUI thread), clear every screen."""
        self.history.clear()
        self.w.reset()
        self._reset_session("exit")

    def _reset_session(self, reason: str) -> None:
        """Reset the session off the GUI thread after the window already reset itself. Its
        ``kiosk_reset`` event arrives later; it must not reset the window again: the next patient
        may have tapped an identification meanwhile (it was thrown back to the attract screen)."""
        self._own_resets += 1
        self.tasks.run(lambda: self.session.reset(reason), lambda _r: None)

    def maintain(self) -> None:
        """The background round (heartbeat, uploads, availability)."""
        self.tasks.run(self.kiosk.maintain, lambda _r: self.refresh_functions(), lambda _e: None)

    def refresh_functions(self) -> None:
        """Re-check devices and grey what cannot be offered (off the GUI thread)."""
        self.tasks.run(self.kiosk.refresh_availability, self._show_functions, lambda _e: None)

    def _show_functions(self, functions: dict[str, FunctionAvailability]) -> None:
        self.functions = dict(functions)
        choices = []
        for key, text, detail in METHODS:
            f = functions.get(IDENTIFY[key][0])
            choices.append(Choice(key, text, detail, f is None or f.enabled, f.reason if f else ""))
        self.w.attract.set_methods(choices)
        reg = functions.get("register_card")
        self.w.attract.set_register_enabled(reg is None or reg.enabled, reg.reason if reg else "")
        self.w.home.show_functions(list(functions.values()))

    # --- identify ------------------------------------------------------------------------
    def start_identify(self, method: str) -> None:
        """Attract tile tapped: wait for the card / code, or ask for the number / phone."""
        self.session.touch()
        self.w.identify.show_method(method)
        self.go("identify")
        if method in ("ssc", "id_card", "e_voucher"):
            self._identify(method, None)
        elif method == "face":
            cam = self.kiosk.devices.by_role("camera")
            if cam is not None:  # the preview: one frame, so the patient sees where to look
                self.tasks.run(lambda: cam.capture_face().jpeg, self.w.identify.show_frame,  # type: ignore[attr-defined]
                               lambda _e: None)

    def _identify(self, method: str, value: str | None) -> None:
        fn = getattr(self.session, IDENTIFY[method][1])
        waiting = {"ssc": "正在读取社保卡…", "id_card": "正在读取身份证…", "e_voucher": "请将二维码对准扫码口…",
                   "face": "正在识别，请正对摄像头…"}.get(method, "正在查询…")
        self.call(lambda: fn(value) if value is not None else fn(), self.identified, waiting)

    def identified(self, patient: PatientSummary) -> None:
        """A patient is known: greet, menu."""
        self.w.set_patient(f"{mask_name(patient.name)}，您好")
        # What was typed to find the patient (the face's full phone number, the card number) does
        # not stay behind in the identify screen's field for the rest of the visit.
        self.w.identify.clear()
        self.w.home.show_patient(patient)
        self.history.clear()
        self.refresh_functions()
        self.w.show_screen("home")

    # --- functions ------------------------------------------------------------------------
    def open_function(self, name: str) -> None:
        """A menu tile: fetch what the function shows, then its screen."""
        w, s = self.w, self.session
        if name == "registration":
            self.call(s.departments, self._departments)
        elif name == "check_in":
            self.call(s.appointments, lambda a: (w.appointments.show_appointments(a), self.go("appointments")))
        elif name == "outpatient":
            def charges(c: Any) -> None:
                w.outpatient.show_charges(c)
                w.outpatient.offer_insured(bool(c) and s.insured_offered())
                self.go("outpatient")
            self.call(s.pending_charges, charges)
        elif name == "prepay":
            p = s.patient
            if p is not None:
                w.topup.show_prepay(p)
                self._topup_flow = "prepay"
                self.go("topup")
        elif name == "deposit":
            def show(v: Any) -> None:
                w.topup.show_deposit(v)
                self._topup_flow = "deposit"
                self.go("topup")
            self.call(s.inpatient, show)
        elif name == "discharge":
            self.call(s.discharge_bill, lambda v: (w.discharge.show_discharge(v), self.go("discharge")))
        elif name in ("print_notice", "paper"):
            self.call(s.bill_history, lambda h: (w.bills.show_history(h), self.go("bills")))
        elif name == "query":
            p = s.patient
            if p is not None and p.in_hospital:
                self.call(lambda: s.daily_list(date.today()), lambda v: (w.query.show_daily(v), self.go("query")))
            else:
                self.call(s.pending_charges, lambda c: (w.query.show_charges(c), self.go("query")))
        elif name == "survey":
            self.call(s.survey_questions, lambda q: (w.survey.show_questions(q), self.go("survey")))

    # --- 办就诊卡 ---------------------------------------------------------------------------
    def start_register_card(self) -> None:
        """首次就诊: the ID card first."""
        self.w.register_card.clear()
        self.w.register_card.set_minimum(self.kiosk.settings.min_first_top_up)
        self.go("register_card")

    def _read_id(self) -> None:
        self.call(self.session.read_id_for_card, self.w.register_card.show_id, "正在读取身份证…")

    def _card_phone(self, phone: str, top_up: Decimal) -> None:
        s = self.session

        def priced(fee: Decimal) -> None:
            # The HIS opens a card only with a first top-up (min_first_top_up); paying the fee
            # alone was refused by the session after the patient had chosen how to pay.
            self.pay.ask(f"办理就诊卡（工本费{fee:.2f}元 + 首次充值{top_up:.2f}元）", fee + top_up, None,
                         lambda choice: s.register_card(phone, top_up, choice), prepay=False)

        self.call(s.card_fee, priced)

    # --- registration ---------------------------------------------------------------------
    def _departments(self, departments: list[DepartmentView]) -> None:
        self._depts = {d.dept_code: d for d in departments}
        self.w.registration.show_departments(departments)
        self.go("registration")

    def _department(self, code: str) -> None:
        dept = self._depts.get(code)
        name = dept.name if dept else ""
        self._dept = (code, name)

        def show(doctors: list[DoctorView]) -> None:
            self._doctors = {d.doctor_code: d for d in doctors}
            self.w.registration.show_doctors(name, doctors)

        self.call(lambda: self.session.doctors(code), show)

    def _doctor(self, doctor_code: str) -> None:
        dept, dept_name = self._dept
        s = self.session
        doc = self._doctors.get(doctor_code)
        today = date.today()

        def fetch() -> list[SlotView]:
            out: list[SlotView] = []
            for n in range(0, 8):  # today and the bookable week
                out += [x for x in s.slots(dept, today + timedelta(days=n))
                        if doc is None or x.doctor_name == doc.name]
            return out

        def show(slots: list[SlotView]) -> None:
            self._slots = {x.slot_id: x for x in slots}
            self.w.registration.show_slots(crumbs, slots)

        crumbs = f"科室：{dept_name}" + (f"　医生：{doc.name}" if doc else "　普通门诊")
        self.call(fetch, show)

    def _slot(self, slot_id: int) -> None:
        v = self._slots[slot_id]
        s = self.session
        today = v.day == date.today()
        what = f"{'挂号' if today else '预约'} {v.dept_name} {v.doctor_name or '普通门诊'} {v.day:%m月%d日}{v.period}"
        p = s.patient
        self.pay.ask(what, v.fee, p.prepay_balance if p else None,
                     (lambda c: s.register(slot_id, c)) if today else (lambda c: s.book(slot_id, c)))

    # --- money -----------------------------------------------------------------------------
    def _pay_outpatient(self, charge_ids: list[str], total: Decimal) -> None:
        s = self.session
        p = s.patient
        self.pay.ask(f"门诊缴费（{len(charge_ids)}项）", total, p.prepay_balance if p else None,
                     lambda c: s.pay_outpatient(charge_ids, c))

    def _top_up(self, amount: Decimal) -> None:
        s = self.session
        if self._topup_flow == "deposit":
            self.pay.ask("住院押金", amount, None, lambda c: s.top_up_deposit(amount, c), prepay=False)
        else:
            self.pay.ask("预交金充值", amount, None, lambda c: s.top_up_prepay(amount, c), prepay=False)

    def _settle_discharge(self) -> None:
        s = self.session

        def got(v: Any) -> None:
            if v.due > 0:
                self.pay.ask("出院结算补缴", v.due, None, lambda c: s.settle_discharge(c), prepay=False)
            else:
                self.run_flow(lambda: s.settle_discharge(None))

        self.call(s.discharge_bill, got)

    def run_flow(self, fn: Callable[[], FlowResult], busy: str = "正在办理，请稍候…") -> None:
        """A flow that ends on the result screen."""
        self.call(fn, self.show_result, busy)

    def show_result(self, r: FlowResult) -> None:
        """The result screen (a survey's result goes back to the attract screen after it)."""
        self.w.result.show_result(r)
        self.w.result.to_survey.setVisible(r.flow != "survey" and self.functions.get("survey", None) is not None)
        self.history.clear()
        self.w.show_screen("result")
        if self.session.patient is not None:
            p = self.session.patient
            self.w.home.show_patient(p)

    # --- events ---------------------------------------------------------------------------
    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == kev.KIOSK_RESET and self._own_resets > 0:
            self._own_resets -= 1  # the echo of a reset the window did itself (one event per reset)
        elif name == kev.KIOSK_RESET and self.w.current().key != "attract":
            self.history.clear()
            self.w.reset()
        elif name == kev.KIOSK_CARD_INSERTED and self.w.current().key == "attract":
            self.start_identify("ssc")
        elif name == kev.KIOSK_AVAILABILITY:
            self._show_functions(payload["functions"])
        elif name == kev.KIOSK_PROGRESS:
            if self.w.busy_bar.isVisible():
                self.w.set_busy(str(payload.get("text", "")))
            self.w.payment.show_status(str(payload.get("text", "")))
        else:
            self.pay.on_event(name, payload)

    def close(self) -> None:
        """Stop timers and wait for running calls (window closing)."""
        self._maintain.stop()
        self.tasks.wait(15000)
        self.bridge.close()
