"""Paying: outpatient charges, prepayment / deposit top-up, discharge, the payment choice and the
payment itself (主扫 QR with a countdown, 被扫 "请出示付款码")."""

from __future__ import annotations

import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_core.money import format_yuan
from kiosk_app.screens.base import Screen
from kiosk_app.widgets import Choice, ChoiceList, Keypad, QrView, button, card, entry, label
from qt_common.qt import QCheckBox, Qt, QTimer, QVBoxLayout, QWidget, Signal


def _remove_all(lay: QVBoxLayout, widgets: list[QWidget]) -> None:
    for w in widgets:
        lay.removeWidget(w)
        w.setParent(None)
        w.deleteLater()
    widgets.clear()


class OutpatientScreen(Screen):
    """门诊缴费: every pending charge with a check box (all ticked), the total of the ticked ones."""

    key = "outpatient"
    title = "门诊缴费"
    pay = Signal(list, object)  # charge ids, their total (Decimal)
    insured = Signal(list, object)  # the same, settled with the medical insurance (医保结算)

    def __init__(self) -> None:
        super().__init__()
        self.body.addWidget(label("待缴费项目（可取消勾选暂不缴的项目）", "title"))
        self.box = QWidget()
        self.lay = QVBoxLayout(self.box)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(16)
        self.body.addWidget(self.box)
        self.body.addStretch(1)
        self.total = label("", "amount", name="outpatientTotal")
        self.body.addWidget(self.total)
        self.go_insured = button("医保结算", self._insured, role="primary", name="outpatientInsured")
        self.go_insured.hide()  # only for a patient identified by 医保电子凭证 / 社保卡 (offer_insured)
        self.body.addWidget(self.go_insured)
        self.go = button("去支付", self._pay, role="primary", name="outpatientPay")
        self.body.addWidget(self.go)
        self.checks: dict[str, QCheckBox] = {}
        self._amounts: dict[str, Decimal] = {}
        self._rows: list[QWidget] = []

    def show_charges(self, charges: Sequence[Any]) -> None:
        """``ChargeView`` list."""
        self.clear()
        for c in charges:
            frame, lay = card()
            cb = QCheckBox(f"{c.kind_text}　{c.title}　{format_yuan(c.amount)}")
            cb.setObjectName(f"charge_{c.charge_id}")
            cb.setChecked(True)
            cb.toggled.connect(self._update)
            lay.addWidget(cb)
            lay.addWidget(label(f"{c.dept_name}　{c.doctor_name}　{c.created_at}", "hint"))
            names = "、".join(f"{ln.name}×{ln.qty.normalize() if isinstance(ln.qty, Decimal) else ln.qty}"
                             for ln in c.lines[:6])
            if len(c.lines) > 6:
                names += f" 等{len(c.lines)}项"
            lay.addWidget(label(names, "hint"))
            self.lay.addWidget(frame)
            self._rows.append(frame)
            self.checks[c.charge_id] = cb
            self._amounts[c.charge_id] = Decimal(c.amount)
        if not charges:
            self.say("您没有待缴费的项目", "hint")
        self._update()

    def selected(self) -> list[str]:
        """The ticked charges."""
        return [k for k, cb in self.checks.items() if cb.isChecked()]

    def _update(self, _checked: bool = False) -> None:
        total = self.total_of(self.selected())
        self.total.setText(f"合计：{format_yuan(total)}（{len(self.selected())}项）" if self.checks else "")
        self.go.setEnabled(bool(self.selected()))
        self.go_insured.setEnabled(bool(self.selected()))

    def _pay(self) -> None:
        if self.selected():
            self.pay.emit(self.selected(), self.total_of(self.selected()))

    def _insured(self) -> None:
        if self.selected():
            self.insured.emit(self.selected(), self.total_of(self.selected()))

    def offer_insured(self, on: bool, why_not: str = "") -> None:
        """Show 医保结算 (and call the other button 自费缴费); ``why_not`` says why it is gone
        (the platform down: the self-pay path is what is left)."""
        self.go_insured.setVisible(on)
        self.go.setText("自费缴费" if on or why_not else "去支付")
        if why_not:
            self.say(why_not)

    def total_of(self, charge_ids: list[str]) -> Decimal:
        """The sum of the shown amounts of ``charge_ids``."""
        return sum((self._amounts[k] for k in charge_ids), Decimal("0.00"))

    def clear(self) -> None:
        super().clear()
        _remove_all(self.lay, self._rows)
        self.checks, self._amounts = {}, {}
        self.total.clear()
        self.go_insured.hide()
        self.go.setText("去支付")


