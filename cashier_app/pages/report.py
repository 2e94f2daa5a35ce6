"""日结: the day's 收费员汇总表 and 缴款渠道汇总表 with the detail list; print and export.

Export paths are typed (or chosen with 浏览…) rather than asked in a blocking dialog, so the page
works the same with the keyboard, in tests and at 200 % scaling.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from billing_core.money import wire
from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from qt_common.qt import QDate, QDateEdit, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier.entry import KINDS
from workflows.cashier.report import DailyReport, daily_report, export_csv, export_xlsx, report_job


def _today(ctx: PageContext) -> QDate:
    """Today in China Standard Time, the zone of the bills' dates (billing_core.clock)."""
    d = ctx.services.clock.now().date()
    return QDate(d.year, d.month, d.day)


class ReportPage(QWidget):
    """The daily report of this window."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.report: DailyReport | None = None
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.day = QDateEdit(_today(ctx))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.who = combo([("", "全部收费员"), ("me", "仅本人")], "reportWho")
        go = QPushButton("生成日结")
        go.setObjectName("reportButton")
        go.clicked.connect(self.build)
        self.print_btn = QPushButton("打印")
        self.print_btn.clicked.connect(self.print_report)
        for w in (QLabel("日期"), self.day, self.who, go, self.print_btn):
            top.addWidget(w)
        top.addStretch(1)
        root.addLayout(top)
        tables = QHBoxLayout()
        self.cashiers = BillTable(["收费员", "开票张数", "开票金额", "冲红张数", "冲红金额", "实收金额"], stretch=0)
        self.cashiers.setObjectName("cashierSummary")
        self.channels = BillTable(["渠道编码", "交费渠道", "实收金额"], stretch=1)
        self.channels.setObjectName("channelSummary")
        tables.addWidget(self.cashiers, 3)
        tables.addWidget(self.channels, 2)
        root.addLayout(tables, 1)
        self.details = BillTable(["时间", "类型", "票据代码", "票据号码", "交款人", "金额", "状态", "收费员"], stretch=4)
        root.addWidget(self.details, 1)
        exp = QHBoxLayout()
        self.path = line("导出文件路径（.csv 或 .xlsx）", "exportPath")
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        self.export_btn = QPushButton("导出")
        self.export_btn.setObjectName("exportButton")
        self.export_btn.clicked.connect(self.export)
        for w in (QLabel("导出到"), self.path, browse, self.export_btn):
            exp.addWidget(w)
        exp.setStretchFactor(self.path, 1)
        root.addLayout(exp)
        self.msg = MessageLine("reportResult")
        root.addWidget(self.msg)

    def build(self) -> None:
        user = self.ctx.services.login.user
        if user is not None and not user.has("finance", "admin") and self.who.currentData() != "me":
            # A cashier sees their own 日结; the finance office sees every cashier (收费员汇总表).
            self.who.setCurrentIndex(self.who.findData("me"))
        # Read from the terminal store off the GUI thread.
        self.ctx.tasks.run(self._reader(), self._show)

    def _reader(self) -> Callable[[], DailyReport]:
        """The report of the chosen day and cashier, as a call for a worker thread."""
        payee = self.ctx.operator if self.who.currentData() == "me" else ""
        s, day = self.ctx.services, self.day.date().toPython()
        return lambda: daily_report(s.bills, day, s.catalog, s.window.place_code, payee)

    def _show(self, rep: DailyReport) -> None:
        self.report = rep
        self.cashiers.set_rows([[c.payee, str(c.count), wire(c.amount), str(c.red_count), wire(c.red_amount),
                                 wire(c.net)] for c in rep.cashiers])
        self.channels.set_rows([[c, n, wire(a)] for c, n, a in rep.channels])
        self.details.set_rows([[r.create_time[8:10] + ":" + r.create_time[10:12], KINDS[r.kind].label if r.kind in KINDS else r.kind,
                                r.bill_batch_code,
                                r.bill_no, r.payer, r.total, r.state_label, r.payee] for r in rep.details])
        self.msg.info(f"{rep.day.isoformat()} 实收合计 {wire(rep.total_net)} 元")

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "导出日结报表", self.path.text(), "Excel (*.xlsx);;CSV (*.csv)")
        if name:
            self.path.setText(name)

    def export(self) -> None:
        if not self.ctx.allowed("report", self.msg.bad):
            return
        rep, path = self.report, Path(self.path.text().strip())
        read = self._reader()
        if not path.name:
            self.msg.bad("请填写导出文件路径")
            return
        writer = export_csv if path.suffix.lower() == ".csv" else export_xlsx
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".xlsx")
        self.ctx.tasks.run(lambda: writer(rep or read(), path), lambda p: self.msg.ok(f"已导出：{p}"),
                           self.ctx.errors.show)

    def print_report(self) -> None:
        if not self.ctx.allowed("report", self.msg.bad):
            return
        rep, read, printers = self.report, self._reader(), self.ctx.printers
        self.ctx.tasks.run(lambda: printers.print_job(report_job(rep or read())), lambda _r: self.msg.ok("日结报表已打印"),
                           self.ctx.errors.show)
