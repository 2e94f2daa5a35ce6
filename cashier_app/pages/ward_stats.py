"""统计查询: admissions and settlements grouped by the chosen dimensions, the abnormal-payment
board, order queries, CSV/XLSX export and the ward's QR posters (PDF to print)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cashier_app.pages.common import MessageLine, line
from cashier_app.pages.ward_common import WardContext, fill, table
from qt_common.qt import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from workflows.tabular import Table
from workflows.ward.stats import DIMENSIONS


class WardStatsPage(QWidget):
    """Statistics, board and queries of the station."""

    def __init__(self, ctx: WardContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.current: Table | None = None
        root = QVBoxLayout(self)
        dims = QHBoxLayout()
        dims.addWidget(QLabel("统计维度"))
        self.dims: dict[str, QCheckBox] = {}
        for key, label in DIMENSIONS.items():
            box = QCheckBox(label)
            box.setObjectName(f"wardDim_{key}")
            box.setChecked(key in ("kind", "channel"))
            self.dims[key] = box
            dims.addWidget(box)
        run = QPushButton("统计")
        run.setObjectName("wardStatsRun")
        run.clicked.connect(self.summary)
        board = QPushButton("异常支付")
        board.setObjectName("wardAbnormal")
        board.clicked.connect(self.abnormal)
        dims.addWidget(run)
        dims.addWidget(board)
        dims.addStretch(1)
        root.addLayout(dims)
        q = QHBoxLayout()
        self.order_no = line("订单号（可部分）", "wardQueryOrder")
        self.admission = line("住院号", "wardQueryAdmission")
        go = QPushButton("订单查询")
        go.setObjectName("wardQuery")
        go.clicked.connect(self.query)
        xlsx = QPushButton("导出XLSX")
        xlsx.setObjectName("wardExportXlsx")
        xlsx.clicked.connect(lambda: self.export(None, ".xlsx"))
        csv_ = QPushButton("导出CSV")
        csv_.clicked.connect(lambda: self.export(None, ".csv"))
        poster = QPushButton("打印病区二维码海报")
        poster.setObjectName("wardPosters")
        poster.clicked.connect(lambda: self.posters(None))
        for w in (self.order_no, self.admission, go, xlsx, csv_, poster):
            q.addWidget(w)
        root.addLayout(q)
        self.title = QLabel()
        self.title.setObjectName("wardStatsTitle")
        root.addWidget(self.title)
        self.table = table(["—"], "wardStatsTable")
        root.addWidget(self.table, 1)
        self.message = MessageLine("wardStatsMessage")
        root.addWidget(self.message)

    def _show(self, t: Table) -> None:
        self.current = t
        self.title.setText(t.title)
        self.table.setColumnCount(len(t.head))
        self.table.setHorizontalHeaderLabels(list(t.head))
        fill(self.table, t.rows)

    def _failed(self, exc: BaseException) -> None:
        self.message.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def summary(self) -> None:
        """Group by the ticked dimensions."""
        by = [k for k, box in self.dims.items() if box.isChecked()]
        if not by:
            self.message.bad("统计维度：请至少选择一项")
            return
        self.ctx.tasks.run(lambda: self.ctx.ward.reports.summary(by), self._show, self._failed)

    def abnormal(self) -> None:
        """Failures, refunds, reversals, money waiting for the HIS."""
        self.ctx.tasks.run(self.ctx.ward.reports.abnormal, self._show, self._failed)

    def query(self) -> None:
        """Orders by number part and / or admission number."""
        filters: dict[str, Any] = {"order_no": self.order_no.text().strip(),
                                   "admission_no": self.admission.text().strip()}
        self.ctx.tasks.run(lambda: self.ctx.ward.reports.query(**filters), self._show, self._failed)

    def _out(self, name: str) -> Path:
        return self.ctx.ward.terminal.config.data_dir / "exports" / name

    def export(self, path: Path | None, suffix: str) -> None:
        """Export the table shown (CSV or XLSX)."""
        if self.current is None:
            self.message.bad("请先统计或查询")
            return
        t = self.current
        target = path or self._out(f"病区统计{suffix}")

        def job() -> Path:
            target.parent.mkdir(parents=True, exist_ok=True)
            return self.ctx.ward.reports.export([t], target)

        self.ctx.tasks.run(job, lambda p: self.message.ok(f"已导出：{p}"), self._failed)

    def posters(self, path: Path | None) -> None:
        """The two static QR posters as an A4 PDF to print and hang in the ward."""
        target = path or self._out("病区二维码海报.pdf")

        def job() -> Path:
            from print_templates.render_qt import write_pdf

            target.parent.mkdir(parents=True, exist_ok=True)
            return write_pdf(self.ctx.ward.reports.posters_job(), target)

        self.ctx.tasks.run(job, lambda p: self.message.ok(f"海报已输出：{p}"), self._failed)