class TopUpScreen(Screen):
    """预交金充值 / 住院押金: what the account holds now, preset amounts or one typed on the keypad."""

    key = "topup"
    title = "充值"
    amount = Signal(object)  # Decimal
    PRESETS = ("100", "200", "500", "1000", "2000", "5000")

    def __init__(self) -> None:
        super().__init__()
        box, lay = card()
        self.account = label("", "title", name="topupAccount")
        self.detail = label("", "hint", name="topupDetail")
        lay.addWidget(self.account)
        lay.addWidget(self.detail)
        self.body.addWidget(box)
        self.body.addWidget(label("请选择充值金额", "title"))
        self.presets = ChoiceList(columns=3)
        self.presets.set_choices([Choice(a, f"{a}元") for a in self.PRESETS])
        self.presets.chosen.connect(lambda a: self.amount.emit(Decimal(a).quantize(Decimal("0.01"))))
        self.body.addWidget(self.presets)
        self.body.addWidget(label("或输入其他金额（元）", "hint"))
        self.field = entry("金额", 7, "topupAmount")
        self.body.addWidget(self.field)
        self.keypad = Keypad(self.field, extra=".")
        self.body.addWidget(self.keypad)
        self.body.addWidget(button("确定金额", self._typed, role="primary", name="topupOk"))
        self.body.addStretch(1)

    def show_prepay(self, p: Any) -> None:
        """Prepayment top-up for a ``PatientSummary``."""
        self.title = "预交金充值"
        self.account.setText(f"预交金余额：{format_yuan(p.prepay_balance)}")
        self.detail.setText(f"{p.name}　就诊卡 {p.hospital_card or '—'}")

    def show_deposit(self, v: Any) -> None:
        """Deposit top-up for an ``InpatientView``."""
        self.title = "住院押金"
        self.account.setText(f"押金余额：{format_yuan(v.deposit)}　已发生费用：{format_yuan(v.total_fees)}")
        self.detail.setText(f"住院号 {v.admission_no}　{v.dept_name} {v.ward} {v.bed}床　入院 {v.admitted_on:%Y-%m-%d}")

    def _typed(self) -> None:
        try:
            value = Decimal(self.field.text()).quantize(Decimal("0.01"))
        except InvalidOperation:
            self.say("金额：请输入数字，例如 300 或 300.50")
            return
        if value <= 0:
            self.say("金额：请输入大于0的金额")
            return
        self.say("")
        self.amount.emit(value)

    def clear(self) -> None:
        super().clear()
        self.account.clear()
        self.detail.clear()
        self.field.clear()


class DischargeScreen(Screen):
    """出院结算: fees by charge item, the deposit, what is left to pay or to get back."""

    key = "discharge"
    title = "出院结算"
    settle = Signal()

    def __init__(self) -> None:
        super().__init__()
        box, self.lines = card()
        self.body.addWidget(box)
        self.summary = label("", "amount", name="dischargeDue")
        self.body.addWidget(self.summary)
        self.body.addStretch(1)
        self.go = button("确认结算", self.settle.emit, role="primary", name="dischargeSettle")
        self.body.addWidget(self.go)
        self._rows: list[QWidget] = []

    def show_discharge(self, v: Any) -> None:
        """A ``DischargeView``."""
        self.clear()
        rows = [f"住院号：{v.admission_no}"] + [f"{name}：{format_yuan(amount)}" for name, amount in v.groups]
        rows += [f"费用合计：{format_yuan(v.total)}", f"已交押金：{format_yuan(v.deposit)}"]
        for text in rows:
            lab = label(text)
            self.lines.addWidget(lab)
            self._rows.append(lab)
        if v.due > 0:
            self.summary.setText(f"需补缴：{format_yuan(v.due)}")
            self.go.setText("确认结算并补缴")
        else:
            self.summary.setText(f"应退押金：{format_yuan(v.refund_due)}（原路退回）")
            self.go.setText("确认结算")

    def clear(self) -> None:
        super().clear()
        for w in self._rows:
            self.lines.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self._rows = []
        self.summary.clear()


