"""The kiosk window: header, the screens in a QStackedWidget, the idle countdown bar, the footer.

Full screen and frameless in production (``--windowed`` for development). The window knows no
workflow: the controller (kiosk_app.controller) fills screens and reacts to their signals. What
the window owns is navigation chrome, the theme (normal / 长辈模式) and the idle reset, which
clears every screen so no patient data stays in the widget tree.
"""

from __future__ import annotations

from kiosk_app.idle import IdleWatcher
from kiosk_app.screens.base import Screen
from kiosk_app.screens.entry import AttractScreen, IdentifyScreen
from kiosk_app.screens.home import ErrorScreen, HomeScreen, ResultScreen, SurveyScreen
from kiosk_app.screens.insured import InsuredScreen
from kiosk_app.screens.money import (
    ConfirmPayScreen,
    DischargeScreen,
    OutpatientScreen,
    PaymentScreen,
    TopUpScreen,
)
from kiosk_app.screens.records import BillsScreen, QueryScreen
from kiosk_app.screens.register import AppointmentsScreen, RegisterCardScreen, RegistrationScreen
from kiosk_app.theme import ELDERLY, NORMAL, SCREEN_H, SCREEN_W, Theme, stylesheet
from kiosk_app.widgets import button, label
from qt_common.qt import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)


