"""Refund of the surplus deposit at discharge to its original channel(s), to the fen.

The HIS's discharge settlement answers ``refundDue`` (deposit paid - bill). That amount goes back
on the payment orders that paid the deposit (HIS deposit settlements of the stay, ``payRef`` = the
payment platform's ``out_trade_no``), newest first, each at most what it paid. The plan is written
into the discharge order (``result["refunds"]``) *before* the first refund call, with a fixed
``out_refund_no`` per line, so a repeat after a crash or a timeout is the same refund (the platform
is idempotent on it): never refunded twice. What no payment order can take back (a deposit paid in
cash at the admission office) is a ``manual`` line: 请到住院处退还.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflows.his import Settlement

PENDING, DONE, MANUAL = "pending", "done", "manual"
#: HIS pay-channel codes the payment platform takes back (05 WeChat, 04 Alipay, 08 UnionPay).
PLATFORM_CHANNELS = frozenset({"04", "05", "08"})


@dataclass(frozen=True, slots=True)
class RefundLine:
    """One refund of the plan (amounts in fen)."""

    out_trade_no: str
    fen: int
    out_refund_no: str
    state: str
    message: str = ""

    def wire(self) -> dict[str, Any]:
        """The stored form (JSON in the order's result)."""
        return {"outTradeNo": self.out_trade_no, "fen": self.fen, "outRefundNo": self.out_refund_no,
                "state": self.state, "message": self.message}

    @classmethod
    def of(cls, d: dict[str, Any]) -> RefundLine:
        return cls(str(d["outTradeNo"]), int(d["fen"]), str(d["outRefundNo"]), str(d["state"]),
                   str(d.get("message", "")))


def fen_of(value: Decimal) -> int:
    """Yuan (two places) -> integer fen, exactly."""
    return int((value * 100).to_integral_exact())


def plan(order_no: str, refund_fen: int, deposits: list[Settlement], already: dict[str, int]) -> list[RefundLine]:
    """Split ``refund_fen`` over the stay's deposit payments, newest first.

    :param deposits: the stay's deposit settlements (reversed ones are skipped).
    :param already: out_trade_no -> fen already refunded on it (reversals), never refunded again.
    :returns: lines whose fen add up to ``refund_fen`` exactly (the last may be ``manual``).
    """
    left = refund_fen
    lines: list[RefundLine] = []
    usable = [s for s in deposits if s.status == "settled" and s.pay_ref and s.pay_channel in PLATFORM_CHANNELS]
    for s in sorted(usable, key=lambda s: (s.created_at, s.settlement_no), reverse=True):
        if left <= 0:
            break
        room = fen_of(s.external_part) - already.get(s.pay_ref, 0)
        take = min(room, left)
        if take <= 0:
            continue
        lines.append(RefundLine(s.pay_ref, take, f"{order_no}D{len(lines) + 1}", PENDING))
        left -= take
    if left > 0:
        lines.append(RefundLine("", left, f"{order_no}M", MANUAL, f"{Decimal(left) / 100:.2f}元无原路可退，请到住院处退还"))
    assert sum(x.fen for x in lines) == refund_fen  # to the fen, always
    return lines
