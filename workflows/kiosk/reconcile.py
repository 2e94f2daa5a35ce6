"""Daily reconciliation (对账): the payment platform's statement vs the kiosk's orders vs the HIS
settlements. Every difference is listed by kind so finance can act on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum


class DiffKind(StrEnum):
    """Kinds of reconciliation differences."""

    PAID_NOT_IN_KIOSK = "paid_not_in_kiosk"        # on the statement, no kiosk order
    KIOSK_PAID_NOT_ON_STATEMENT = "kiosk_paid_not_on_statement"  # kiosk says paid, platform has no payment
    AMOUNT_MISMATCH = "amount_mismatch"            # statement amount != order amount
    PAID_NOT_SETTLED = "paid_not_settled"          # paid, no HIS settlement, not refunded
    SETTLED_NOT_IN_KIOSK = "settled_not_in_kiosk"  # HIS settlement with the kiosk's payRef, no order
    SETTLEMENT_AMOUNT_MISMATCH = "settlement_amount_mismatch"  # HIS amount != order amount
    REFUND_MISMATCH = "refund_mismatch"            # refunded per one side only


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference: its kind, the order / settlement involved, both amounts, a Chinese text."""

    kind: DiffKind
    order_no: str
    settlement_no: str
    expected: Decimal
    found: Decimal
    message: str


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """The day's comparison. ``ok`` when there is no difference."""

    day: date
    statement_pay_total: Decimal
    statement_refund_total: Decimal
    kiosk_paid_total: Decimal
    his_external_total: Decimal
    orders_checked: int
    differences: tuple[Difference, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when the three sides agree."""
        return not self.differences

    def by_kind(self) -> dict[DiffKind, list[Difference]]:
        """Differences grouped by kind."""
        out: dict[DiffKind, list[Difference]] = {}
        for d in self.differences:
            out.setdefault(d.kind, []).append(d)
        return out
