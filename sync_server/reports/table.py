"""The one answer shape of every report: columns, one page of rows, totals over all rows.

On the wire (terminal api ``financeReport``)::

    {"report": "cashierSummary", "title": "收费员汇总表", "filter": {...},
     "columns": [{"key": "payee", "title": "收费员", "kind": "text"}, ...],
     "rows": [{"payee": "李娜", "count": "3", "amount": "120.00", ...}],
     "totals": {"count": "12", "amount": "980.50", ...},
     "rowCount": "17", "page": "1", "pageSize": "100",
     "chart": {"label": "payee", "value": "net"}}

Every value is a string; amounts have two places (Decimal, never float). ``totals`` covers every
row of the filter, not only the page. ``chart`` (optional) names the label and value columns a
screen draws as bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billing_core.codes import BUS_TYPE
from sync_server.reports.filters import ReportFilter

#: column kinds: text, count (integer), money (two places)
TEXT, COUNT, MONEY = "text", "count", "money"

ORIGINS = {"online": "在线", "emergency": "服务器应急", "terminal": "终端应急"}


@dataclass(slots=True)
class Report:
    """One report answer (see the module docstring for its wire form)."""

    name: str
    title: str
    filter: ReportFilter
    columns: Sequence[tuple[str, str, str]]  # key, Chinese title, kind
    rows: list[dict[str, str]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)
    row_count: int = 0
    chart: tuple[str, str] | None = None

    def wire(self) -> dict[str, Any]:
        """The answer as sent to the terminal."""
        out: dict[str, Any] = {
            "report": self.name, "title": self.title, "filter": self.filter.echo(),
            "columns": [{"key": k, "title": t, "kind": kind} for k, t, kind in self.columns],
            "rows": self.rows, "totals": self.totals, "rowCount": str(self.row_count),
            "page": str(self.filter.page), "pageSize": str(self.filter.page_size)}
        if self.chart:
            out["chart"] = {"label": self.chart[0], "value": self.chart[1]}
        return out


def amount(value: Decimal) -> str:
    """An amount on the wire: two places, no thousands separator."""
    return f"{value:.2f}"


def bus_type_name(code: str | None) -> str:
    """The business type's Chinese name (the code itself when unknown)."""
    return BUS_TYPE.entries.get(code or "", code or "")


def time_text(ts: str | None) -> str:
    """``yyyyMMddHHmmss...`` as ``yyyy-MM-dd HH:mm:ss`` ('' when absent)."""
    t = str(ts or "")
    if len(t) < 14:
        return t
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"


def page_of(rows: list[dict[str, str]], f: ReportFilter) -> list[dict[str, str]]:
    """The filter's page of rows already in memory (summaries: a few dozen groups)."""
    return rows[f.offset:f.offset + f.page_size]
