"""病区一览: the ward list with deposit balances (arrears red, low balance yellow), arrears
collection by QR shown on screen (主扫) or the patient's payment code (被扫), the daily list of the
selected patient (view, print to PDF) and the reversal of a collection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from cashier_app.pages.common import MessageLine, line
from cashier_app.pages.ward_common import QrLabel, WardContext, fill, table
from qt_common.qt import QDate, QDateEdit, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from workflows.kiosk.models import FlowResult, PayChoice
from workflows.ward.board import ARREARS, LOW, WardRow
from workflows.ward.desk import ReversalResult

HEADERS = ["床号", "姓名", "住院号", "科室", "入院日期", "已交押金", "费用累计", "押金余额", "最低押金", "状态"]
COLOURS = {ARREARS: "#ffcdd2", LOW: "#fff9c4"}
DAILY = ["项目名称", "规格", "单位", "单价", "数量", "金额"]


class WardBoardPage(QWidget):
    """The ward list and what the nurse does for the selected patient."""

    def __init__(self, ctx: WardContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[WardRow] = []
        self.last: FlowResult | None = None
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("wardSummary")
        refresh = QPushButton("刷新")
        refresh.setObjectName("wardRefresh")
        refresh.clicked.connect(self.refresh)
        top.addWidget(QLabel(f"病区：{ctx.ward.settings.ward}"))
        top.addWidget(self.summary, 1)
        top.addWidget(refresh)
        root.addLayout(top)
        self.table = table(HEADERS, "wardTable")
        self.table.itemSelectionChanged.connect(self._selected)
        root.addWidget(self.table, 2)

        pay = QGroupBox("欠费补缴")
        pl = QHBoxLayout(pay)
        form = QVBoxLayout()
        self.patient = QLabel("请在上表选择患者")
        self.patient.setObjectName("wardPatient")
        self.amount = line("补缴金额（元）", "wardAmount")
        self.code = line("扫描患者付款码（被扫）", "wardAuthCode")
        self.code.returnPressed.connect(self.pay_code)
        qr = QPushButton("出示收款码（主扫）")
        qr.setObjectName("wardPayQr")
        qr.clicked.connect(self.pay_qr)
        code = QPushButton("付款码收款（被扫）")
        code.setObjectName("wardPayCode")
        code.clicked.connect(self.pay_code)
        cancel = QPushButton("取消收款")
        cancel.clicked.connect(ctx.ward.desk.cancel_payment)
        self.message = MessageLine("wardMessage")
        self.reason = line("撤销原因", "wardReverseReason")
        rev = QPushButton("撤销上一笔补缴")
        rev.setObjectName("wardReverse")
        rev.clicked.connect(self.reverse)
        for w in (self.patient, self.amount, self.code, qr, code, cancel, self.message, self.reason, rev):
            form.addWidget(w)
        form.addStretch(1)
        pl.addLayout(form, 1)
        self.qr = QrLabel(220)
        self.qr.setObjectName("wardQr")
        pl.addWidget(self.qr)

        daily = QGroupBox("日清单")
        dl = QVBoxLayout(daily)
        dtop = QHBoxLayout()
        today = ctx.ward.terminal.clock.now().date()
        self.day = QDateEdit(QDate(today.year, today.month, today.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        show = QPushButton("查看日清单")
        show.setObjectName("wardDailyShow")
        show.clicked.connect(self.show_daily)
        prn = QPushButton("打印日清单")
        prn.setObjectName("wardDailyPrint")
        prn.clicked.connect(lambda: self.print_daily(None))
        for dw in (QLabel("日期"), self.day, show, prn):
            dtop.addWidget(dw)
        dtop.addStretch(1)
        dl.addLayout(dtop)
        self.daily = table(DAILY, "wardDailyTable")
        dl.addWidget(self.daily)
        self.daily_total = QLabel()
        self.daily_total.setObjectName("wardDailyTotal")
        dl.addWidget(self.daily_total)
        bottom = QHBoxLayout()
        bottom.addWidget(pay, 1)
        bottom.addWidget(daily, 1)
        root.addLayout(bottom, 3)
        ctx.bridge.event.connect(self._on_event)

    # --- list -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the ward list off the GUI thread."""
        self.ctx.tasks.run(self.ctx.ward.desk.board, self._show)

    def _show(self, rows: list[WardRow]) -> None:
        keep = self.selected.admission_no if self.selected else ""
        self.rows = rows
        fill(self.table, [[r.bed, r.name, r.admission_no, r.dept_name, r.admitted_on.isoformat(), f"{r.deposit:.2f}",
                           f"{r.fees:.2f}", f"{r.balance:.2f}", f"{r.minimum:.2f}", r.status_text] for r in rows],
             [COLOURS.get(r.status) for r in rows])
        owing = [r for r in rows if r.status == ARREARS]
        self.summary.setText(f"在院{len(rows)}人，欠费{len(owing)}人，欠费合计"
                             f"{sum((r.arrears for r in owing), Decimal('0.00')):.2f}元，"
                             f"余额不足{sum(1 for r in rows if r.status == LOW)}人")
        for i, r in enumerate(rows):
            if r.admission_no == keep:
                self.table.selectRow(i)

    @property
    def selected(self) -> WardRow | None:
        """The patient picked in the list."""
        i = self.table.currentRow()
        return self.rows[i] if 0 <= i < len(self.rows) and self.table.selectedItems() else None

    def select(self, admission_no: str) -> None:
        """Select a patient by admission number (tests, deep links)."""
        for i, r in enumerate(self.rows):
            if r.admission_no == admission_no:
                self.table.selectRow(i)

    def _selected(self) -> None:
        r = self.selected
        if r is None:
            return
        self.patient.setText(f"{r.bed} {r.name} 住院号{r.admission_no} 余额{r.balance:.2f}元（{r.status_text}）")
        self.amount.setText(f"{r.suggested:.2f}" if r.suggested > 0 else "")
        self.qr.show_text("")

    # --- collection --------------------------------------------------------------------------

    def _amount(self) -> Decimal | None:
        try:
            value = Decimal(self.amount.text().strip())
        except InvalidOperation:
            self.message.bad("补缴金额：请输入金额，如 500.00")
            return None
        return value

    def _collect(self, pay: PayChoice) -> None:
        r, amount = self.selected, self._amount()
        if r is None:
            self.message.bad("请先在病区一览中选择患者")
            return
        if amount is None:
            return
        self.message.info("正在收款…")
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.collect(r, amount, pay), self._paid, self._failed)

    def pay_qr(self) -> None:
        """主扫: show the payment QR code, wait for the patient to pay."""
        self._collect(PayChoice.qr())

    def pay_code(self) -> None:
        """被扫: charge the payment code the scanner read."""
        code = self.code.text().strip()
        if not code:
            self.message.bad("付款码：请扫描患者的付款码")
            return
        self.code.clear()
        self._collect(PayChoice.code(code))

    def _paid(self, result: FlowResult) -> None:
        self.last = result
        self.qr.show_text("")
        if result.ok:
            self.message.ok(f"补缴成功 {result.amount:.2f}元，押金余额已更新（订单{result.order_no}）"
                            + ("；" + "；".join(result.notes) if result.notes else ""))
        else:
            self.message.bad(f"{result.message}（订单{result.order_no}）")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.qr.show_text("")
        self.message.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "pay_waiting_scan":
            self.qr.show_text(str(payload.get("code_url", "")))
            self.message.info(f"请患者用微信或支付宝扫码支付 {int(payload.get('amount_fen', 0)) / 100:.2f}元")
        elif name == "pay_waiting_confirm":
            self.message.info("请患者在手机上确认支付…")

    def reverse(self) -> None:
        """Reverse the last collection (the HIS takes the deposit back, money back on its channel)."""
        if self.last is None or not self.last.ok:
            self.message.bad("没有可撤销的补缴")
            return
        no, reason = self.last.order_no, self.reason.text()
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.reverse(no, reason), self._reversed, self._failed)

    def _reversed(self, r: ReversalResult) -> None:
        if r.done:
            self.message.ok(r.message)
        else:
            self.message.bad(r.message)
        self.refresh()

    # --- daily list --------------------------------------------------------------------------

    def _day(self) -> date:
        d = self.day.date()
        return date(d.year(), d.month(), d.day())

    def show_daily(self) -> None:
        """The selected patient's daily list of the chosen day."""
        r = self.selected
        if r is None:
            self.message.bad("请先在病区一览中选择患者")
            return
        day = self._day()
        self.ctx.tasks.run(lambda: self.ctx.ward.desk.daily_list(r.admission_no, day), self._show_daily,
                           self._failed)

    def _show_daily(self, dl: Any) -> None:
        fill(self.daily, [[x.name, x.spec, x.unit, f"{x.price:.2f}", str(x.qty), f"{x.amount:.2f}"] for x in dl.lines])
        self.daily_total.setText(f"当日合计 {dl.total:.2f}元，累计 {dl.cumulative:.2f}元，已交押金 {dl.deposit:.2f}元")

    def print_daily(self, path: Path | None) -> None:
        """Print the daily list (a PDF next to the station's data when no printer is set up)."""
        r = self.selected
        if r is None:
            self.message.bad("请先在病区一览中选择患者")
            return
        day = self._day()
        target = path or self.ctx.ward.terminal.config.data_dir / "prints" / f"日清单_{r.admission_no}_{day}.pdf"

        def job() -> Path:
            from print_templates.render_qt import write_pdf

            target.parent.mkdir(parents=True, exist_ok=True)
            return write_pdf(self.ctx.ward.reports.daily_list_job(r.patient_id, day), target)

        self.ctx.tasks.run(job, lambda p: self.message.ok(f"日清单已输出：{p}"), self._failed)
