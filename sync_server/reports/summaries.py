"""Summary reports: 开票汇总表 (by point and type), 收费员汇总表, 缴款渠道汇总表.

Each is two GROUP BY queries (charges from the blue bills, refunds from the red bills, see
reports/sources.py) merged by key; a group has a handful of rows, so the page is cut in memory
and the totals are the sums of every group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from billing_core.codes import PAY_CHANNEL
from sync_server.reports.details import place_names
from sync_server.reports.filters import ReportFilter
from sync_server.reports.sources import blue_where, money, red_where
from sync_server.reports.table import COUNT, MONEY, TEXT, Report, amount, bus_type_name, page_of
from sync_server.store.schema import bills, pay_channels, red_bills

_ZERO = Decimal("0.00")
NO_PAYEE = "（未填收费员）"

_FIGURES = (("count", "开票张数", COUNT), ("amount", "开票金额", MONEY), ("redCount", "冲红张数", COUNT),
            ("redAmount", "冲红金额", MONEY), ("net", "实收金额", MONEY))


class _Group:
    __slots__ = ("count", "amount", "red_count", "red_amount")

    def __init__(self) -> None:
        self.count = 0
        self.amount = _ZERO
        self.red_count = 0
        self.red_amount = _ZERO  # negative

    def figures(self) -> dict[str, str]:
        return {"count": str(self.count), "amount": amount(self.amount), "redCount": str(self.red_count),
                "redAmount": amount(self.red_amount), "net": amount(self.amount + self.red_amount)}


def _grouped(conn: Connection, f: ReportFilter, keys: list[Any]) -> dict[tuple[Any, ...], _Group]:
    groups: dict[tuple[Any, ...], _Group] = {}
    blue = select(*keys, func.count(), func.sum(bills.c.total_amt)).where(blue_where(f)).group_by(*keys)
    for *key, n, total in conn.execute(blue):
        g = groups.setdefault(tuple(key), _Group())
        g.count, g.amount = int(n), money(total)
    red = select(*keys, func.count(), func.sum(red_bills.c.total_amt)).select_from(
        red_bills.join(bills, red_bills.c.bill_id == bills.c.id)).where(red_where(f)).group_by(*keys)
    for *key, n, total in conn.execute(red):
        g = groups.setdefault(tuple(key), _Group())
        g.red_count, g.red_amount = int(n), money(total)
    return groups


def _summary(name: str, title: str, f: ReportFilter, head: tuple[tuple[str, str, str], ...],
             groups: dict[tuple[Any, ...], _Group], label: Callable[[tuple[Any, ...]], dict[str, str]],
             chart_label: str) -> Report:
    rows = [label(k) | g.figures() for k, g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0]))]
    total = _Group()
    for g in groups.values():
        total.count += g.count
        total.amount += g.amount
        total.red_count += g.red_count
        total.red_amount += g.red_amount
    return Report(name, title, f, head + _FIGURES, page_of(rows, f), total.figures(), len(rows),
                  chart=(chart_label, "net"))


def invoice_summary(conn: Connection, f: ReportFilter) -> Report:
    """开票汇总表: per billing point and business type."""
    names = place_names(conn)
    groups = _grouped(conn, f, [bills.c.place_code, bills.c.bus_type])
    return _summary("invoiceSummary", "开票汇总表", f,
                    (("place", "开票点", TEXT), ("busType", "票据类型", TEXT)), groups,
                    lambda k: {"place": f"{k[0]} {names.get(k[0], '')}".strip(), "busType": bus_type_name(k[1])},
                    "busType")


def cashier_summary(conn: Connection, f: ReportFilter) -> Report:
    """收费员汇总表: per cashier (the bill's payee)."""
    groups = _grouped(conn, f, [bills.c.payee])
    return _summary("cashierSummary", "收费员汇总表", f, (("payee", "收费员", TEXT),), groups,
                    lambda k: {"payee": k[0] or NO_PAYEE}, "payee")


def _channel_sums(rows: Iterable[Any]) -> dict[str, Decimal]:
    return {str(code): money(total) for code, total in rows}


def channel_summary(conn: Connection, f: ReportFilter) -> Report:
    """缴款渠道汇总表: per pay channel, what came in (blue bills) and went back (red bills)."""
    charged = _channel_sums(conn.execute(
        select(pay_channels.c.code, func.sum(pay_channels.c.value)).select_from(
            pay_channels.join(bills, pay_channels.c.bill_id == bills.c.id)).where(blue_where(f))
        .group_by(pay_channels.c.code)))
    refunded = _channel_sums(conn.execute(
        select(pay_channels.c.code, func.sum(pay_channels.c.value)).select_from(
            red_bills.join(bills, red_bills.c.bill_id == bills.c.id)
            .join(pay_channels, pay_channels.c.bill_id == bills.c.id)).where(red_where(f))
        .group_by(pay_channels.c.code)))
    rows = []
    for code in sorted(set(charged) | set(refunded)):
        got, back = charged.get(code, _ZERO), refunded.get(code, _ZERO)
        rows.append({"code": code, "channel": PAY_CHANNEL.entries.get(code, code), "amount": amount(got),
                     "refund": amount(-back), "net": amount(got - back)})
    total_in, total_back = sum(charged.values(), _ZERO), sum(refunded.values(), _ZERO)
    head = (("code", "渠道编码", TEXT), ("channel", "缴款渠道", TEXT), ("amount", "收款金额", MONEY),
            ("refund", "退款金额", MONEY), ("net", "实收金额", MONEY))
    return Report("channelSummary", "缴款渠道汇总表", f, head, page_of(rows, f),
                  {"amount": amount(total_in), "refund": amount(-total_back), "net": amount(total_in - total_back)},
                  len(rows), chart=("channel", "net"))
