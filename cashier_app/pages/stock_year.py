"""年结 tab of the stock workspace (issue 18 §5; docs/STOCK.md "Year-end"): the year's summary
(bills per origin with carry-forward state, emergency blocks spanning the year's end, terminals
with pending uploads, paper 领用存) and closing the year, which the server refuses while anything
of the year is still open (E5952, the open items named)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from cashier_app.pages.common import line
from qt_common.qt import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.stock_desk import StockDesk

ORIGINS = {"online": "在线开具", "emergency": "服务器应急", "terminal": "终端应急"}


class StockPage(Protocol):
    """What the tab needs of its page (cashier_app.pages.stock.StockPage)."""

    desk: StockDesk

    def run(self, call: Callable[[], Any], done: str) -> None: ...

    def read(self, call: Callable[[], Any], show: Callable[[Any], None]) -> None: ...


class YearEndForm(QWidget):
    """Year summary and 年结."""

    def __init__(self, page: StockPage, year: int) -> None:
        super().__init__()
        self.page = page
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.year = line("年度", "yearEndYear")
        self.year.setText(str(year))
        self.view_btn = QPushButton("查看年度汇总")
        self.view_btn.setObjectName("yearEndView")
        self.view_btn.clicked.connect(self.show_year)
        self.close_btn = QPushButton("年结（关闭该年度编号）")
        self.close_btn.setObjectName("yearEndClose")
        self.close_btn.clicked.connect(self.close_year)
        for w in (QLabel("年度"), self.year, self.view_btn, self.close_btn):
            top.addWidget(w)
        top.addStretch(1)
        root.addLayout(top)
        self.state = QLabel()
        self.state.setObjectName("yearEndState")
        self.state.setWordWrap(True)
        root.addWidget(self.state)
        root.addWidget(QLabel("本年度开具的票据（以开票时间定年度）"))
        self.bills = BillTable(["来源", "张数", "金额", "待结转", "结果待确认"], stretch=0)
        self.bills.setObjectName("yearEndBills")
        root.addWidget(self.bills, 1)
        row = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(QLabel("跨年应急号段"))
        self.spanning = BillTable(["持有者", "开票点", "票据代码", "号段", "本年张数", "次年张数"], stretch=3)
        self.spanning.setObjectName("yearEndSpanning")
        left.addWidget(self.spanning)
        right.addWidget(QLabel("纸质票据领用存"))
        self.ledger = BillTable(["票据种类", "上年结存", "本年入库", "本年分发", "作废", "申退", "年末结存"], stretch=0)
        self.ledger.setObjectName("yearEndLedger")
        right.addWidget(self.ledger)
        row.addLayout(left, 1)
        row.addLayout(right, 1)
        root.addLayout(row, 1)
        self.summary: dict[str, Any] | None = None

    def show_year(self) -> None:
        desk, year = self.page.desk, self.year.text()
        self.page.read(lambda: desk.year_end(year), self.show_summary)

    def close_year(self) -> None:
        desk, year = self.page.desk, self.year.text()
        self.page.run(lambda: desk.year_end(year, close=True), f"{year.strip()}年已年结")

    def show_summary(self, s: dict[str, Any]) -> None:
        """Fill the tables from a summary (stockYearEnd)."""
        self.summary = s
        if s.get("closed"):
            self.state.setText(f"<b style='color:#1b5e20'>{s['year']}年已年结</b>")
        elif s.get("openItems"):
            self.state.setText(f"<b style='color:#b71c1c'>{s['year']}年尚不能年结：</b>"
                               + "；".join(s["openItems"]))
        else:
            self.state.setText(f"{s['year']}年：没有未结事项")
        self.bills.set_rows([[ORIGINS.get(k, k), str(v["count"]), v["amount"], str(v["carryPending"]),
                              str(v["inDoubt"])] for k, v in sorted(s.get("bills", {}).items())])
        self.spanning.set_rows([[b["holder"] or "同步服务器", b["placeCode"], b["billBatchCode"],
                                 f"{b['billBgnNo']}-{b['billEndNo']}", str(b["thisYear"]), str(b["nextYear"])]
                                for b in s.get("spanningBlocks", [])])
        self.ledger.set_rows([[r["billCode"], str(r["opening"]), str(r["received"]), str(r["distributed"]),
                               str(r["voided"]), str(r["returned"]), str(r["closing"])]
                              for r in s.get("paperLedger", [])])
