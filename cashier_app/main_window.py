"""The cashier main window: login/lock, workspace tabs (F1-F6, and 票据库存 of the finance workspace), emergency banner, status bar.

Status bar (issue 8 §1): link (online / emergency), billing point, user, online and emergency
stock, pending uploads, printer state. The link is probed every few seconds on a worker thread;
a drop shows at once as a red banner with emergency stock and limits; on return the upload
progress bar runs and the carry-forward result (with conflicts) is shown.
"""

from __future__ import annotations

from typing import Any

from billing_core.errors import BillingError
from cashier_app.context import PageContext
from cashier_app.login_page import LoginPage
from cashier_app.pages.audit import AuditPage
from cashier_app.pages.baseinfo import BaseInfoPage
from cashier_app.pages.importer import ImportPage
from cashier_app.pages.insured import InsuredPage
from cashier_app.pages.issue import IssuePage
from cashier_app.pages.paper import PaperPage
from cashier_app.pages.query import QueryPage
from cashier_app.pages.report import ReportPage
from cashier_app.pages.reports import ReportsPage
from cashier_app.pages.stock import StockPage
from cashier_app.pages.users import UsersPage
from cashier_app.pages.ward import WardWorkspace
from cashier_app.pages.writeoff import WriteOffPage
from cashier_app.printers import WindowPrinters
from devices.scanner import EBillCode, parse_scan
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter
from qt_common.qt import (
    QApplication,
    QEvent,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMainWindow,
    QObject,
    QProgressBar,
    QShortcut,
    QStackedWidget,
    Qt,
    QTabWidget,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from qt_common.scanner import WedgeScannerFilter
from qt_common.tasks import TaskRunner
from qt_common.widgets.status import StatusPiece
from workflows import events as ev
from workflows.cashier.login import ACTION_ROLES, User
from workflows.cashier.services import CashierServices
from workflows.emergency.upload import UploadReport
from workflows.issuing import TerminalStatus
from workflows.link_monitor import carry_summary
from workflows.online_stock import online_stock
from workflows.records import BillRecord
from workflows.session_errors import BillNotFound
from workflows.ward.builder import Ward

TABS = (("issue", "开票 F1"), ("import", "批量导入 F2"), ("paper", "纸质票据 F3"), ("writeoff", "冲红 F4"),
        ("query", "查询 F5"), ("report", "日结 F6"), ("insured", "医保结算 F8"))
#: Tabs shown only to the roles of an ACTION_ROLES action (the finance office, issue 18).
ROLE_TABS = {"stock": "stock", "reports": "finance_reports", "baseinfo": "finance_reports", "users": "accounts",
             "audit": "audit"}
#: The F-key of each tab (F7 is the issue page's "fill the amount owed").
TAB_KEYS = {"issue": 1, "import": 2, "paper": 3, "writeoff": 4, "query": 5, "report": 6, "insured": 8}


class _ActivityFilter(QObject):
    """Any key or mouse press counts as activity for the idle lock."""

    def __init__(self, touch: Any) -> None:
        super().__init__()
        self._touch = touch

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress):
            self._touch()
        return False


