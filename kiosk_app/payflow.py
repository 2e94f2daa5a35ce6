"""The payment part of every money flow on screen: 确认支付 (choose how) -> 支付 (QR with countdown,
or 请出示付款码) -> 办理结果.

The session's flow call (``pay_outpatient``, ``register`` …) does the whole money path and returns
a FlowResult; while it waits for the patient the payment session's events (``pay_waiting_scan``
with the code URL …) arrive over the event bridge and are shown here. A payment code (被扫) is
read from the scanner first, off the GUI thread, in short slices so 取消支付 is honoured at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol

from devices.errors import DeviceTimeout
from kiosk_app.window import KioskWindow
from qt_common.tasks import TaskRunner
from workflows.kiosk.errors import KioskInputError
from workflows.kiosk.models import FlowResult, PayChoice
from workflows.payment_session import PAY_FAILED, PAY_PAID, PAY_WAITING_CONFIRM, PAY_WAITING_SCAN

PayFn = Callable[[PayChoice], FlowResult]


class Host(Protocol):
    """What the pay flow needs of the controller (kiosk_app.controller.KioskController)."""

    w: KioskWindow
    kiosk: Any
    session: Any
    tasks: TaskRunner

    def go(self, key: str) -> None: ...

    def back(self) -> None: ...

    def run_flow(self, fn: Callable[[], FlowResult], busy: str = ...) -> None: ...

    def failed(self, exc: BaseException) -> None: ...

    def show_result(self, r: FlowResult) -> None: ...


class PaymentCancelled(Exception):
    """The patient pressed 取消支付 before a payment code was scanned."""


class PayFlow:
    """One pending payment at a time (a kiosk serves one patient)."""

    def __init__(self, ctl: Host) -> None:
        self.ctl = ctl
        self.w = ctl.w
        self.what = ""
        self.amount = Decimal("0.00")
        self._fn: PayFn | None = None
        self._cancel = threading.Event()
        self.w.confirm_pay.method.connect(self.choose)
        self.w.payment.cancel.connect(self.cancel)

    def deadlines(self) -> tuple[float, float]:
        """(QR, payment code) seconds from the [payment] config (defaults without one)."""
        p = getattr(self.ctl.kiosk.config, "payment", None)
        return (p.qr_deadline, p.code_deadline) if p is not None else (120.0, 60.0)

    def ask(self, what: str, amount: Decimal, balance: Decimal | None, fn: PayFn, *, prepay: bool = True) -> None:
        """Show 确认支付 for ``amount``; ``fn`` runs the flow with the chosen PayChoice."""
        self.what, self.amount, self._fn = what, amount, fn
        if amount <= 0:  # nothing to pay (a free slot): straight to the flow
            self.ctl.run_flow(lambda: fn(PayChoice.prepayment()))
            return
        self.w.confirm_pay.show_order(what, amount, balance, prepay_allowed=prepay)
        self.ctl.go("confirm_pay")

    def choose(self, method: str) -> None:
        """A payment method was tapped."""
        fn = self._fn
        if fn is None:
            return
        self._cancel.clear()
        if method == "prepayment":
            self.ctl.run_flow(lambda: fn(PayChoice.prepayment()), "正在从预交金扣费…")
            return
        qr_s, code_s = self.deadlines()
        pay = self.w.payment
        pay.clear()
        self.ctl.go("payment")
        self.w.idle.arm(False)  # money is moving: never dropped by the idle timer
        if method == "qr":
            pay.amount_label.setText(f"应付：¥{self.amount:,.2f}")
            pay.show_status("正在生成付款二维码…")
            self.ctl.tasks.run(lambda: fn(PayChoice.qr()), self.done, self._failed)
        else:
            pay.show_code(self.amount, code_s)
            self.ctl.tasks.run(lambda: fn(PayChoice.code(self._read_code(code_s))), self.done, self._code_failed)

    def _read_code(self, seconds: float) -> str:
        """The patient's payment code from the scanner (worker thread)."""
        scanner = self.ctl.kiosk.devices.by_role("scanner")
        if scanner is None:
            raise PaymentCancelled()
        waited = 0.0
        while waited < seconds:
            if self._cancel.is_set():
                raise PaymentCancelled()
            try:
                return str(scanner.read_code(0.5))  # type: ignore[attr-defined]
            except DeviceTimeout:
                waited += 0.5
        raise PaymentCancelled()

    def _code_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PaymentCancelled):
            self.ctl.show_result(FlowResult(False, "payment", "未完成支付，未扣款", amount=self.amount))
            return
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        """The flow refused before any money moved (an amount out of range …): back to the screen
        the order came from, the refusal said there. Left on the payment screen the patient was
        stuck: no 返回, no 首页, no idle reset, and 取消支付 had nothing left to cancel."""
        if isinstance(exc, KioskInputError):
            self._fn = None
            self.w.payment.clear()
            self.ctl.back()
            self.w.current().say(exc.message)
            return
        self.ctl.failed(exc)

    def cancel(self) -> None:
        """取消支付: stop waiting for a code; the session closes a QR order (a payment that landed
        meanwhile still completes and its result comes back as usual)."""
        self._cancel.set()
        self.w.payment.show_status("正在取消…")
        self.ctl.tasks.run(self.ctl.session.cancel_payment, lambda _r: None, lambda _e: None)

    def done(self, result: FlowResult) -> None:
        """The flow finished (paid or not)."""
        self._fn = None
        self.w.payment.clear()
        self.ctl.show_result(result)

    def on_event(self, name: str, payload: dict[str, Any]) -> None:
        """Payment-session events while the payment screen is up."""
        pay = self.w.payment
        if name == PAY_WAITING_SCAN:
            qr_s, _ = self.deadlines()
            amount = Decimal(int(payload.get("amount_fen", 0))) / 100 if payload.get("amount_fen") else self.amount
            pay.show_qr(amount.quantize(Decimal("0.01")), str(payload["code_url"]), qr_s)
            pay.show_status("等待扫码支付…")
        elif name == PAY_WAITING_CONFIRM:
            pay.show_status("请在手机上确认支付（如需输入密码）")
        elif name == PAY_PAID:
            pay.show_status("支付成功，正在办理…")
        elif name == PAY_FAILED:
            pay.show_status(str(payload.get("message", "支付未成功")))
