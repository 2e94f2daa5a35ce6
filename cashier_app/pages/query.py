"""查询 and 交付管理: bills by date / patient / number with status and notice delivery status.

查询 lists the window's own bills from its record; 全院查询 finds any bill of the hospital through
the server (workflows.hospital_bills: busNo, bill or paper number, payer, ID number, phone, card
number — issue 18 §1), merged with the window's own. On a selected bill: 打印告知单 (receipt
printer), 换开/重打纸质 (the paper page), 冲红 (the write-off page) — the same actions and rules as
for the window's own bills. 刷新平台状态 asks the platform for the selected bill's live state
(getEBillStatesByBillInfo) off the GUI thread, catching paper exchanged at a kiosk.
"""

from __future__ import annotations

from dataclasses import replace

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from qt_common.qt import QDate, QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget, Signal
from qt_common.widgets.bill_table import BillTable
from workflows.cashier.entry import KINDS
from workflows.delivery import send_notice
from workflows.documents import notice_job
from workflows.hospital_bills import BillQuery, SearchResult
from workflows.records import BillRecord

HEADERS = ["开票时间", "类型", "票据代码", "票据号码", "交款人", "患者编号", "金额", "状态", "交付状态", "纸质票号", "收费员",
           "开票点"]
#: 全院查询's criterion: (BillQuery field, label); "keyword" matches every field
FIELDS = [("keyword", "全部字段"), ("bus_no", "业务流水号"), ("bill_no", "票据号码"), ("payer", "交款人"),
          ("id_card_no", "身份证号"), ("tel", "手机号"), ("card_no", "卡号")]


def _today(ctx: PageContext) -> QDate:
    """Today in China Standard Time, the zone of the bills' dates (billing_core.clock)."""
    d = ctx.services.clock.now().date()
    return QDate(d.year, d.month, d.day)


