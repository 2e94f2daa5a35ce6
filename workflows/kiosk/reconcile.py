"""Daily reconciliation (对账): the payment platform's statement vs the kiosk's orders vs the HIS
settlements. Every difference is listed by kind so finance can act on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from offline_store.kiosk_orders import KioskOrder
from workflows.his import Settlement
from workflows.payment_client import Statement


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


PAID_STATES = ("paid", "settled", "billed", "printed", "refunding", "refunded")
SETTLED_STATES = ("settled", "billed", "printed")


def _yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def compare(day: date, prefix: str, statement: Statement, orders: list[KioskOrder],
            settlements: list[Settlement]) -> ReconciliationReport:
    """Compare one day's three sides.

    :param prefix: this kiosk's order-number prefix (the merchant's statement covers every
        terminal; only numbers with the prefix are this kiosk's).
    :param orders: the kiosk's orders of the day.
    :param settlements: the HIS settlements of the orders' patients (any day; matched by payRef =
        order number for external payments, by settlement number for the rest).
    """
    diffs: list[Difference] = []
    by_no = {o.order_no: o for o in orders}
    paid_rows: dict[str, int] = {}
    refund_rows: dict[str, int] = {}
    for row in statement.rows:
        if not row.out_trade_no.startswith(prefix):
            continue
        if row.kind == "支付":
            paid_rows[row.out_trade_no] = paid_rows.get(row.out_trade_no, 0) + row.amount
        else:
            refund_rows[row.out_trade_no] = refund_rows.get(row.out_trade_no, 0) + row.refund
    external = [o for o in orders if o.pay_method in ("qr", "code")]
    for no, fen in sorted(paid_rows.items()):
        order = by_no.get(no)
        if order is None:
            diffs.append(Difference(DiffKind.PAID_NOT_IN_KIOSK, no, "", Decimal("0.00"), _yuan(fen),
                                    f"支付平台有收款{_yuan(fen)}元，自助机无此订单"))
        elif order.amount_fen != fen:
            diffs.append(Difference(DiffKind.AMOUNT_MISMATCH, no, "", _yuan(order.amount_fen), _yuan(fen),
                                    f"订单金额{_yuan(order.amount_fen)}元，支付平台收款{_yuan(fen)}元"))
    for order in external:
        if order.state in PAID_STATES and order.order_no not in paid_rows:
            diffs.append(Difference(DiffKind.KIOSK_PAID_NOT_ON_STATEMENT, order.order_no, "",
                                    _yuan(order.amount_fen), Decimal("0.00"), "自助机记为已支付，对账单无此笔收款"))
        refunded = refund_rows.get(order.order_no, 0)
        reversed_in_his = any(s.status == "reversed" for s in settlements if s.settlement_no in order.settlements)
        if order.state == "refunded" and not refunded or refunded and order.state != "refunded" and not reversed_in_his:
            diffs.append(Difference(DiffKind.REFUND_MISMATCH, order.order_no, "",
                                    _yuan(order.amount_fen if order.state == "refunded" else 0), _yuan(refunded),
                                    "退款记录不一致（自助机与对账单）"))
    his_by_ref: dict[str, list[Settlement]] = {}
    his_by_no = {s.settlement_no: s for s in settlements}
    for s in settlements:
        if s.pay_ref:
            his_by_ref.setdefault(s.pay_ref, []).append(s)
    for order in orders:
        if order.state in ("paid", "refunding"):
            diffs.append(Difference(DiffKind.PAID_NOT_SETTLED, order.order_no, "", _yuan(order.amount_fen),
                                    Decimal("0.00"), "已收款但HIS未结算、也未退款"))
            continue
        if order.state not in SETTLED_STATES:
            continue
        found = his_by_ref.get(order.order_no) or [his_by_no[n] for n in order.settlements if n in his_by_no]
        total = sum((s.amount for s in found if s.status != "reversal"), Decimal("0.00"))
        if not found:
            diffs.append(Difference(DiffKind.PAID_NOT_SETTLED, order.order_no, ",".join(order.settlements),
                                    _yuan(order.amount_fen), Decimal("0.00"), "HIS查无此订单的结算"))
        elif order.pay_method != "none" and order.flow != "discharge" and total != _yuan(order.amount_fen):
            diffs.append(Difference(DiffKind.SETTLEMENT_AMOUNT_MISMATCH, order.order_no,
                                    ",".join(s.settlement_no for s in found), _yuan(order.amount_fen), total,
                                    f"订单金额{_yuan(order.amount_fen)}元，HIS结算{total}元"))
    for ref, found in sorted(his_by_ref.items()):
        if ref.startswith(prefix) and ref not in by_no:
            diffs.append(Difference(DiffKind.SETTLED_NOT_IN_KIOSK, ref, found[0].settlement_no, Decimal("0.00"),
                                    found[0].amount, "HIS有此支付流水的结算，自助机无此订单"))
    kiosk_paid = sum((o.amount_fen for o in external if o.state in PAID_STATES), 0)
    his_external = sum((s.external_part for refs in his_by_ref.values() for s in refs
                        if s.pay_ref in by_no and s.status != "reversal"), Decimal("0.00"))
    return ReconciliationReport(day, _yuan(statement.pay_total), _yuan(statement.refund_total), _yuan(kiosk_paid),
                                his_external, len(orders), tuple(diffs))