class KioskWindow(QWidget):
    """All screens of the kiosk.

    :param hospital: shown in the header.
    :param idle_s: seconds without a touch before the countdown starts.
    :param countdown_s: length of the visible countdown before the reset.
    """

    back_requested = Signal()
    home_requested = Signal()
    idle_expired = Signal()

    def __init__(self, hospital: str, *, idle_s: float = 60.0, countdown_s: float = 30.0) -> None:
        super().__init__()
        self.setObjectName("kioskWindow")
        self.setWindowTitle(f"{hospital} · 自助服务")
        self.theme: Theme = NORMAL
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)

        header = QWidget()
        header.setObjectName("header")
        header.setProperty("role", "header")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        hl = QVBoxLayout(header)
        hl.setContentsMargins(32, 16, 32, 16)
        self.hospital = label(hospital, name="hospitalName")
        self.title = label("", "title", name="screenTitle")
        self.patient = label("", name="headerPatient")
        top = QWidget()
        tl = QHBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.hospital, 1)
        tl.addWidget(self.patient)
        top.setProperty("role", "header")
        top.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        hl.addWidget(top)
        hl.addWidget(self.title)
        root.addWidget(header)

        self.notice = QFrame()
        self.notice.setObjectName("idleNotice")
        self.notice.setProperty("role", "notice")
        nl = QHBoxLayout(self.notice)
        nl.setContentsMargins(32, 12, 32, 12)
        self.notice_text = label("", name="idleText")
        self.keep = button("继续办理", self._keep, name="idleKeep")
        self.keep.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        nl.addWidget(self.notice_text, 1)
        nl.addWidget(self.keep)
        self.notice.hide()
        root.addWidget(self.notice)

        self.busy_bar = label("", "title", name="busyText")
        self.busy_bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.busy_bar.hide()
        root.addWidget(self.busy_bar)

        self.stack = QStackedWidget()
        root.addWidget(self.stack, 1)
        self.attract = AttractScreen()
        self.identify = IdentifyScreen()
        self.home = HomeScreen()
        self.register_card = RegisterCardScreen()
        self.registration = RegistrationScreen()
        self.appointments = AppointmentsScreen()
        self.outpatient = OutpatientScreen()
        self.insured = InsuredScreen()
        self.topup = TopUpScreen()
        self.discharge = DischargeScreen()
        self.confirm_pay = ConfirmPayScreen()
        self.payment = PaymentScreen()
        self.result = ResultScreen()
        self.bills = BillsScreen()
        self.query = QueryScreen()
        self.survey = SurveyScreen()
        self.error = ErrorScreen()
        self.screens: dict[str, Screen] = {}
        for s in (self.attract, self.identify, self.home, self.register_card, self.registration, self.appointments,
                  self.outpatient, self.insured, self.topup, self.discharge, self.confirm_pay, self.payment, self.result,
                  self.bills, self.query, self.survey, self.error):
            self.screens[s.key] = s
            self.stack.addWidget(s)

        footer = QWidget()
        fl = QHBoxLayout(footer)
        fl.setContentsMargins(32, 8, 32, 24)
        fl.setSpacing(24)
        self.back = button("‹ 返回", self.back_requested.emit, name="footerBack")
        self.to_home = button("返回首页", self.home_requested.emit, name="footerHome")
        fl.addWidget(self.back)
        fl.addWidget(self.to_home)
        self.footer = footer
        root.addWidget(footer)

        self.idle = IdleWatcher(idle_s, countdown_s, self)
        self.idle.countdown.connect(self._countdown)
        self.idle.resumed.connect(self.notice.hide)
        self.idle.expired.connect(self._expired)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.idle)
        self.attract.elderly.connect(self.set_elderly)
        self.apply_theme(NORMAL)
        self.show_screen("attract")

    # --- navigation --------------------------------------------------------------------
    def current(self) -> Screen:
        """The screen shown."""
        w = self.stack.currentWidget()
        assert isinstance(w, Screen)
        return w

    def show_screen(self, key: str) -> Screen:
        """Make ``key`` current; the idle watch is armed where a patient may walk away."""
        s = self.screens[key]
        self.stack.setCurrentWidget(s)
        self.title.setText(s.title)
        self.footer.setVisible(key != "attract")
        self.back.setVisible(key not in ("attract", "result", "payment", "error"))
        # 返回首页 where there is a menu to return to and the patient is not already on it
        self.to_home.setVisible(s.with_patient and key not in ("home", "payment"))
        self.idle.arm(s.idle_reset)
        self.notice.hide()
        s.entered()
        return s

    def set_patient(self, text: str) -> None:
        """The greeting in the header (already masked); empty clears it."""
        self.patient.setText(text)

    def set_busy(self, text: str) -> None:
        """Show 正在处理… while a task runs; empty hides it. Taps on the screen are blocked."""
        self.busy_bar.setText(text)
        self.busy_bar.setVisible(bool(text))
        self.stack.setEnabled(not text)
        self.footer.setEnabled(not text)

    # --- theme ---------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        """Switch between the normal look and 长辈模式 (one stylesheet each)."""
        self.theme = theme
        self.setStyleSheet(stylesheet(theme))
        self.attract.set_elderly(theme is ELDERLY)

    def set_elderly(self, on: bool) -> None:
        """长辈模式 on / off."""
        self.apply_theme(ELDERLY if on else NORMAL)

    # --- idle --------------------------------------------------------------------------
    def _countdown(self, seconds: int) -> None:
        self.notice_text.setText(f"长时间未操作，{seconds} 秒后将返回首页并清除您的信息")
        self.notice.show()

    def _keep(self) -> None:
        self.idle.touch()
        self.notice.hide()

    def _expired(self) -> None:
        self.idle_expired.emit()
        self.reset()

    def reset(self) -> None:
        """Back to the attract screen with every screen cleared (idle, 退出, finished)."""
        for s in self.screens.values():
            s.clear()
        self.set_patient("")
        self.set_busy("")
        self.show_screen("attract")

    def go_fullscreen(self, windowed: bool) -> None:
        """Production: frameless full screen; development: a 1080x1920 window (scaled to fit)."""
        if windowed:
            self.resize(SCREEN_W, SCREEN_H)
            self.show()
        else:
            self.setWindowFlag(Qt.WindowType.FramelessWindowHint, True)
            self.showFullScreen()

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt API)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.idle)
        self.idle.stop()
        super().closeEvent(event)  # type: ignore[arg-type]
