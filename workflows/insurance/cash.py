"""How the cash part of an insured settlement is taken and given back.

The flow records the trade number in the terminal store *before* :meth:`CashDesk.pay` is called
(write before pay), so a crash in the middle is resumed with :meth:`CashDesk.resume` by that
number and never charged twice. Refunds go back to the original channel.

* :class:`WindowCash` — cash at the cashier's window: the cashier confirms the money received
  (the GUI asks); refund = the cash handed back, recorded.
* :class:`KioskPay` — the payment platform through :class:`workflows.payment_session.PaymentSession`
  (QR 主扫 or payment code 被扫), as the kiosk's self-pay orders do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workflows.payment_session import PaymentSession, PayState

PAID, NOT_PAID, IN_DOUBT = "paid", "not_paid", "in_doubt"


@dataclass(frozen=True, slots=True)
class CashResult:
    """How a cash payment (or refund) ended: ``state`` paid | not_paid | in_doubt."""

    state: str
    message: str = ""
    transaction_id: str = ""

    @property
    def paid(self) -> bool:
        """True only when the money was received (or, for a refund, given back)."""
        return self.state == PAID


class CashDesk(Protocol):
    """Takes and gives back the cash part of a settlement."""

    #: payChannelCode of the cash part on the e-bill (02 现金, 09 自助机, 05 微信 ...).
    channel: str

    def pay(self, trade_no: str, amount_fen: int, subject: str) -> CashResult:
        """Take ``amount_fen`` under ``trade_no`` (already recorded by the caller)."""
        ...

    def resume(self, trade_no: str, amount_fen: int) -> CashResult:
        """Find out how a payment a crashed terminal started ended."""
        ...

    def refund(self, trade_no: str, amount_fen: int, reason: str) -> CashResult:
        """Give ``amount_fen`` back to the original channel (idempotent per trade number)."""
        ...


class WindowCash:
    """Cash at the window: the cashier has counted the money before the flow is told to go on."""

    channel = "02"

    def pay(self, trade_no: str, amount_fen: int, subject: str) -> CashResult:
        """Cash taken at the window (the GUI confirmed it): always paid."""
        return CashResult(PAID, "现金已收", trade_no)

    def resume(self, trade_no: str, amount_fen: int) -> CashResult:
        """A window payment was recorded as started: the cashier had the money in hand."""
        return CashResult(PAID, "现金已收", trade_no)

    def refund(self, trade_no: str, amount_fen: int, reason: str) -> CashResult:
        """Cash handed back at the window."""
        return CashResult(PAID, "现金已退还", trade_no)


class KioskPay:
    """The payment platform (QR or payment code) through a :class:`PaymentSession`."""

    def __init__(self, session: PaymentSession, method: str = "qr", auth_code: str | None = None,
                 channel: str = "09") -> None:
        self.session = session
        self.method = method
        self.auth_code = auth_code
        self.channel = channel

    def pay(self, trade_no: str, amount_fen: int, subject: str) -> CashResult:
        """Take the payment; blocks until paid, not paid or in doubt."""
        result = self.session.pay(amount_fen, self.method, self.auth_code, subject, trade_no)
        return _of(result.state, result.message, result.order.transaction_id if result.order else "")

    def resume(self, trade_no: str, amount_fen: int) -> CashResult:
        """Ask the platform by number and go on from the order's state."""
        result = self.session.resume(trade_no, amount_fen, self.method)
        return _of(result.state, result.message, result.order.transaction_id if result.order else "")

    def refund(self, trade_no: str, amount_fen: int, reason: str) -> CashResult:
        """Refund to the original channel (the refund number derives from the trade number)."""
        status = self.session.refund(trade_no, amount_fen, reason)
        if status.refund_status in ("SUCCESS", "PROCESSING"):
            return CashResult(PAID, "已原路退款", status.refund_id)
        return CashResult(IN_DOUBT, f"退款状态：{status.refund_status}")


def _of(state: PayState, message: str, transaction_id: str) -> CashResult:
    if state is PayState.PAID:
        return CashResult(PAID, message, transaction_id)
    if state is PayState.UNKNOWN:
        return CashResult(IN_DOUBT, message or "支付结果待确认")
    return CashResult(NOT_PAID, message or "未支付")
