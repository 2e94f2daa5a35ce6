"""Exports of a hospital-wide report (finance_reports.ReportTable): CSV, XLSX and print pages.

CSV is UTF-8 with BOM (Excel shows Chinese), XLSX is one sheet written by openpyxl with amounts
and counts as numbers, so finance can sum them. Both start with the title and the filter in
words and end with the totals line; no cell is ever a formula (csv_safe, the same rule as the
window's daily report). The XLSX is written next to its target and renamed, so a reader never
sees half a workbook.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from billing_core.printjob import PageJob
from print_templates.report_pages import report_pages_job
from workflows.cashier.errors import ExportFailed
from workflows.cashier.finance_reports import ReportTable
from workflows.cashier.report import csv_safe

TOTAL_LABEL = "合计"


def _total_cells(table: ReportTable) -> list[str]:
    """The totals row under the columns: 合计 in the first column, each total under its column
    (totals named for no column, e.g. 冲红金额 of a detail list, follow as 'name value')."""
    cells = [""] * len(table.columns)
    cells[0] = TOTAL_LABEL
    spare: list[str] = []
    keys = [c.key for c in table.columns]
    for key, value in table.totals.items():
        if key in keys and keys.index(key) > 0:
            cells[keys.index(key)] = value
        else:
            spare.append(f"{key} {value}")
    return cells + spare


def export_csv(table: ReportTable, path: str | Path) -> Path:
    """Write the report as CSV; returns the path."""
    p = Path(path)
    try:
        with p.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([csv_safe(table.title), csv_safe(table.query.describe())])
            w.writerow([c.title for c in table.columns])
            w.writerows([csv_safe(r.get(c.key, "")) for c in table.columns] for r in table.rows)
            w.writerow([csv_safe(v) for v in _total_cells(table)])
    except OSError as exc:
        raise ExportFailed(f"报表导出失败：{exc.strerror}（{p}）") from exc
    return p


def export_xlsx(table: ReportTable, path: str | Path) -> Path:
    """Write the report as one XLSX sheet; returns the path."""
    import openpyxl

    p = Path(path)
    wb = openpyxl.Workbook()
    ws = wb.active
    if ws is None:  # a new workbook always has its one sheet
        ws = wb.create_sheet()
    ws.title = table.title[:31]
    ws.append([table.title, table.query.describe()])
    ws.append([c.title for c in table.columns])
    for r in table.rows:
        ws.append([table.value(r, c) for c in table.columns])
        _as_text(ws[ws.max_row])
    totals: list[str | Decimal | int] = []
    for i, v in enumerate(_total_cells(table)):
        col = table.columns[i] if i < len(table.columns) else None
        totals.append(table.value({col.key: v}, col) if col is not None and i > 0 and v else v)
    ws.append(totals)
    _as_text(ws[ws.max_row])
    tmp = p.with_name(p.name + ".part")
    try:
        wb.save(tmp)
        tmp.replace(p)
    except OSError as exc:
        raise ExportFailed(f"报表导出失败：{exc.strerror}（{p}）") from exc
    return p


def _as_text(cells: tuple[object, ...]) -> None:
    for c in cells:
        value = getattr(c, "value", None)
        if isinstance(value, str) and csv_safe(value) != value:
            # openpyxl reads text starting with "=" as a formula: keep it the text it is
            c.data_type = "s"  # type: ignore[attr-defined]
            c.quotePrefix = True  # type: ignore[attr-defined]


def report_print_job(table: ReportTable) -> PageJob:
    """The report as A4 landscape pages (print_templates.report_pages) for the page printer / PDF."""
    return report_pages_job(table.title, table.query.describe(), [c.title for c in table.columns],
                            [c.kind for c in table.columns],
                            [[r.get(c.key, "") for c in table.columns] for r in table.rows], table.totals_line())
