"""What the patient looks up: bill history (print the notice, exchange once for paper) and the
fee / daily-list queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from billing_core.money import format_yuan
from kiosk_app.screens.base import Screen
from kiosk_app.widgets import button, card, label, row
from qt_common.qt import QVBoxLayout, QWidget, Signal


class _ListScreen(Screen):
    """A screen whose body is a column of cards rebuilt on every show."""

    def __init__(self) -> None:
        super().__init__()
        self.heading = label("", "title")
        self.body.addWidget(self.heading)
        self.box = QWidget()
        self.lay = QVBoxLayout(self.box)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(16)
        self.body.addWidget(self.box)
        self.body.addStretch(1)
        self._rows: list[QWidget] = []

    def _add(self, w: QWidget) -> None:
        self.lay.addWidget(w)
        self._rows.append(w)

    def clear(self) -> None:
        super().clear()
        for w in self._rows:
            self.lay.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self._rows = []


class BillsScreen(_ListScreen):
    """电子票据: each settlement with its bill, 打印告知单 and 换开纸质票据 (once)."""

    key = "bills"
    title = "电子票据"
    print_notice = Signal(str)  # settlement_no
    paper = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.heading.setText("您的缴费记录与电子票据")

    def show_history(self, items: Sequence[Any]) -> None:
        """``BillHistoryItem`` list."""
        self.clear()
        if not items:
            self.say("没有查到缴费记录", "hint")
        for it in items:
            frame, lay = card()
            lay.addWidget(label(f"{it.kind_text}　{format_yuan(it.amount)}　{it.created_at}"))
            if it.bill is not None:
                extra = "（应急开票）" if it.bill.emergency else ""
                extra += "　已换开纸质票据" if it.bill.paper_exchanged else ""
                lay.addWidget(label(f"票据 {it.bill.bill_batch_code} {it.bill.bill_no}{extra}", "hint"))
            else:
                lay.addWidget(label(f"{it.status}　电子票据开具中", "hint"))
            buttons = []
            if it.can_print_notice:
                buttons.append(button("打印告知单", lambda n=it.settlement_no: self.print_notice.emit(n),
                                      name=f"notice_{it.settlement_no}"))
            if it.can_exchange_paper:
                buttons.append(button("换开纸质票据", lambda n=it.settlement_no: self.paper.emit(n),
                                      name=f"paper_{it.settlement_no}"))
            if buttons:
                lay.addWidget(row(*buttons))
            self._add(frame)


class QueryScreen(_ListScreen):
    """费用查询: pending outpatient charges, and for an inpatient the daily list (日清单) by day."""

    key = "query"
    title = "费用查询"
    day = Signal(object)  # date: show the daily list of that day

    def __init__(self) -> None:
        super().__init__()
        self.heading.setText("费用查询")
        self.current: date | None = None
        self.prev = button("前一天", lambda: self._step(-1), name="queryPrev")
        self.next = button("后一天", lambda: self._step(1), name="queryNext")
        self.nav = row(self.prev, self.next)
        self.body.insertWidget(1, self.nav)
        self.nav.hide()

    def show_charges(self, charges: Sequence[Any]) -> None:
        """Outpatient: the pending charges with their lines (``ChargeView``)."""
        self.clear()
        self.heading.setText("门诊待缴费用")
        if not charges:
            self.say("您没有待缴费的项目", "hint")
        for c in charges:
            frame, lay = card()
            lay.addWidget(label(f"{c.kind_text}　{c.title}　{format_yuan(c.amount)}"))
            for ln in c.lines:
                lay.addWidget(label(f"{ln.name} {ln.spec}　{ln.qty}{ln.unit} × {format_yuan(ln.price)}"
                                    f" = {format_yuan(ln.amount)}", "hint"))
            self._add(frame)

    def show_daily(self, v: Any) -> None:
        """Inpatient: one day's list (``DailyListView``), with day navigation."""
        self.clear()
        self.current = v.day
        self.heading.setText(f"住院日清单　{v.day:%Y年%m月%d日}")
        self.nav.show()
        frame, lay = card()
        for ln in v.lines:
            lay.addWidget(label(f"{ln.name} {ln.spec}　{ln.qty}{ln.unit}　{format_yuan(ln.amount)}"))
        if not v.lines:
            lay.addWidget(label("当日没有费用", "hint"))
        self._add(frame)
        self._add(label(f"当日合计：{format_yuan(v.total)}　累计：{format_yuan(v.cumulative)}　"
                        f"押金：{format_yuan(v.deposit)}", "title"))

    def _step(self, days: int) -> None:
        if self.current is not None:
            self.day.emit(self.current + timedelta(days=days))

    def clear(self) -> None:
        super().clear()
        self.current = None
        self.nav.hide()
