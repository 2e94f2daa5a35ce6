"""报表中心 (finance workspace, issue 18 §3): hospital-wide reports from the server.

Filter row (report, dates, 开票点, 收费员, 票据类型), the report's table with paging, its totals, a
bar chart where the report has one (汇总表), export to CSV/XLSX and print (A4 PDF through
print_templates). Everything is fetched and written off the GUI thread through
workflows.cashier.finance_reports / finance_exports; this page only shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from billing_core.codes import BUS_TYPE
from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from print_templates.render_qt import write_pdf
from qt_common.qt import (
    QDate,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)
from qt_common.widgets.bar_chart import BarChart
from qt_common.widgets.bill_table import BillTable
from workflows.cashier import finance_exports as exports
from workflows.cashier import finance_reports as fr
from workflows.cashier.finance_errors import NoReportLoaded

PAGE_SIZE = 50


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class ReportsPage(QWidget):
    """The finance office's report centre."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.table: fr.ReportTable | None = None
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.kind = combo(list(fr.REPORT_TITLES.items()), "reportKind")
        today = ctx.services.clock.now().date()
        self.date_from = QDateEdit(_qdate(today))
        self.date_to = QDateEdit(_qdate(today))
        for d, name in ((self.date_from, "reportFrom"), (self.date_to, "reportTo")):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setObjectName(name)
        self.place = line("开票点编码", "reportPlace")
        self.payee = line("收费员", "reportPayee")
        self.bus_type = combo([("", "全部类型"), *BUS_TYPE.entries.items()], "reportBusType")
        self.go = QPushButton("查询")
        self.go.setObjectName("reportQuery")
        self.go.clicked.connect(lambda: self.run(1))
        for w in (QLabel("报表"), self.kind, QLabel("日期"), self.date_from, QLabel("至"), self.date_to,
                  self.place, self.payee, self.bus_type, self.go):
            top.addWidget(w)
        top.setStretchFactor(self.place, 1)
        top.setStretchFactor(self.payee, 1)
        root.addLayout(top)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.grid = BillTable(["（请查询）"])
        self.grid.setObjectName("reportTable")
        self.chart = BarChart()
        self.chart.setObjectName("reportChart")
        self.split.addWidget(self.grid)
        self.split.addWidget(self.chart)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        root.addWidget(self.split, 1)

        self.totals = QLabel()
        self.totals.setObjectName("reportTotals")
        self.totals.setWordWrap(True)
        root.addWidget(self.totals)
        nav = QHBoxLayout()
        self.prev_btn = QPushButton("上一页")
        self.prev_btn.clicked.connect(lambda: self.run(self._page - 1))
        self.next_btn = QPushButton("下一页")
        self.next_btn.clicked.connect(lambda: self.run(self._page + 1))
        self.page_label = QLabel()
        self.page_label.setObjectName("reportPageLabel")
        self.path = line("导出文件路径（.csv 或 .xlsx）", "reportExportPath")
        self.export_btn = QPushButton("导出")
        self.export_btn.setObjectName("reportExport")
        self.export_btn.clicked.connect(self.export)
        self.print_btn = QPushButton("打印")
        self.print_btn.setObjectName("reportPrint")
        self.print_btn.clicked.connect(self.print_report)
        for w in (self.prev_btn, self.page_label, self.next_btn, QLabel("导出到"), self.path, self.export_btn,
                  self.print_btn):
            nav.addWidget(w)
        nav.setStretchFactor(self.path, 1)
        root.addLayout(nav)
        self.msg = MessageLine("reportsResult")
        root.addWidget(self.msg)
        self._page = 1
        self.last_export: Path | None = None
        self.last_pdf: Path | None = None
        self._set_paging()

    # --- query ---------------------------------------------------------------------------
    def query(self, page: int = 1, page_size: int = PAGE_SIZE) -> fr.ReportQuery:
        """The filter on screen as a query."""
        return fr.ReportQuery(str(self.kind.currentData()), self.date_from.date().toPython(),
                              self.date_to.date().toPython(), self.place.text().strip(), self.payee.text().strip(),
                              str(self.bus_type.currentData() or ""), page, page_size)

    def run(self, page: int = 1) -> None:
        """Fetch one page of the chosen report (off the GUI thread)."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        q = self.query(max(page, 1))
        api = self.ctx.services.api
        self.msg.info("正在查询…")
        self.ctx.tasks.run(lambda: fr.fetch(api, q), self._show, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def _show(self, table: fr.ReportTable) -> None:
        self.table = table
        self._page = table.query.page
        cols = table.columns
        self.grid.set_headers([c.title for c in cols])
        self.grid.set_rows([[r.get(c.key, "") for c in cols] for r in table.rows])
        self.totals.setText(table.totals_line())
        points = table.chart_points()
        self.chart.setVisible(bool(points))
        width = max(self.split.width(), 10)
        # a detail list takes the whole width; a summary shares it with its chart
        self.split.setSizes([width * 3 // 5, width * 2 // 5] if points else [width, 0])
        if points:
            self.chart.set_points(table.chart_title(), points)
        self._set_paging()
        self.msg.ok(f"{table.title}：共{table.row_count}行")

    def _pages(self) -> int:
        if self.table is None:
            return 1
        return max(1, -(-self.table.row_count // self.table.query.page_size))

    def _set_paging(self) -> None:
        pages = self._pages()
        self.page_label.setText(f"第{self._page}页 / 共{pages}页")
        self.prev_btn.setEnabled(self.table is not None and self._page > 1)
        self.next_btn.setEnabled(self.table is not None and self._page < pages)

    # --- export and print ----------------------------------------------------------------
    def _whole(self) -> Callable[[], fr.ReportTable]:
        """Every row of the report on screen, as a call for a worker thread."""
        if self.table is None:
            raise NoReportLoaded()
        api, q = self.ctx.services.api, self.table.query
        return lambda: fr.fetch_all(api, q)

    def export(self) -> None:
        """Write every row of the report on screen to the typed path (.csv or .xlsx)."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        try:
            whole = self._whole()
        except NoReportLoaded as exc:
            self._failed(exc)
            return
        path = Path(self.path.text().strip())
        if not path.name:
            self.msg.bad("请填写导出文件路径")
            return
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".xlsx")
        writer = exports.export_csv if path.suffix.lower() == ".csv" else exports.export_xlsx
        self.ctx.tasks.run(lambda: writer(whole(), path), self._exported, self._failed)

    def _exported(self, path: Path) -> None:
        self.last_export = path
        self.msg.ok(f"已导出：{path}")

    def print_report(self) -> None:
        """Every row of the report on screen as A4 pages (PDF in the window's print folder)."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        try:
            whole = self._whole()
        except NoReportLoaded as exc:
            self._failed(exc)
            return
        q = self.table.query if self.table else None
        folder = self.ctx.printers.pdf_dir
        name = f"report_{q.report}_{q.date_from:%Y%m%d}_{q.date_to:%Y%m%d}.pdf" if q else "report.pdf"

        def work() -> Path:
            folder.mkdir(parents=True, exist_ok=True)
            return write_pdf(exports.report_print_job(whole()), folder / name)

        self.ctx.tasks.run(work, self._printed, self._failed)

    def _printed(self, path: Path) -> None:
        self.last_pdf = path
        self.msg.ok(f"报表已生成打印文件：{path}")
