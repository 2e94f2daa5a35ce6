"""纸质票据: exchange once, reprint with a reason, void paper, void blank numbers, preview.

The next paper number is fetched and shown before printing; the cashier types the number of the
form actually in the printer into 确认票号 and the exchange is refused when they differ (spec §7:
the number sent must be the number printed). The paper bill is written to PDF (the bill printer
of this build), after the platform accepted the number (write before print).
"""

from __future__ import annotations

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPixmap,
    QPushButton,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
)
from workflows.records import BillRecord


class PaperPage(QWidget):
    """Paper operations on one bill found by number, busNo or payer."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rec: BillRecord | None = None
        self.next_no = ""
        self.last_pdf = ""
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        root.addLayout(left, 1)

        find = QGroupBox("查找票据")
        ff = QHBoxLayout(find)
        self.search = line("票据号码 / 业务流水号 / 交款人，回车查找", "paperSearch")
        self.search.returnPressed.connect(self.find)
        ff.addWidget(self.search)
        left.addWidget(find)
        self.info = QLabel("—")
        self.info.setObjectName("paperBillInfo")
        self.info.setWordWrap(True)
        left.addWidget(self.info)

        op = QGroupBox("换开 / 重打 / 作废")
        of = QFormLayout(op)
        self.next_label = QLabel("—")
        self.next_label.setObjectName("nextPaperNo")
        self.confirm = line("请核对打印机中票据的号码后输入", "confirmPaperNo")
        self.reason = line("重打、作废时必填", "paperReason")
        of.addRow("下一张纸质票号", self.next_label)
        of.addRow("确认票号", self.confirm)
        of.addRow("原因", self.reason)
        row = QHBoxLayout()
        self.preview_btn = QPushButton("预览")
        self.exchange_btn = QPushButton("换开打印")
        self.exchange_btn.setObjectName("exchangeButton")
        self.reprint_btn = QPushButton("重打（新号码）")
        self.void_btn = QPushButton("作废纸质票据")
        for b in (self.preview_btn, self.exchange_btn, self.reprint_btn, self.void_btn):
            row.addWidget(b)
        of.addRow(row)
        left.addWidget(op)

        blank = QGroupBox("作废空白票据")
        bf = QFormLayout(blank)
        self.blank_start = line("起始号码", "blankStart")
        self.blank_end = line("终止号码", "blankEnd")
        self.blank_reason = line("原因", "blankReason")
        self.blank_btn = QPushButton("作废空白号段")
        bf.addRow("起始号码", self.blank_start)
        bf.addRow("终止号码", self.blank_end)
        bf.addRow("原因", self.blank_reason)
        bf.addRow(self.blank_btn)
        left.addWidget(blank)
        self.msg = MessageLine("paperResult")
        left.addWidget(self.msg)
        left.addStretch(1)

        pv = QGroupBox("预览（241×93mm）")
        pl = QVBoxLayout(pv)
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area = QScrollArea()
        self.area.setWidget(self.preview)
        self.area.setWidgetResizable(True)
        pl.addWidget(self.area)
        root.addWidget(pv, 1)

        self.preview_btn.clicked.connect(self.show_preview)
        self.exchange_btn.clicked.connect(self.exchange)
        self.reprint_btn.clicked.connect(self.reprint)
        self.void_btn.clicked.connect(self.void)
        self.blank_btn.clicked.connect(self.void_blank)
        self.confirm.returnPressed.connect(self.exchange)

    # --- selection -----------------------------------------------------------------------
    def find(self) -> None:
        """Look the typed number up in the terminal store (off the GUI thread)."""
        text, bills = self.search.text(), self.ctx.services.bills

        def found(hits: list[BillRecord]) -> None:
            if not hits:
                self.msg.bad("未找到该票据")
                return
            self.load(hits[-1])

        self.ctx.tasks.run(lambda: bills.find(text=text), found)

    def load(self, rec: BillRecord) -> None:
        """Show ``rec`` and fetch the next paper number (off the GUI thread)."""
        self.rec = rec
        self.search.setText(rec.bill_no)
        paper = f"已换开：{rec.paper_batch_code} {rec.paper_no}" if rec.paper_no else "未换开"
        self.info.setText(f"票据 {rec.bill_batch_code} {rec.bill_no}　交款人 {rec.payer}　金额 {rec.total}　"
                          f"状态 {rec.state_label}　{paper}")
        self.refresh_next()
        self.confirm.setFocus()

    def refresh_next(self) -> None:
        def shown(ans: tuple[str, str]) -> None:
            self.next_no = ans[1]
            self.next_label.setText(f"{ans[0]}  {ans[1]}")

        self.ctx.tasks.run(self.ctx.services.paper.next_number, shown)

    def _need(self) -> BillRecord | None:
        if self.rec is None:
            self.msg.bad("请先查找票据")
        return self.rec

    # --- actions -------------------------------------------------------------------------
    def show_preview(self) -> None:
        rec = self._need()
        if rec is None:
            return
        number = rec.paper_no or self.confirm.text().strip() or self.next_no
        batch = rec.paper_batch_code or self.ctx.services.paper.paper_batch_code
        # Fit the 241 mm form to the pane's width; render at the screen's pixel ratio (200 %) for sharp text.
        ratio = self.devicePixelRatioF()
        dpi = max(40, int((self.area.viewport().width() - 8) / (241 / 25.4)))
        pix = QPixmap.fromImage(self.ctx.printers.paper_preview(rec, number, batch, int(dpi * ratio)))
        pix.setDevicePixelRatio(ratio)
        self.preview.setPixmap(pix)

    def exchange(self) -> None:
        if not self.ctx.allowed("paper", self.msg.bad):
            return
        rec = self._need()
        if rec is None:
            return
        confirmed, op = self.confirm.text(), self.ctx.operator
        services, printers = self.ctx.services, self.ctx.printers

        def work() -> tuple[BillRecord, str]:
            done = services.paper.exchange(rec, confirmed, op)
            return done, str(printers.paper_pdf(done))

        self.ctx.tasks.run(work, self._printed, self._failed)

    def reprint(self) -> None:
        if not self.ctx.allowed("paper", self.msg.bad):
            return
        rec = self._need()
        if rec is None:
            return
        confirmed, reason, op = self.confirm.text(), self.reason.text(), self.ctx.operator
        services, printers = self.ctx.services, self.ctx.printers

        def work() -> tuple[BillRecord, str]:
            done = services.paper.reprint(rec, confirmed, reason, op)
            return done, str(printers.paper_pdf(done))

        self.ctx.tasks.run(work, self._printed, self._failed)

    def _printed(self, result: tuple[BillRecord, str]) -> None:
        rec, pdf = result
        self.last_pdf = pdf
        self.confirm.clear()
        self.load(rec)
        self.msg.ok(f"纸质票据 {rec.paper_no} 已打印（{pdf}）")

    def void(self) -> None:
        if not self.ctx.allowed("void_paper", self.msg.bad):
            return
        rec = self._need()
        if rec is None:
            return
        reason, op = self.reason.text(), self.ctx.operator
        self.ctx.tasks.run(lambda: self.ctx.services.paper.void_paper(rec, reason, op),
                           lambda r: (self.load(r), self.msg.ok(f"纸质票据已作废，电子票据已冲红：红票{r.red_bill_no}")),
                           self._failed)

    def void_blank(self) -> None:
        if not self.ctx.allowed("void_blank", self.msg.bad):
            return
        start, end, reason, op = self.blank_start.text(), self.blank_end.text(), self.blank_reason.text(), \
            self.ctx.operator
        self.ctx.tasks.run(lambda: self.ctx.services.paper.void_blank(start, end, reason, op),
                           lambda n: (self.msg.ok(f"已作废空白票据{n}张"), self.refresh_next()), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", "操作失败"))
        self.ctx.errors.show(exc)
        if self.rec is not None:
            self.refresh_next()