class MainWindow(QMainWindow):
    """The window. Everything comes in by constructor (no global app object)."""

    def __init__(self, services: CashierServices, printers: WindowPrinters, *, probe_ms: int = 3000,
                 ward: Ward | None = None) -> None:
        super().__init__()
        self.services = services
        self.setWindowTitle(f"医疗收费电子票据 · {services.window.hospital} · {services.window.place_name}")
        self.errors = ErrorPresenter(self)
        self.tasks = TaskRunner(self.errors.show, self)
        self.bridge = EventBridge(services.events, self)
        self.bridge.event.connect(self._on_event)
        self.ctx = PageContext(services, printers, self.tasks, self.bridge, self.errors)
        self.last_carry: UploadReport | None = None

        self.root = QStackedWidget()
        self.setCentralWidget(self.root)
        self.login_page = LoginPage(services, self._logged_in, self.tasks.run, self.errors.show)
        self.root.addWidget(self.login_page)

        work = QWidget()
        wl = QVBoxLayout(work)
        wl.setContentsMargins(6, 4, 6, 4)
        self.banner = QLabel()
        self.banner.setObjectName("emergencyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#b71c1c;color:white;font-weight:bold;padding:6px;")
        self.banner.hide()
        wl.addWidget(self.banner)
        self.upload = QProgressBar()
        self.upload.setObjectName("uploadProgress")
        self.upload.setFormat("应急票据上传 %v / %m")
        self.upload.hide()
        wl.addWidget(self.upload)
        self.carry = QLabel()
        self.carry.setObjectName("carryForward")
        self.carry.setWordWrap(True)
        self.carry.hide()
        wl.addWidget(self.carry)
        self.tabs = QTabWidget()
        self.issue_page = IssuePage(self.ctx, self._to_paper)
        self.import_page = ImportPage(self.ctx)
        self.paper_page = PaperPage(self.ctx)
        self.writeoff_page = WriteOffPage(self.ctx)
        self.query_page = QueryPage(self.ctx)
        self.query_page.paperRequested.connect(self._to_paper)  # any bill of the hospital (issue 18 §1)
        self.query_page.writeoffRequested.connect(self._to_writeoff)
        self.report_page = ReportPage(self.ctx)
        self.stock_page = StockPage(self.ctx)  # finance workspace (issue 18 §2)
        self.insured_page = InsuredPage(self.ctx)
        self.pages = {"issue": self.issue_page, "import": self.import_page, "paper": self.paper_page,
                      "writeoff": self.writeoff_page, "query": self.query_page, "report": self.report_page,
                      "stock": self.stock_page, "insured": self.insured_page}
        for key, label in TABS:
            self.tabs.addTab(self.pages[key], label)
        # no F-key: F7 belongs to the issue page (fill the amount owed)
        self.tabs.addTab(self.stock_page, "票据库存")
        # finance workspace (issue 18): pages without an F-key, after the window's own
        self.reports_page = ReportsPage(self.ctx)
        self.baseinfo_page = BaseInfoPage(self.ctx)
        self.users_page = UsersPage(self.ctx)
        self.audit_page = AuditPage(self.ctx)
        for key, label, page in (("reports", "报表中心", self.reports_page), ("baseinfo", "基础资料", self.baseinfo_page),
                                 ("users", "用户与接入", self.users_page), ("audit", "审计日志", self.audit_page)):
            self.pages[key] = page
            self.tabs.addTab(page, label)
        if ward is not None:  # a nurse station: the ward workspace (cashier_app/pages/ward*.py)
            self.pages["ward"] = WardWorkspace(ward, self.tasks, self.errors)
            self.tabs.addTab(self.pages["ward"], "病区")
        self.tabs.currentChanged.connect(self._tab_changed)
        wl.addWidget(self.tabs, 1)
        self.root.addWidget(work)
        self.workspace = work

        for key, _label in TABS:
            sc = QShortcut(QKeySequence(getattr(Qt.Key, f"Key_F{TAB_KEYS[key]}")), self)
            sc.activated.connect(lambda k=key: self.show_page(k))
        lock = QShortcut(QKeySequence(Qt.Key.Key_F12), self)
        lock.activated.connect(self.lock)

        sb = self.statusBar()
        self.st_link = StatusPiece("链路")
        self.st_place = StatusPiece("开票点")
        self.st_user = StatusPiece("用户")
        self.st_online = StatusPiece("在线票号")
        self.st_emergency = StatusPiece("应急库存")
        self.st_pending = StatusPiece("待上传")
        self.st_printer = StatusPiece("打印机")
        for piece in (self.st_link, self.st_place, self.st_user, self.st_online, self.st_emergency, self.st_pending,
                      self.st_printer):
            sb.addWidget(piece)
        w = services.window
        self.st_place.set_value(f"{w.place_code} {w.place_name}")
        self.st_link.set_value("在线", "ok")  # the breaker starts closed; its events change this

        self._activity = _ActivityFilter(services.login.touch)  # installed on the application below
        # A keyboard-wedge scanner anywhere in the window: a patient's notice QR opens the bill.
        self.scanner = WedgeScannerFilter(self, accept=lambda code: code.startswith("01,"))
        self.scanner.scanned.connect(self.on_scan)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.scanner)
            app.installEventFilter(self._activity)
        self.idle_timer = QTimer(self)
        self.idle_timer.timeout.connect(self._check_idle)
        self.idle_timer.start(1000)
        self.probe_timer = QTimer(self)
        self.probe_timer.timeout.connect(self.probe)
        self.probe_ms = probe_ms
        self._probing = False
        self.root.setCurrentWidget(self.login_page)
        self.login_page.user.setFocus()

    # --- session -------------------------------------------------------------------------
    def _logged_in(self, user: User) -> None:
        self.st_user.set_value(f"{user.name}（{user.role_label}）", "ok")
        # the finance office's tabs only for the roles whose action they serve: a cashier is not
        # offered screens every button of which the server would refuse (the checks stay in ctx.run)
        for key, action in ROLE_TABS.items():
            if key in self.pages:
                self.tabs.setTabVisible(self.tabs.indexOf(self.pages[key]), user.has(*ACTION_ROLES[action]))
        self.root.setCurrentWidget(self.workspace)
        self.login_page.set_login_mode()
        if "ward" in self.pages and user.has("nurse", "ward_nurse"):
            self.show_page("ward")  # a nurse works at the ward workspace (issue 17)
        else:
            self.show_page("issue")
            self.issue_page.fields["payer"].setFocus()
        self.refresh_status()
        if self.probe_ms > 0:
            self.probe_timer.start(self.probe_ms)
            self.probe()  # at once: link state, emergency stock top-up, online stock

    def lock(self) -> None:
        """F12 or idle: show the lock screen; the session stays."""
        self.services.login.lock()
        if self.services.login.user is not None:
            self.login_page.set_unlock_mode(self.services.login.user)
            self.root.setCurrentWidget(self.login_page)

    def _check_idle(self) -> None:
        if self.root.currentWidget() is self.workspace and self.services.login.check_idle():
            self.lock()

    def show_page(self, key: str) -> None:
        """Switch to a workspace tab (F1-F6, or ``stock``)."""
        if self.root.currentWidget() is not self.workspace:
            return
        self.tabs.setCurrentWidget(self.pages[key])

    def _tab_changed(self, _index: int) -> None:
        page = self.tabs.currentWidget()
        if page is self.writeoff_page:
            self.writeoff_page.refresh()
        elif page is self.query_page:
            self.query_page.run()
        elif page is self.stock_page and self.services.login.user is not None \
                and self.services.login.user.has("finance", "admin"):
            self.stock_page.refresh()
        elif self.services.login.user is not None and (
                (page is self.baseinfo_page and self.services.login.user.has("finance", "admin"))
                or (page is self.users_page and self.services.login.user.has("admin"))):
            page.refresh()  # type: ignore[union-attr]  (one of the two pages above)

    def on_scan(self, code: str) -> None:
        """A scanned e-bill QR (告知单): open the bill on the paper page for exchange (seed 001 5(1))."""
        focus = QApplication.focusWidget()
        if isinstance(focus, QLineEdit) and focus.text().endswith(code):
            focus.setText(focus.text()[: -len(code)])  # the scanner "typed" the code: take it back out
        if self.root.currentWidget() is not self.workspace:
            return
        if not self.ctx.allowed("query", lambda _msg: None):  # opening a bill is a query (role check)
            return
        try:
            scanned = parse_scan(code)
        except BillingError as exc:
            self.errors.show(exc)
            return
        if not isinstance(scanned, EBillCode):
            self.errors.show(BillNotFound("扫描的是医保电子凭证，不是电子票据二维码"))
            return
        batch, no, hospital = scanned.bill.bill_batch_code, scanned.bill.bill_no, self.services.hospital
        # this window's bill, else the hospital's through the server (issue 18 §1); off the GUI thread
        self.tasks.run(lambda: hospital.get(batch, no), self._to_paper, self.errors.show)

    def _to_paper(self, rec: BillRecord) -> None:
        self.show_page("paper")
        self.paper_page.load(rec)

    def _to_writeoff(self, rec: BillRecord) -> None:
        self.writeoff_page.open_bill(rec)
        self.show_page("writeoff")

    # --- link, stock, printer -------------------------------------------------------------
    def probe(self) -> None:
        """Probe the link (and drain emergency uploads on return) off the GUI thread."""
        if self._probing:
            return
        self._probing = True

        def done(_ok: object) -> None:
            self._probing = False
            self.refresh_status()

        def failed(exc: BaseException) -> None:
            self._probing = False
            self.errors.show(exc)

        self.tasks.run(self.services.link.probe, done, failed)

    def refresh_status(self) -> None:
        """Emergency stock and printer state, fetched off the GUI thread."""
        printers = self.ctx.printers
        services = self.services

        def gather() -> tuple[TerminalStatus, tuple[str, str], int | None]:
            try:
                if not services.paper.paper_batch_code:
                    services.paper.next_number()  # discovers the paper batch, not counted as stock
                online = online_stock(services.api, services.window.place_code, services.paper.paper_batch_code)
            except BillingError:
                online = None  # link down or not offered by the server: shown as unknown
            return services.workflow.status(), printers.printer_state(), online

        self.tasks.run(gather, self._show_status, lambda _e: None)

    def _show_status(self, result: tuple[TerminalStatus, tuple[str, str], int | None]) -> None:
        status, (ptext, pstate), online = result
        self.st_printer.set_value(ptext, pstate)
        if online is None:
            self.st_online.set_value("未知", "warn")
        else:
            self.st_online.set_value(f"{online}张", "ok" if online > 100 else "warn")
        self._show_stock(status)

    def _show_stock(self, st: TerminalStatus) -> None:
        """Stock, pending uploads and, while the link is down, the banner with the limits' usage."""
        warnings = [n.message for n in st.notices]
        self.st_emergency.set_value(f"{st.stock_remaining}张", "warn" if warnings else "ok")
        self.st_pending.set_value(f"{st.pending_uploads}张", "warn" if st.pending_uploads else "ok")
        if not st.link_up:
            bills, total = st.usage.get("max_bills", {}), st.usage.get("max_total", {})
            warn = "；".join(warnings)
            self.banner.setText(
                f"网络中断 · 应急开票模式　剩余应急票号 {st.stock_remaining} 张　"
                f"已开 {bills.get('used', '0')}/{bills.get('limit', '-')} 张　"
                f"金额 {total.get('used', '0')}/{total.get('limit', '-')} 元　待上传 {st.pending_uploads} 张"
                + (f"　⚠ {warn}" if warn else ""))

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == ev.LINK_CHANGED:
            online = bool(payload["online"])
            self.st_link.set_value("在线" if online else "应急", "ok" if online else "bad")
            self.banner.setVisible(not online)
            if not online:
                self.banner.setText("网络中断 · 应急开票模式：票据从本窗口应急号段开具，网络恢复后自动上传")
                self.refresh_status()
        elif name == ev.STOCK_CHANGED:
            self._show_stock(payload["status"])
        elif name == ev.BILL_ISSUED and not payload["record"].emergency:
            self.refresh_status()
        elif name == ev.UPLOAD_PROGRESS:
            self.upload.show()
            self.upload.setMaximum(int(payload["total"]))
            self.upload.setValue(int(payload["done"]))
        elif name == ev.CARRY_FORWARD:
            report: UploadReport = payload["result"]
            self.last_carry = report
            carried, conflicts, failed = carry_summary(report)
            text = f"应急票据结转完成：已结转 {carried} 张"
            if conflicts:
                text += f"；冲突 {len(conflicts)} 张：" + "；".join(conflicts)
            if failed:
                text += "；未完成：" + "；".join(failed)
            self.carry.setText(text)
            self.carry.setStyleSheet("color:#b71c1c;font-weight:bold" if conflicts or failed
                                     else "color:#1b5e20;font-weight:bold")
            self.carry.show()
            self.upload.hide()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.scanner)
            app.removeEventFilter(self._activity)
        self.probe_timer.stop()
        self.idle_timer.stop()
        self.tasks.wait(10000)
        self.ctx.printers.shutdown()
        self.services.cards.shutdown()
        self.bridge.close()
        super().closeEvent(event)
