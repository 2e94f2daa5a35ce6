"""纸质票据: exchange once, reprint with a reason, void paper, void blank numbers, preview.

The next paper number is fetched and shown before printing; the cashier types the number of the
form actually in the printer into 确认票号 and the exchange is refused when they differ (spec §7:
the number sent must be the number printed). The paper bill goes to the window's bill printer
(cashier_app.printers: the QPrinter driver on the CUPS queue, calibrated), or to PDF when the
window has none or 同时保存PDF is ticked — after the platform accepted the number (write before
print). A bill is found in the whole hospital (workflows.hospital_bills), not only this window's.
"""

from __future__ import annotations

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import (
    QCheckBox,
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
from workflows.hospital_bills import BillQuery, SearchResult
from workflows.records import BillRecord


class PaperPage(QWidget):
    """Paper operations on one bill found by number, busNo or payer."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rec: BillRecord | None = None
        self.next_no = ""
        self.last_pdf = ""
        self.last_printer = ""
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        root.addLayout(left, 1)

        find = QGroupBox("查找票据")
        ff = QHBoxLayout(find)
        self.search = line("票据号码 / 业务流水号 / 交款人 / 证件号 / 手机号 / 卡号（全院），回车查找", "paperSearch")
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
        self.pdf = QCheckBox("同时保存PDF")
        self.pdf.setObjectName("paperPdf")
        of.addRow(f"票据打印机：{ctx.printers.bill_label}", self.pdf)
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
        """Look the typed text up in this window's store and the hospital's (off the GUI thread)."""
        text, hospital = self.search.text().strip(), self.ctx.services.hospital
        if not text:
            self.msg.bad("请输入票据号码、业务流水号或交款人")
            return

        def found(result: SearchResult) -> None:
            if not result.records:
                self.msg.bad("未找到该票据" + (f"（全院查询失败：{result.server_error}）" if result.server_error else ""))
                return
            exact = [r for r in result.records if text in (r.bill_no, r.bus_no, r.paper_no)]
            self.load((exact or result.records)[0])

        self.ctx.tasks.run(lambda: hospital.find(BillQuery(keyword=text)), found, self._failed)

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
        confirmed, op, pdf = self.confirm.text(), self.ctx.operator, self.pdf.isChecked()
        services, printers = self.ctx.services, self.ctx.printers

        def work() -> tuple[BillRecord, tuple[str, str]]:
            done = services.paper.exchange(rec, confirmed, op)
            return done, printers.paper_out(done, pdf=pdf)

        self.ctx.tasks.run(work, self._printed, self._failed)

    def reprint(self) -> None:
        if not self.ctx.allowed("paper", self.msg.bad):
            return
        rec = self._need()
        if rec is None:
            return
        confirmed, reason, op = self.confirm.text(), self.reason.text(), self.ctx.operator
        services, printers, pdf = self.ctx.services, self.ctx.printers, self.pdf.isChecked()

        def work() -> tuple[BillRecord, tuple[str, str]]:
            done = services.paper.reprint(rec, confirmed, reason, op)
            return done, printers.paper_out(done, pdf=pdf)

        self.ctx.tasks.run(work, self._printed, self._failed)

    def _printed(self, result: tuple[BillRecord, tuple[str, str]]) -> None:
        rec, (printer, pdf) = result
        self.last_printer, self.last_pdf = printer, pdf
        self.confirm.clear()
        self.load(rec)
        where = "，".join(x for x in (f"票据打印机 {printer}" if printer else "", pdf) if x)
        self.msg.ok(f"纸质票据 {rec.paper_no} 已打印（{where}）")

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
