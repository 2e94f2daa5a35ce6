"""冲红: single and batch write-off with a reason; paper first; the red notice printed.

Tick one or more bills (or search), give the reason and press 冲红. A bill with paper is refused
(E5841) unless 先作废纸质票据 is ticked, in which case the paper is voided first, which red-flushes
the e-bill in the same call. Each red bill's notice (红字告知单) is printed on the receipt printer.
A typed number, busNo or payer is searched in the whole hospital (workflows.hospital_bills): a bill
HIS issued is written off here under the same rules (the server checks the role).
"""

from __future__ import annotations

from datetime import date

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import QCheckBox, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.documents import notice_job
from workflows.hospital_bills import BillQuery
from workflows.records import STATE_RED, BillRecord
from workflows.writeoff import QUEUED_TEXT, BatchResult


class WriteOffPage(QWidget):
    """Today's bills of this window with checkboxes, and the write-off actions."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[BillRecord] = []
        self._tick = ""  # a bill number handed over by the query page: ticked once the list shows it
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = line("票据号码 / 交款人 / 业务流水号，全院查找（空=本窗口今日全部）", "writeoffSearch")
        self.search.returnPressed.connect(self.refresh)
        refresh = QPushButton("查询")
        refresh.clicked.connect(self.refresh)
        top.addWidget(self.search, 1)
        top.addWidget(refresh)
        root.addLayout(top)
        self.table = BillTable(["选择", "开票时间", "票据代码", "票据号码", "交款人", "金额", "状态", "纸质票号"],
                               stretch=4, checkable=True)
        self.table.setObjectName("writeoffTable")
        root.addWidget(self.table, 1)
        form = QHBoxLayout()
        self.reason = line("冲红原因（必填）", "writeoffReason")
        self.paper_first = QCheckBox("已换开纸质的先作废纸质票据")
        self.paper_first.setObjectName("paperFirst")
        self.go = QPushButton("冲红选中票据")
        self.go.setObjectName("writeoffButton")
        self.go.clicked.connect(self.write_off)
        form.addWidget(self.reason, 1)
        form.addWidget(self.paper_first)
        form.addWidget(self.go)
        root.addLayout(form)
        self.msg = MessageLine("writeoffResult")
        root.addWidget(self.msg)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumHeight(110)
        root.addWidget(self.log)

    def refresh(self) -> None:
        """Today's bills (or the typed number's) that are not red yet, read off the GUI thread."""
        text, services, today = self.search.text().strip(), self.ctx.services, self._today()

        def work() -> list[BillRecord]:
            if text:
                return services.hospital.find(BillQuery(keyword=text)).records
            return services.bills.find(day_from=today, day_to=today)

        self.ctx.tasks.run(work, self._show, self._failed)

    def open_bill(self, rec: BillRecord) -> None:
        """Show ``rec`` (handed over by the query page) ticked; the page's refresh finds it again."""
        self.search.setText(rec.bill_no)
        self._tick = rec.bill_no

    def _show(self, recs: list[BillRecord]) -> None:
        self.rows = [r for r in recs if r.state != STATE_RED]
        self.table.set_rows([["", r.create_time[8:10] + ":" + r.create_time[10:12], r.bill_batch_code, r.bill_no,
                              r.payer, r.total, r.state_label, r.paper_no or "—"] for r in self.rows])
        if self._tick:
            self.select(self._tick)
            self._tick = ""

    def _today(self) -> date:
        # Bill dates are China Standard Time (billing_core.clock), not the machine's zone.
        return self.ctx.services.clock.now().date()

    def select(self, bill_no: str) -> None:
        """Tick the row of ``bill_no`` (keyboard: Space on the row does the same)."""
        for n, r in enumerate(self.rows):
            if r.bill_no == bill_no:
                from qt_common.qt import Qt

                self.table.item(n, 0).setCheckState(Qt.CheckState.Checked)

    def write_off(self) -> None:
        if not self.ctx.allowed("write_off", self.msg.bad):
            return
        chosen = [self.rows[i] for i in self.table.checked_rows()]
        if not chosen and 0 <= self.table.currentRow() < len(self.rows):
            chosen = [self.rows[self.table.currentRow()]]
        if not chosen:
            self.msg.bad("请勾选要冲红的票据")
            return
        reason, op, paper_first = self.reason.text(), self.ctx.operator, self.paper_first.isChecked()
        services, printers, hospital = self.ctx.services, self.ctx.printers, self.ctx.services.window.hospital
        place = services.window.place_name

        def work() -> BatchResult:
            result = services.writeoff.write_off_batch(chosen, reason, op, void_paper_first=paper_first)
            for rec in result.done:
                if printers.receipt is not None:
                    printers.print_job(notice_job(rec, hospital, red=True, place_name=place))
            return result

        self.go.setEnabled(False)
        self.ctx.tasks.run(work, self._done, self._failed)

    def _done(self, result: BatchResult) -> None:
        self.go.setEnabled(True)
        for rec in result.done:
            self.log.appendPlainText(f"已冲红 {rec.bill_no} → 红票 {rec.red_batch_code} {rec.red_bill_no}")
        for rec in result.queued:
            self.log.appendPlainText(f"应急票据 {rec.bill_no}：{QUEUED_TEXT}")
        for no, msg in result.failed:
            self.log.appendPlainText(f"未冲红 {no}：{msg}")
        queued = f"，{len(result.queued)}张应急票据冲红已排队" if result.queued else ""
        if result.failed:
            self.msg.bad(f"冲红{len(result.done)}张{queued}，{len(result.failed)}张未冲红（见下方原因）")
        elif result.done:
            self.msg.ok(f"已冲红{len(result.done)}张，红字告知单已打印{queued}")
        else:
            self.msg.ok(f"{len(result.queued)}张应急票据{QUEUED_TEXT}")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.go.setEnabled(True)
        self.msg.bad(getattr(exc, "message", "冲红失败"))
        self.ctx.errors.show(exc)
