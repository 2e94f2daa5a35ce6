"""票据库存 (finance workspace, issue 18 §2): the stock overview and the forms of
cashier_app/pages/stock_forms.py, all over workflows.stock_desk.StockDesk (Qt-free).

The overview shows the store's lots with their balance equation, what each point and terminal
holds, the low-stock warnings and the emergency blocks (issue 7) in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine
from cashier_app.pages.stock_forms import ApplyForm, MoveForm, ThresholdForm
from qt_common.qt import QHBoxLayout, QLabel, QPushButton, QTabWidget, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.stock_desk import StockDesk, StockView

ORIGIN = {"opening": "期初", "in": "入库"}
EMERGENCY_KIND = {"emergency_server": "服务器应急", "emergency_terminal": "终端应急"}
EMERGENCY_STATE = {"active": "可用", "returned": "已申退", "revoked": "已收回"}


class StockOverview(QWidget):
    """库存总览: lots, holdings, warnings, emergency blocks."""

    def __init__(self) -> None:
        super().__init__()
        root = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("stockSummary")
        root.addWidget(self.summary)
        self.warnings = QLabel()
        self.warnings.setObjectName("stockWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color:#b71c1c;font-weight:bold;")
        root.addWidget(self.warnings)
        root.addWidget(QLabel("财务库房（每个入库号段：入库 − 分发 − 作废 − 申退 = 结余）"))
        self.lots = BillTable(["票据种类", "票据代码", "起始号码", "终止号码", "来源", "入库", "分发", "作废", "申退",
                               "结余", "核对"], stretch=0)
        self.lots.setObjectName("stockLots")
        root.addWidget(self.lots, 2)
        row = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(QLabel("开票点 / 终端持有"))
        self.holdings = BillTable(["开票点", "终端", "票据种类", "已分发", "已使用", "剩余"], stretch=0)
        self.holdings.setObjectName("stockHoldings")
        left.addWidget(self.holdings)
        right.addWidget(QLabel("应急票号（电子票据应急库存）"))
        self.emergency = BillTable(["开票点", "持有者", "票据代码", "号段", "已用", "剩余", "状态"], stretch=3)
        self.emergency.setObjectName("stockEmergency")
        right.addWidget(self.emergency)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        root.addLayout(row, 2)

    def show_view(self, v: StockView) -> None:
        """Fill the tables from a fresh view."""
        self.summary.setText(f"财务库房结余 {v.store_total} 张 · 已分发 {v.held_total} 张 · "
                             f"入库号段 {len(v.lots)} 个 · 预警 {len(v.warnings)} 条")
        self.warnings.setText("\n".join(f"⚠ {w['message']}" for w in v.warnings))
        self.warnings.setVisible(bool(v.warnings))
        self.lots.set_rows([[lot["billName"] or lot["billCode"], lot["billBatchCode"], lot["billBgnNo"], lot["billEndNo"],
                             ORIGIN.get(lot["origin"], lot["origin"]), str(lot["received"]), str(lot["distributed"]),
                             str(lot["voided"]), str(lot["returned"]), str(lot["balance"]),
                             "平衡" if lot["ok"] else "不平"] for lot in v.lots])
        self.holdings.set_rows([[h["placeCode"], h["terminalId"] or "（开票点）", h["billCode"], str(h["held"]),
                                 str(h["used"]), str(h["remaining"])] for h in v.holdings])
        self.emergency.set_rows([[e["placeCode"], e["holder"] or "同步服务器", e["billBatchCode"],
                                  f"{e['billBgnNo']}-{e['billEndNo']}", str(e["used"]), str(e["left"]),
                                  EMERGENCY_STATE.get(e["state"], e["state"])] for e in v.emergency])


class StockPage(QWidget):
    """The finance office's stock workspace (tabs: 总览, 申领入库, 分发收回, 作废申退, 预警设置)."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.desk = StockDesk(ctx.services.api.terminal)
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.refresh_btn = QPushButton("刷新库存")
        self.refresh_btn.setObjectName("stockRefresh")
        self.refresh_btn.clicked.connect(self.refresh)
        top.addWidget(self.refresh_btn)
        top.addStretch(1)
        root.addLayout(top)
        self.tabs = QTabWidget()
        self.overview = StockOverview()
        self.apply_form = ApplyForm(self)
        self.move_form = MoveForm(self, ("distribute", "recall"), "stockMove")
        self.void_form = MoveForm(self, ("void", "return"), "stockVoid")
        self.threshold_form = ThresholdForm(self)
        for w, label in ((self.overview, "库存总览"), (self.apply_form, "期初 / 申领 / 入库"),
                         (self.move_form, "分发 / 收回"), (self.void_form, "作废 / 申退"),
                         (self.threshold_form, "预警设置")):
            self.tabs.addTab(w, label)
        root.addWidget(self.tabs, 1)
        self.msg = MessageLine("stockResult")
        root.addWidget(self.msg)
        self.view: StockView | None = None

    def allowed(self) -> bool:
        """Finance (or admin) only; a refusal is shown and nothing is sent."""
        return self.ctx.allowed("stock", self.msg.bad)

    def refresh(self) -> None:
        """Read the stock view again (off the GUI thread)."""
        if not self.allowed():
            return
        desk = self.desk
        self.ctx.tasks.run(desk.refresh, self._show, self._failed)

    def run(self, call: Callable[[], Any], done: str) -> None:
        """Run one change off the GUI thread; on success show ``done`` and refresh the view."""
        if not self.allowed():
            return

        def ok(_answer: Any) -> None:
            self.msg.ok(done)
            self.refresh()

        self.ctx.tasks.run(call, ok, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def _show(self, view: StockView) -> None:
        self.view = view
        self.overview.show_view(view)
        self.apply_form.show_applies(view.applies)
        self.threshold_form.show_thresholds(view.thresholds)