class ConfirmPayScreen(Screen):
    """确认支付: what is paid, the amount, and the ways to pay (预交金 greyed when short)."""

    key = "confirm_pay"
    title = "确认支付"
    method = Signal(str)  # workflows.kiosk.models.PayMethod values

    def __init__(self) -> None:
        super().__init__()
        box, lay = card()
        self.what = label("", "title", name="payWhat")
        self.amount_label = label("", "amount", name="payAmount")
        lay.addWidget(self.what)
        lay.addWidget(self.amount_label)
        self.body.addWidget(box)
        self.body.addWidget(label("请选择支付方式", "title"))
        self.methods = ChoiceList()
        self.methods.chosen.connect(self.method.emit)
        self.body.addWidget(self.methods)
        self.body.addStretch(1)

    def show_order(self, what: str, amount: Decimal, balance: Decimal | None, *, prepay_allowed: bool = True) -> None:
        """The order; ``balance`` None hides the prepayment choice (topping up the account itself)."""
        self.what.setText(what)
        self.amount_label.setText(f"应付：{format_yuan(amount)}")
        choices = [Choice("qr", "扫码支付", "用微信 / 支付宝 / 云闪付扫描屏幕上的二维码"),
                   Choice("code", "付款码支付", "打开手机付款码，对准扫码口")]
        if balance is not None and prepay_allowed:
            short = balance < amount
            choices.insert(0, Choice("prepayment", "预交金支付", f"余额 {format_yuan(balance)}", enabled=not short,
                                     reason="余额不足"))
        self.methods.set_choices(choices)

    def clear(self) -> None:
        super().clear()
        self.what.clear()
        self.amount_label.clear()
        self.methods.clear()


class PaymentScreen(Screen):
    """支付: the QR to scan (主扫) or 请出示付款码 (被扫), a countdown to the order's deadline."""

    key = "payment"
    title = "支付"
    idle_reset = False  # money is moving: the payment's own deadline rules here
    cancel = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.amount_label = label("", "amount", name="paymentAmount")
        self.amount_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.amount_label)
        self.prompt = label("", "title", name="paymentPrompt")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.prompt)
        self.qr = QrView(480)
        self.qr.setObjectName("paymentQr")
        self.body.addWidget(self.qr)
        self.status = label("", "hint", name="paymentStatus")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.status)
        self.countdown = label("", "big", name="paymentCountdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.countdown)
        self.body.addStretch(1)
        self.stop = button("取消支付", self.cancel.emit, name="paymentCancel")
        self.body.addWidget(self.stop)
        self._deadline = 0.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    def show_qr(self, amount: Decimal, code_url: str, seconds: float) -> None:
        """主扫: the platform's code_url as a QR code, counting down to the order's deadline."""
        self.amount_label.setText(f"应付：{format_yuan(amount)}")
        self.prompt.setText("请用微信 / 支付宝 / 云闪付扫码支付")
        self.qr.show_text(code_url)
        self.qr.show()
        self._start(seconds)

    def show_code(self, amount: Decimal, seconds: float) -> None:
        """被扫: waiting for the patient's payment code at the scanner."""
        self.amount_label.setText(f"应付：{format_yuan(amount)}")
        self.prompt.setText("请出示付款码\n将手机付款码对准下方扫码口")
        self.qr.show_text("")
        self.qr.hide()
        self._start(seconds)

    def show_status(self, text: str) -> None:
        """A progress line (正在确认支付结果… / 请在手机上输入密码 …)."""
        self.status.setText(text)

    def seconds_left(self) -> int:
        """Whole seconds to the deadline."""
        return max(0, int(self._deadline - time.monotonic() + 0.999))

    def _start(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds
        self._tick()
        self._timer.start(500)

    def _tick(self) -> None:
        left = self.seconds_left()
        self.countdown.setText(f"{left // 60:d}:{left % 60:02d}")
        if left == 0:
            self._timer.stop()

    def clear(self) -> None:
        super().clear()
        self._timer.stop()
        self.qr.show_text("")
        for w in (self.amount_label, self.prompt, self.status, self.countdown):
            w.clear()
