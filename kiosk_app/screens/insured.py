"""医保结算 (the insured 门诊缴费): the pre-settlement split in big text — 医疗费总额, 医保统筹支付,
个人账户支付 and, largest, 个人现金支付 (what the patient pays now) — then 确认支付 (or 确认结算
when the insurance pays it all) or 改为自费缴费. Nothing has been paid while this screen shows."""

from __future__ import annotations

from typing import Any

from billing_core.money import format_yuan
from kiosk_app.screens.base import Screen
from kiosk_app.widgets import button, card, label
from qt_common.qt import QGridLayout, Signal


class InsuredScreen(Screen):
    """The pre-settlement of an insured outpatient payment (a ``workflows.kiosk.insured.InsuredQuote``)."""

    key = "insured"
    title = "医保结算"
    confirm = Signal(str, object)  # order number, cash part (Decimal)
    self_pay = Signal(str)  # order number: give up the insured path, pay as self-pay

    def __init__(self) -> None:
        super().__init__()
        self.who = label("", "title", name="insuredWho")
        self.body.addWidget(self.who)
        box, lay = card()
        self.grid = QGridLayout()  # in the card's own layout: no extra widget painting over the card
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setVerticalSpacing(18)
        self.rows: dict[str, Any] = {}
        for n, (name, text) in enumerate((("medfee", "医疗费总额"), ("fund", "医保统筹支付"),
                                          ("account", "个人账户支付"), ("cash", "个人现金支付"))):
            role = "big" if name == "cash" else "title"
            self.grid.addWidget(label(text, role, wrap=False), n, 0)
            value = label("", "amount" if name == "cash" else role, wrap=False, name=f"insured_{name}")
            self.grid.addWidget(value, n, 1)
            self.rows[name] = value
        lay.addLayout(self.grid)
        self.body.addWidget(box)
        self.items = label("", "hint", name="insuredItems")
        self.body.addWidget(self.items)
        self.due = label("", "big", name="insuredDue")
        self.body.addWidget(self.due)
        self.body.addStretch(1)
        self.go = button("确认支付", self._confirm, role="primary", name="insuredConfirm")
        self.body.addWidget(self.go)
        self.to_self_pay = button("改为自费缴费", self._self_pay, name="insuredSelfPay")
        self.body.addWidget(self.to_self_pay)
        self.order_no = ""
        self._cash: Any = None

    def show_quote(self, q: Any) -> None:
        """An ``InsuredQuote``: the split, the charges, what is due now."""
        self.clear()
        self.order_no, self._cash = q.order_no, q.cash
        self.who.setText(f"{q.name_masked}　{q.insurance_type}")
        for name in ("medfee", "fund", "account", "cash"):
            self.rows[name].setText(format_yuan(getattr(q, name)))
        self.items.setText("　".join(f"{title} {format_yuan(amount)}" for title, amount in q.items))
        if q.cash > 0:
            self.due.setText(f"您需支付：{format_yuan(q.cash)}")
            self.go.setText(f"确认支付 {format_yuan(q.cash)}")
        else:
            self.due.setText("医保已全部支付，您无需再付款")
            self.go.setText("确认结算")

    def _confirm(self) -> None:
        if self.order_no:
            self.confirm.emit(self.order_no, self._cash)

    def _self_pay(self) -> None:
        if self.order_no:
            self.self_pay.emit(self.order_no)

    def clear(self) -> None:
        super().clear()
        self.order_no, self._cash = "", None
        self.who.clear()
        for value in self.rows.values():
            value.clear()
        self.items.clear()
        self.due.clear()
