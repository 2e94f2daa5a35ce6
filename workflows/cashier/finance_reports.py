"""The finance office's hospital-wide reports (issue 18 §3): ask the server, hold one report.

The server builds every report (``financeReport``, docs/REPORTS.md); this module checks the
screen's filter, fetches a page or every page (for export and print), and turns the wire answer
into a :class:`ReportTable` of Decimals the screen, the exports (finance_exports.py) and the print
template (print_templates.report_pages) share. Qt-free: plain pytest drives it against a real
server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from billing_core import methods
from workflows.cashier.finance_errors import ReportAnswerInvalid, ReportInputInvalid

#: report name -> Chinese title, in the order the screen offers them
REPORT_TITLES: Mapping[str, str] = {
    "invoiceDetail": "开票明细表", "invoiceSummary": "开票汇总表", "redDetail": "医疗冲红明细表",
    "blockchainDetail": "区块链票据明细表", "cashierSummary": "收费员汇总表",
    "channelSummary": "缴款渠道汇总表", "dailyDetail": "日报明细表",
    "stockBalance": "库存结余表", "stockWarnings": "库存不足预警表", "stockIn": "票据入库情况表",
    "stockDistribution": "票据分发情况表", "stockVoids": "库存作废情况表", "stockLedger": "票据领用存表",
}
#: the server's page-size limit; exports fetch pages of this size until every row is in
FETCH_PAGE = 500
MAX_DAYS = 366


class TerminalApi(Protocol):
    """What the module needs of workflows.server_api.ServerApi."""

    def terminal(self, method: str, data: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What the screen asks for (dates inclusive)."""

    report: str
    date_from: date
    date_to: date
    place_code: str = ""
    payee: str = ""
    bus_type: str = ""
    page: int = 1
    page_size: int = 100

    def check(self) -> None:
        """E3090 naming the field when the query cannot be sent."""
        if self.report not in REPORT_TITLES:
            raise ReportInputInvalid(f"报表名称不是已知报表：{self.report}")
        if self.date_to < self.date_from:
            raise ReportInputInvalid("结束日期不能早于开始日期")
        if (self.date_to - self.date_from).days + 1 > MAX_DAYS:
            raise ReportInputInvalid(f"查询日期范围不能超过{MAX_DAYS}天")
        if self.page < 1 or not 1 <= self.page_size <= FETCH_PAGE:
            raise ReportInputInvalid(f"页码从1开始，每页条数在1到{FETCH_PAGE}之间")

    def wire(self) -> dict[str, str]:
        out = {"report": self.report, "dateFrom": self.date_from.isoformat(), "dateTo": self.date_to.isoformat(),
               "page": str(self.page), "pageSize": str(self.page_size)}
        for key, value in (("placeCode", self.place_code), ("payee", self.payee), ("busType", self.bus_type)):
            if value.strip():
                out[key] = value.strip()
        return out

    def describe(self) -> str:
        """The filter in words, for the export's first line and the printed header."""
        parts = [f"日期 {self.date_from.isoformat()} 至 {self.date_to.isoformat()}"]
        for label, value in (("开票点", self.place_code), ("收费员", self.payee), ("票据类型", self.bus_type)):
            parts.append(f"{label} {value.strip() or '全部'}")
        return "  ".join(parts)


@dataclass(frozen=True, slots=True)
class ReportColumn:
    key: str
    title: str
    kind: str  # text | count | money


@dataclass(slots=True)
class ReportTable:
    """One report: columns, rows (one page, or all of them after :func:`fetch_all`), totals."""

    query: ReportQuery
    title: str
    columns: list[ReportColumn]
    rows: list[dict[str, str]]
    totals: dict[str, str]
    row_count: int
    chart: tuple[str, str] | None = None

    def value(self, row: Mapping[str, str], col: ReportColumn) -> str | int | Decimal:
        """A cell as its kind: amounts Decimal, counts int, text str."""
        raw = row.get(col.key, "")
        if col.kind == "money" and raw != "":
            return Decimal(raw)
        if col.kind == "count" and raw != "":
            return int(raw)
        return raw

    def totals_line(self) -> str:
        """The totals in words (合计 ...), by the report's own column titles where they match."""
        titles = {c.key: c.title for c in self.columns}
        names = {"count": "张数", "blueCount": "开票张数", "blueAmount": "开票金额", "redCount": "冲红张数", "redAmount": "冲红金额",
                 "netAmount": "实收金额"}
        return "合计  " + "  ".join(f"{titles.get(k) or names.get(k, k)} {v}" for k, v in self.totals.items())

    def chart_points(self) -> list[tuple[str, Decimal]]:
        """(label, value) for a bar chart, rows of one label added up (开票汇总表 per point and type
        draws one bar per type), in the order labels first appear; [] when the report has none."""
        if self.chart is None:
            return []
        label, value = self.chart
        sums: dict[str, Decimal] = {}
        for r in self.rows:
            key = r.get(label, "")
            sums[key] = sums.get(key, Decimal("0.00")) + Decimal(r.get(value) or "0")
        return list(sums.items())

    def chart_title(self) -> str:
        """What the chart shows: '<report> · <value column> (按<label column>)'."""
        if self.chart is None:
            return ""
        titles = {c.key: c.title for c in self.columns}
        return f"{self.title} · {titles.get(self.chart[1], '')}（按{titles.get(self.chart[0], '')}）"


def _table(query: ReportQuery, answer: Any) -> ReportTable:
    try:
        columns = [ReportColumn(str(c["key"]), str(c["title"]), str(c["kind"])) for c in answer["columns"]]
        rows = [{str(k): str(v) for k, v in r.items()} for r in answer["rows"]]
        totals = {str(k): str(v) for k, v in answer["totals"].items()}
        chart = (str(answer["chart"]["label"]), str(answer["chart"]["value"])) if answer.get("chart") else None
        for r in rows:
            for c in columns:
                if c.kind == "money" and r.get(c.key):
                    Decimal(r[c.key])
        return ReportTable(query, str(answer["title"]), columns, rows, totals, int(answer["rowCount"]), chart)
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError):
        raise ReportAnswerInvalid() from None


def fetch(api: TerminalApi, query: ReportQuery) -> ReportTable:
    """One page of the report (the server's E5970/E2033 ... come through as PlatformError)."""
    query.check()
    return _table(query, api.terminal(methods.TERMINAL_REPORT, query.wire()))


def fetch_all(api: TerminalApi, query: ReportQuery) -> ReportTable:
    """Every row of the report, page after page (for export and print)."""
    q = replace(query, page=1, page_size=FETCH_PAGE)
    table = fetch(api, q)
    while len(table.rows) < table.row_count:
        q = replace(q, page=q.page + 1)
        more = fetch(api, q)
        if not more.rows:
            break  # rows went away between pages: export what there is
        table.rows += more.rows
    table.query = query
    return table