class QueryPage(QWidget):
    """Search the window's bills, or the hospital's."""

    #: the cashier wants the selected bill on the paper page / the write-off page
    paperRequested = Signal(object)  # noqa: N815 (Qt signal name)
    writeoffRequested = Signal(object)  # noqa: N815 (Qt signal name)

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
        self.field = combo(FIELDS, "queryField")
        wide = QPushButton("全院查询")
        wide.setObjectName("hospitalQueryButton")
        wide.clicked.connect(self.run_hospital)
        self.target = line("手机号或邮箱（空=票据上的手机号）", "noticeTarget")
        push = QPushButton("推送告知单")
        push.setObjectName("pushButton")
        push.clicked.connect(self.push_notice)
        for w in (QLabel("开票日期"), self.day_from, QLabel("至"), self.day_to, self.field, self.text, go, wide,
                  state):
            top.addWidget(w)
        top.setStretchFactor(self.text, 1)
        root.addLayout(top)
        deliver = QHBoxLayout()
        notice = QPushButton("打印告知单")
        notice.setObjectName("noticeButton")
        notice.clicked.connect(self.print_notice)
        to_paper = QPushButton("换开/重打纸质票据")
        to_paper.setObjectName("toPaperButton")
        to_paper.clicked.connect(lambda: self._hand_over(self.paperRequested))
        to_writeoff = QPushButton("冲红")
        to_writeoff.setObjectName("toWriteoffButton")
        to_writeoff.clicked.connect(lambda: self._hand_over(self.writeoffRequested))
        for w in (QLabel("交付管理"), self.target, push, notice, to_paper, to_writeoff):
            deliver.addWidget(w)
        deliver.setStretchFactor(self.target, 1)
        root.addLayout(deliver)
        self.table = BillTable(HEADERS, stretch=4)
        self.table.setObjectName("queryTable")
        root.addWidget(self.table, 1)
        self.msg = MessageLine("queryResult")
        bottom = QHBoxLayout()
        bottom.addWidget(self.msg, 1)
        self.prev_btn, self.next_btn = QPushButton("上一页"), QPushButton("下一页")
        self.prev_btn.setObjectName("prevPage")
        self.next_btn.setObjectName("nextPage")
        self.prev_btn.clicked.connect(lambda: self._turn(-1))
        self.next_btn.clicked.connect(lambda: self._turn(1))
        for b in (self.prev_btn, self.next_btn):
            b.setEnabled(False)
            bottom.addWidget(b)
        root.addLayout(bottom)
        self._query: BillQuery | None = None  # the hospital search shown (for paging)
        self._pages = 0

    def run(self) -> None:
        """Query the terminal store (off the GUI thread) and show the rows."""
        if not self.ctx.allowed("query", self.msg.bad):
            return
        bills, day_from, day_to = self.ctx.services.bills, self.day_from.date().toPython(), self.day_to.date().toPython()
        text = self.text.text()
        self.prev_btn.setEnabled(False)  # the window's own list has no pages
        self.next_btn.setEnabled(False)
        self.ctx.tasks.run(lambda: bills.find(day_from=day_from, day_to=day_to, text=text), self._show)

    def run_hospital(self) -> None:
        """全院查询: the typed text by the chosen criterion, through the server (off the GUI thread)."""
        if not self.ctx.allowed("query", self.msg.bad):
            return
        text, field = self.text.text().strip(), str(self.field.currentData())
        if not text:
            self.msg.bad("请输入查询内容（业务流水号、票据号码、交款人、身份证号、手机号或卡号）")
            return
        self._search(BillQuery(**{field: text}))

    def _search(self, query: BillQuery) -> None:
        hospital = self.ctx.services.hospital
        self._query = query
        self.ctx.tasks.run(lambda: hospital.find(query), self._show_hospital, self.ctx.errors.show)

    def _turn(self, step: int) -> None:
        """Another page of the hospital search shown."""
        q = self._query
        if q is not None and 1 <= q.page_no + step <= self._pages:
            self._search(replace(q, page_no=q.page_no + step))

    def _show_hospital(self, result: SearchResult) -> None:
        self._show(result.records)
        self._pages = result.page_count
        self.prev_btn.setEnabled(result.page_no > 1)
        self.next_btn.setEnabled(result.page_no < result.page_count)
        mine = sum(1 for r in result.records if r.source == "local")
        if result.server_error:
            self.msg.bad(f"全院查询失败（{result.server_error}），仅显示本窗口票据{len(result.records)}张")
        else:
            self.msg.info(f"全院共{result.total}张（本窗口{mine}张），第{result.page_no}/{max(result.page_count, 1)}页")

    def selected(self) -> BillRecord | None:
        """The selected row's bill, or None (with a hint)."""
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.msg.bad("请先选中一张票据")
            return None
        return self.rows[row]

    def _hand_over(self, signal: Signal) -> None:
        rec = self.selected()
        if rec is not None:
            signal.emit(rec)  # type: ignore[attr-defined]

    def print_notice(self) -> None:
        """Print the selected bill's notice (or its red notice) on the receipt printer."""
        rec = self.selected()
        if rec is None or not self.ctx.allowed("query", self.msg.bad):
            return
        s, printers = self.ctx.services, self.ctx.printers
        place = rec.place_name or (s.window.place_name if rec.place_code == s.window.place_code else "")

        def work() -> BillRecord:
            printers.print_job(notice_job(rec, s.window.hospital, red=rec.state == "red", place_name=place))
            if rec.source == "local":
                rec.notice_printed = True
                s.bills.put(rec)
            return rec

        self.ctx.tasks.run(work, lambda r: self.msg.ok(f"{r.bill_no}：告知单已打印"), self.ctx.errors.show)

    def _show(self, rows: list[BillRecord]) -> None:
        self.rows = rows
        self.table.set_rows([[f"{r.create_time[:4]}-{r.create_time[4:6]}-{r.create_time[6:8]} "
                              f"{r.create_time[8:10]}:{r.create_time[10:12]}",
                              KINDS[r.kind].label if r.kind in KINDS else r.kind, r.bill_batch_code, r.bill_no,
                              r.payer, r.patient_no, r.total, r.state_label, r.delivery_label, r.paper_no or "—",
                              r.payee, r.place_name or r.place_code] for r in self.rows])
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
