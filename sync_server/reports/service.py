"""The terminal-api method ``financeReport``: one report by name, for finance and admin users.

``{"report": <name>, dateFrom, dateTo, placeCode?, payee?, busType?, page?, pageSize?}`` ->
the answer of reports/table.py. Names: :data:`REPORTS`. Read-only (one read transaction), so
nothing is audited; the caller's role is checked by the permissions table (``financeReport``:
finance, admin).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection

from sync_server.context import ServerContext
from sync_server.reports import details, stock_reports, summaries
from sync_server.reports.errors import UnknownReportError
from sync_server.reports.filters import ReportFilter, parse_filter
from sync_server.reports.table import Report
from sync_server.store.db import read_tx

#: report name -> (Chinese title, builder)
REPORTS: Mapping[str, tuple[str, Callable[[Connection, ReportFilter], Report]]] = MappingProxyType({
    "invoiceDetail": ("开票明细表", details.invoice_detail),
    "invoiceSummary": ("开票汇总表", summaries.invoice_summary),
    "redDetail": ("医疗冲红明细表", details.red_detail),
    "blockchainDetail": ("区块链票据明细表", details.blockchain_detail),
    "cashierSummary": ("收费员汇总表", summaries.cashier_summary),
    "channelSummary": ("缴款渠道汇总表", summaries.channel_summary),
    "dailyDetail": ("日报明细表", details.daily_detail),
    # stock (issue 18 §2 data, docs/STOCK.md read API)
    "stockBalance": ("库存结余表", stock_reports.stock_balance),
    "stockWarnings": ("库存不足预警表", stock_reports.stock_warnings),
    "stockIn": ("票据入库情况表", stock_reports.stock_in),
    "stockDistribution": ("票据分发情况表", stock_reports.stock_distribution),
    "stockVoids": ("库存作废情况表", stock_reports.stock_voids),
    "stockLedger": ("票据领用存表", stock_reports.stock_ledger),
})


def run(ctx: ServerContext, data: dict[str, Any]) -> dict[str, Any]:
    """Build the named report for the request's filter (E5971 unknown name, E5970 bad filter)."""
    name = str(data.get("report") or "")
    entry = REPORTS.get(name)
    if entry is None:
        raise UnknownReportError(f"report（报表名称）不是已知报表：{name[:40]}；可选：{'、'.join(REPORTS)}")
    f = parse_filter(data)
    with read_tx(ctx.engine) as conn:
        return entry[1](conn, f).wire()
