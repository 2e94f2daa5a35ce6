"""查询 and 交付管理: bills by date / patient / number with status and notice delivery status.

The list comes from the window's record; 刷新平台状态 asks the platform for the selected bill's
live state (getEBillStatesByBillInfo) off the GUI thread, catching paper exchanged at a kiosk.
"""

from __future__ import annotations

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import QDate, QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier.entry import KINDS
from workflows.delivery import send_notice
from workflows.records import BillRecord

HEADERS = ["开票时间", "类型", "票据代码", "票据号码", "交款人", "患者编号", "金额", "状态", "交付状态", "纸质票号", "收费员"]


def _today(ctx: PageContext) -> QDate:
    """Today in China Standard Time, the zone of the bills' dates (billing_core.clock)."""
    d = ctx.services.clock.now().date()
    return QDate(d.year, d.month, d.day)


class QueryPage(QWidget):
    """Search the window's bills."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[BillRecord] = []
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.day_from = QDateEdit(_today(ctx))
        self.day_to = QDateEdit(_today(ctx))
        for d in (self.day_from, self.day_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.text = line("交款人 / 患者编号 / 卡号 / 票据号码 / 业务流水号", "queryText")
        self.text.returnPressed.connect(self.run)
        go = QPushButton("查询")
        go.setObjectName("queryButton")
        go.clicked.connect(self.run)
        state = QPushButton("刷新平台状态")
        state.clicked.connect(self.platform_state)
        self.target = line("手机号或邮箱（空=票据上的手机号）", "noticeTarget")
        push = QPushButton("推送告知单")
        push.setObjectName("pushButton")
        push.clicked.connect(self.push_notice)
        for w in (QLabel("开票日期"), self.day_from, QLabel("至"), self.day_to, self.text, go, state):
            top.addWidget(w)
        top.setStretchFactor(self.text, 1)
        root.addLayout(top)
        deliver = QHBoxLayout()
        for w in (QLabel("交付管理"), self.target, push):
            deliver.addWidget(w)
        deliver.setStretchFactor(self.target, 1)
        root.addLayout(deliver)
        self.table = BillTable(HEADERS, stretch=4)
        self.table.setObjectName("queryTable")
        root.addWidget(self.table, 1)
        self.msg = MessageLine("queryResult")
        root.addWidget(self.msg)

    def run(self) -> None:
        """Query the terminal store (off the GUI thread) and show the rows."""
        if not self.ctx.allowed("query", self.msg.bad):
            return
        bills, day_from, day_to = self.ctx.services.bills, self.day_from.date().toPython(), self.day_to.date().toPython()
        text = self.text.text()
        self.ctx.tasks.run(lambda: bills.find(day_from=day_from, day_to=day_to, text=text), self._show)

    def _show(self, rows: list[BillRecord]) -> None:
        self.rows = rows
        self.table.set_rows([[f"{r.create_time[:4]}-{r.create_time[4:6]}-{r.create_time[6:8]} "
                              f"{r.create_time[8:10]}:{r.create_time[10:12]}",
                              KINDS[r.kind].label if r.kind in KINDS else r.kind, r.bill_batch_code, r.bill_no,
                              r.payer, r.patient_no, r.total, r.state_label, r.delivery_label, r.paper_no or "—",
                              r.payee] for r in self.rows])
        self.msg.info(f"共{len(self.rows)}张")

    def push_notice(self) -> None:
        """Push the selected bill's notice by SMS / e-mail (sendBillNotice)."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.msg.bad("请先选中一张票据")
            return
        rec, target, s = self.rows[row], self.target.text(), self.ctx.services
        self.ctx.tasks.run(lambda: send_notice(s.api, s.bills, s.events, rec, target),
                           lambda r: (self.run(), self.msg.ok(f"{r.bill_no}：{r.delivery_label}")),
                           self.ctx.errors.show)

    def platform_state(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.msg.bad("请先选中一张票据")
            return
        rec, s = self.rows[row], self.ctx.services

        def work() -> BillRecord:
            r = s.writeoff.refresh_paper_state(rec)
            s.bills.put(r)
            return r

        self.ctx.tasks.run(work, lambda r: (self.run(), self.msg.ok(f"{r.bill_no}：{r.state_label}")),
                           self.ctx.errors.show)
