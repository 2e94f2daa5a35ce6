"""The finance office's report workflow (workflows.cashier.finance_reports / finance_exports)
against the seeded server: every page fetched, CSV and XLSX written and read back (openpyxl),
matching the report and the test's own count; the print job's pages hold every row."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from traffic import Traffic

from billing_core.errors import BillingError
from workflows.cashier import finance_exports as exports
from workflows.cashier import finance_reports as fr
from workflows.cashier.finance_errors import ReportInputInvalid
from workflows.server_api import ServerApi
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


def _api(traffic: Traffic, token: str) -> ServerApi:
    term = next(c for c in traffic.server.demo["callers"] if c["appid"] == "TERM01")
    client = SyncClient(f"http://127.0.0.1:{traffic.server.port}", term["appid"], term["key"])
    client.set_user("finance", token)
    return ServerApi(client)


def _query(traffic: Traffic, report: str, **kw: object) -> fr.ReportQuery:
    lo, hi = traffic.days
    return fr.ReportQuery(report, date.fromisoformat(lo), date.fromisoformat(hi), **kw)  # type: ignore[arg-type]


def test_fetch_all_pages_and_export(traffic: Traffic, tmp_path: Path) -> None:
    api = _api(traffic, traffic.finance_token)
    # fetch_all walks pages: force small pages through the server's paging by asking page by page
    first = fr.fetch(api, _query(traffic, "invoiceDetail", page_size=7))
    assert len(first.rows) == 7 and first.row_count == len(traffic.bills)
    table = fr.fetch_all(api, _query(traffic, "invoiceDetail"))
    assert sorted(r["billNo"] for r in table.rows) == sorted(b.no for b in traffic.bills)
    want_total = sum((b.total for b in traffic.bills), Decimal("0.00"))

    xlsx = exports.export_xlsx(table, tmp_path / "detail.xlsx")
    ws = openpyxl.load_workbook(xlsx).active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == "开票明细表" and values[1][:2] == ["开票时间", "开票点"]
    body = values[2:-1]
    amount_col = values[1].index("金额")
    assert len(body) == len(traffic.bills)
    assert sum((Decimal(str(r[amount_col])) for r in body), Decimal(0)) == want_total
    assert {str(r[values[1].index("票据号码")]) for r in body} == {b.no for b in traffic.bills}
    assert values[-1][0] == "合计" and Decimal(str(values[-1][amount_col])) == want_total

    path = exports.export_csv(table, tmp_path / "detail.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[1] == [c.title for c in table.columns] and len(lines) == len(traffic.bills) + 3
    assert sum((Decimal(r[amount_col]) for r in lines[2:-1]), Decimal(0)) == want_total


def test_summary_export_matches_the_count(traffic: Traffic, tmp_path: Path) -> None:
    api = _api(traffic, traffic.finance_token)
    table = fr.fetch_all(api, _query(traffic, "cashierSummary"))
    ws = openpyxl.load_workbook(exports.export_xlsx(table, tmp_path / "c.xlsx")).active
    assert ws is not None
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = rows[1]
    got = {r[0]: Decimal(str(r[head.index("实收金额")])) for r in rows[2:-1]}
    want: dict[str, Decimal] = {}
    for b in traffic.bills:
        want[b.payee] = want.get(b.payee, Decimal("0.00")) + (Decimal(0) if b.red else b.total)
    assert got == want
    assert table.chart_points() and {label for label, _v in table.chart_points()} == set(want)
    job = exports.report_print_job(table)
    texts = [i.text for p in job.pages for i in p.items if hasattr(i, "text")]
    assert "收费员汇总表" in texts and all(name in texts for name in want)
    assert any(t.startswith("合计") for t in texts)


def test_print_pages_hold_every_row(traffic: Traffic) -> None:
    table = fr.fetch_all(_api(traffic, traffic.finance_token), _query(traffic, "dailyDetail"))
    job = exports.report_print_job(table)
    assert len(job.pages) == -(-len(table.rows) // 24)
    numbers = [i.text for p in job.pages for i in p.items if getattr(i, "name", "").startswith("r")
               and i.text in {b.no for b in traffic.bills}]
    assert sorted(set(numbers)) == sorted(b.no for b in traffic.bills)


def test_refusals_reach_the_screen(traffic: Traffic) -> None:
    with pytest.raises(ReportInputInvalid):
        fr.fetch(_api(traffic, traffic.finance_token),
                 fr.ReportQuery("invoiceDetail", date(2026, 2, 1), date(2026, 1, 1)))
    with pytest.raises(BillingError) as err:  # a cashier may not see hospital-wide reports
        fr.fetch(_api(traffic, traffic.cashier_token), _query(traffic, "cashierSummary"))
    assert err.value.code == "E2033"
