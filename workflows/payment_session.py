"""Taking one payment at a kiosk or a ward terminal (Qt-free; the GUI subscribes to its events).

A small state machine over :class:`workflows.payment_client.PaymentClient`::

    IDLE -> CREATING -> WAITING_SCAN (主扫) | WAITING_CONFIRM (被扫, USERPAYING) -> PAID | FAILED
                     \\-> (deadline or cancel) CLOSING -> PAID | NOT_PAID | UNKNOWN

* create the order (``unified_order`` for ``method="qr"``, ``micropay`` for ``method="code"``);
* poll ``query`` with backoff until SUCCESS, a failure (PAYERROR, CLOSED, REVOKED) or the deadline;
  an unreachable platform while polling is not a failure: polling goes on until the deadline;
* at the deadline (or :meth:`PaymentSession.cancel`) close the 主扫 order / reverse the 被扫 one,
  then query once more: an order paid in the meantime is reported PAID (the platform refuses to
  close a paid order, E3712), a closed one NOT_PAID, and one the platform could not be asked
  about UNKNOWN — the payment is in doubt and must be resumed later, never charged again.

**The caller persists ``out_trade_no`` before calling** :meth:`PaymentSession.pay` (in its own
store, with the business it pays for). After a crash the terminal calls
:meth:`PaymentSession.resume` with that number: the platform is asked by number and the
session continues from whatever state the order is in. A repeat of ``pay`` with the same number
and amount is safe too: the platform answers the order it already has — which is also why a new
attempt after NOT_PAID or FAILED needs a new number.

Time comes from an injected clock and sleep, so tests run the whole machine on a manual clock.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError
from workflows.events import Events
from workflows.payment_client import (
    OrderStatus,
    PaymentClient,
    PaymentError,
    PaymentUnavailable,
    RefundStatus,
)

# Event names (payload in the comment); one Events instance per app, passed in.
PAY_STATE = "pay_state"                      # {"state": PayState, "out_trade_no": str}
PAY_WAITING_SCAN = "pay_waiting_scan"        # {"out_trade_no": str, "code_url": str, "amount_fen": int}
PAY_WAITING_CONFIRM = "pay_waiting_confirm"  # {"out_trade_no": str, "amount_fen": int}
PAY_PAID = "pay_paid"                        # {"result": PaymentResult}
PAY_FAILED = "pay_failed"                    # {"result": PaymentResult, "code": str, "message": str}

#: Platform codes the session acts on (docs/ERRORS.md, payment platform).
ORDER_NOT_EXIST = "E3710"
ORDER_PAID = "E3712"
#: Seconds between status queries: quick at first (most patients pay within seconds), then slower.
BACKOFF = (1.0, 1.0, 2.0, 2.0, 3.0, 5.0)


class PayState(StrEnum):
    """Where a payment is."""

    IDLE = "idle"
    CREATING = "creating"
    WAITING_SCAN = "waiting_scan"
    WAITING_CONFIRM = "waiting_confirm"
    CLOSING = "closing"
    PAID = "paid"
    FAILED = "failed"
    NOT_PAID = "not_paid"
    UNKNOWN = "unknown"


FINAL = (PayState.PAID, PayState.FAILED, PayState.NOT_PAID, PayState.UNKNOWN)
_ALLOWED: dict[PayState, tuple[PayState, ...]] = {
    PayState.IDLE: (PayState.CREATING, PayState.WAITING_SCAN, PayState.WAITING_CONFIRM, PayState.CLOSING, *FINAL),
    PayState.CREATING: (PayState.WAITING_SCAN, PayState.WAITING_CONFIRM, PayState.CLOSING, *FINAL),
    PayState.WAITING_SCAN: (PayState.WAITING_CONFIRM, PayState.CLOSING, *FINAL),
    PayState.WAITING_CONFIRM: (PayState.CLOSING, *FINAL),
    PayState.CLOSING: FINAL,
}


class PaymentInputError(BillingError):
    """A payment asked with bad input (amount, method, payment code, order number): nothing sent."""

    code = "E5711"
    default_message = "支付参数错误"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """How a payment ended. ``paid`` is the only thing that decides whether goods are delivered;
    ``state`` UNKNOWN means in doubt: keep ``out_trade_no`` and :meth:`PaymentSession.resume` later."""

    out_trade_no: str
    state: PayState
    amount_fen: int
    message: str
    code: str = ""
    order: OrderStatus | None = None

    @property
    def paid(self) -> bool:
        """True only when the platform reported the money received."""
        return self.state is PayState.PAID


class PaymentSession:
    """One payment at a time; thread-safe :meth:`cancel` from the GUI thread.

    :param client: the platform client.
    :param events: where the GUI listens (PAY_* events).
    :param clock: monotonic time for the deadline; :param sleep: waits between queries.
    :param qr_deadline: seconds a patient has to scan and pay a QR code;
    :param code_deadline: seconds a patient has to confirm a payment code on the phone.
    """

    def __init__(self, client: PaymentClient, events: Events | None = None, *, clock: Clock | None = None,
                 sleep: Callable[[float], None] | None = None, qr_deadline: float = 120.0,
                 code_deadline: float = 60.0, backoff: tuple[float, ...] = BACKOFF) -> None:
        self.client = client
        self.events = events or Events()
        self.clock = clock or SystemClock()
        self._cancelled = threading.Event()
        self._sleep = sleep or self._cancellable_sleep
        self.qr_deadline = qr_deadline
        self.code_deadline = code_deadline
        self.backoff = backoff
        self.state = PayState.IDLE
        self.out_trade_no = ""

    # --- public ------------------------------------------------------------------------------

    def pay(self, amount_fen: int, method: str = "qr", auth_code: str | None = None, subject: str = "",
            out_trade_no: str = "", *, channel: str = "aggregate", notify_url: str = "") -> PaymentResult:
        """Take a payment of ``amount_fen`` by QR (``method="qr"``, 主扫) or payment code
        (``"code"``, 被扫, with ``auth_code``). ``out_trade_no`` must already be persisted by
        the caller (see the module docstring). Blocks until a final state; raises
        :class:`PaymentInputError` (nothing sent) for bad input."""
        _check_input(amount_fen, method, auth_code, subject, out_trade_no)
        self._begin(out_trade_no)
        self._go(PayState.CREATING)

        def create() -> OrderStatus:
            if method == "qr":
                return self.client.unified_order(out_trade_no, amount_fen, subject, channel=channel,
                                                 notify_url=notify_url)
            return self.client.micropay(out_trade_no, amount_fen, subject, str(auth_code), notify_url=notify_url)

        order: OrderStatus | None = None
        try:
            order = create()
        except PaymentUnavailable:
            pass  # in doubt: the order may exist; polling by number finds out
        except PaymentError as exc:
            return self._final(PayState.FAILED, amount_fen, exc.message, exc.code)
        deadline = self.qr_deadline if method == "qr" else self.code_deadline
        return self._wait(order, amount_fen, method == "qr", deadline, create)

    def resume(self, out_trade_no: str, amount_fen: int, method: str = "qr") -> PaymentResult:
        """Continue a payment a crashed or restarted terminal had started: ask the platform by
        number and go on from the order's state (polling, closing at a new deadline)."""
        _check_order(amount_fen, method, out_trade_no)
        self._begin(out_trade_no)
        order: OrderStatus | None = None
        try:
            order = self.client.query(out_trade_no)
        except PaymentUnavailable:
            pass
        except PaymentError as exc:
            if exc.code == ORDER_NOT_EXIST:
                return self._final(PayState.NOT_PAID, amount_fen, "支付平台没有这笔订单，未扣款", exc.code)
            return self._final(PayState.FAILED, amount_fen, exc.message, exc.code)
        deadline = self.qr_deadline if method == "qr" else self.code_deadline
        return self._wait(order, amount_fen, method == "qr", deadline, None)

    def cancel(self) -> None:
        """The patient gave up: stop waiting, close or reverse the order (from any thread)."""
        self._cancelled.set()

    def refund(self, out_trade_no: str, amount_fen: int, reason: str, out_refund_no: str = "",
               attempts: int = 3) -> RefundStatus:
        """Refund to the original channel, idempotently: the same call again (after a crash or a
        timeout) is the same refund. ``out_refund_no`` defaults to one derived from the order
        number and amount; pass your own to make a second refund of the same amount."""
        if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
            raise PaymentInputError("退款金额必须是大于0的整数（分）")
        if not out_trade_no:
            raise PaymentInputError("缺少原支付订单号out_trade_no")
        number = out_refund_no or "R" + hashlib.sha256(f"{out_trade_no}|{amount_fen}".encode()).hexdigest()[:24]
        last: PaymentUnavailable | None = None
        for i in range(max(1, attempts)):
            try:
                return self.client.refund(out_trade_no, number, amount_fen, reason)
            except PaymentUnavailable as exc:
                last = exc
                self._sleep(self.backoff[min(i, len(self.backoff) - 1)])
        try:
            return self.client.refund_query(number)
        except PaymentError:
            raise last or PaymentUnavailable() from None

    # --- the machine -------------------------------------------------------------------------

    def _wait(self, order: OrderStatus | None, amount: int, qr: bool, deadline: float,
              create: Callable[[], OrderStatus] | None) -> PaymentResult:
        end = self.clock.monotonic() + deadline
        delays = self._delays()
        while True:
            if order is not None:
                done = self._observe(order, amount)
                if done is not None:
                    return done
            left = end - self.clock.monotonic()
            if left <= 0 or self._cancelled.is_set():
                return self._close(amount, qr)
            self._sleep(min(next(delays), left))
            try:
                order = self.client.query(self.out_trade_no)
            except PaymentUnavailable:
                continue
            except PaymentError as exc:
                if exc.code == ORDER_NOT_EXIST and create is not None:
                    # the creating request never reached the platform: send it again (idempotent)
                    try:
                        order = create()
                    except PaymentUnavailable:
                        continue
                    except PaymentError as again:
                        return self._final(PayState.FAILED, amount, again.message, again.code)
                elif exc.code == ORDER_NOT_EXIST:
                    return self._final(PayState.NOT_PAID, amount, "支付平台没有这笔订单，未扣款", exc.code)
                else:
                    return self._final(PayState.FAILED, amount, exc.message, exc.code)

    def _observe(self, order: OrderStatus, amount: int) -> PaymentResult | None:
        """A final result for a decided order, else announce what the patient must do."""
        if order.paid:
            return self._final(PayState.PAID, amount, "支付成功", order=order)
        if order.trade_state == "PAYERROR":
            return self._final(PayState.FAILED, amount, order.trade_state_desc, order.pay_err_code, order)
        if order.trade_state in ("CLOSED", "REVOKED"):
            return self._final(PayState.NOT_PAID, amount, f"{order.trade_state_desc}，未扣款", "", order)
        if order.trade_state == "USERPAYING" and self.state is not PayState.WAITING_CONFIRM:
            self._go(PayState.WAITING_CONFIRM)
            self.events.emit(PAY_WAITING_CONFIRM, out_trade_no=self.out_trade_no, amount_fen=amount)
        elif order.trade_state == "NOTPAY" and self.state not in (PayState.WAITING_SCAN, PayState.WAITING_CONFIRM):
            self._go(PayState.WAITING_SCAN)
            self.events.emit(PAY_WAITING_SCAN, out_trade_no=self.out_trade_no, code_url=order.code_url,
                             amount_fen=amount)
        return None

    def _close(self, amount: int, qr: bool) -> PaymentResult:
        """Deadline or cancel: close / reverse, then ask once more; paid wins over closed."""
        self._go(PayState.CLOSING)
        try:
            if qr:
                self.client.close(self.out_trade_no)
            else:
                self.client.reverse(self.out_trade_no)
        except PaymentUnavailable:
            pass
        except PaymentError as exc:
            if exc.code == ORDER_NOT_EXIST:
                return self._final(PayState.NOT_PAID, amount, "支付超时，订单未创建，未扣款", exc.code)
            # E3712: paid meanwhile (the query below reports it); anything else: the query decides
        try:
            order = self.client.query(self.out_trade_no)
        except PaymentError as exc:
            if exc.code == ORDER_NOT_EXIST:
                return self._final(PayState.NOT_PAID, amount, "支付超时，订单未创建，未扣款", exc.code)
            return self._final(PayState.UNKNOWN, amount, "支付结果暂时无法确认，请稍后查询，切勿重复缴费", exc.code)
        if order.paid:
            return self._final(PayState.PAID, amount, "支付成功", order=order)
        if order.open:
            return self._final(PayState.UNKNOWN, amount, "订单未能关闭，支付结果待确认，请稍后查询，切勿重复缴费",
                               "E5710", order)
        reason = "已取消支付，未扣款" if self._cancelled.is_set() else "支付超时，订单已关闭，未扣款"
        if order.trade_state == "PAYERROR":
            reason = order.trade_state_desc
        return self._final(PayState.NOT_PAID, amount, reason, "E5712", order)

    def _final(self, state: PayState, amount: int, message: str, code: str = "",
               order: OrderStatus | None = None) -> PaymentResult:
        self._go(state)
        result = PaymentResult(self.out_trade_no, state, amount, message, code, order)
        if state is PayState.PAID:
            self.events.emit(PAY_PAID, result=result)
        else:
            self.events.emit(PAY_FAILED, result=result, code=code, message=message)
        return result

    def _begin(self, out_trade_no: str) -> None:
        if self.state not in (PayState.IDLE, *FINAL):
            raise PaymentInputError(f"上一笔支付（{self.out_trade_no}）尚未结束", code="E5713")
        self.state = PayState.IDLE
        self.out_trade_no = out_trade_no
        self._cancelled.clear()

    def _go(self, state: PayState) -> None:
        if state not in _ALLOWED.get(self.state, ()):
            raise RuntimeError(f"payment session: {self.state.value} -> {state.value} is not a transition")
        self.state = state
        self.events.emit(PAY_STATE, state=state, out_trade_no=self.out_trade_no)

    def _delays(self) -> Iterator[float]:
        yield from self.backoff
        while True:
            yield self.backoff[-1]

    def _cancellable_sleep(self, seconds: float) -> None:
        # the real sleep wakes up when the patient cancels
        self._cancelled.wait(seconds)


def _check_order(amount: int, method: str, out_trade_no: str) -> None:
    """What pay and resume both need: amount, method, order number."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise PaymentInputError("支付金额amount_fen必须是大于0的整数（分）")
    if method not in ("qr", "code"):
        raise PaymentInputError(f"支付方式method必须是qr（扫码）或code（付款码），收到“{method}”")
    if not out_trade_no or len(out_trade_no) > 32:
        raise PaymentInputError("缺少商户订单号out_trade_no（1到32位，须在支付前由调用方保存）")


def _check_input(amount: int, method: str, auth_code: str | None, subject: str, out_trade_no: str) -> None:
    """A new payment: also the payment code (被扫) and what is paid for."""
    _check_order(amount, method, out_trade_no)
    if method == "code" and not auth_code:
        raise PaymentInputError("付款码支付缺少付款码auth_code")
    if not subject:
        raise PaymentInputError("缺少支付内容subject")
