"""Tables to CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX (openpyxl), shared by every
terminal's statistics (ward, kiosk control centre ...). No cell is ever a formula (OWASP CSV
injection); amounts stay numbers in XLSX so finance can sum them. A reader never sees a half-written
file: both are written next to the target and renamed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Table:
    """One titled table of text cells (amounts as ``"12.34"``)."""

    title: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def csv_safe(v: str) -> str:
    """``v`` for a CSV cell: text a spreadsheet would run as a formula gets a leading apostrophe;
    plain numbers (a negative refund) are kept."""
    if v.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(v):
        return "'" + v
    return v


def export_csv(tables: Sequence[Table], path: str | Path) -> Path:
    """The tables one after another, each under its title. :raises OSError: not writable."""
    p = Path(path)
    tmp = p.with_name(p.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        for n, t in enumerate(tables):
            if n:
                w.writerow([])
            w.writerow([csv_safe(t.title)])
            w.writerow([csv_safe(h) for h in t.head])
            w.writerows([csv_safe(c) for c in row] for row in t.rows)
    tmp.replace(p)
    return p


def _cell(v: str) -> object:
    if _NUMBER.fullmatch(v) and "." in v:
        return Decimal(v)  # a number cell, so finance can sum it in Excel
    return v


def export_xlsx(tables: Sequence[Table], path: str | Path) -> Path:
    """One sheet per table (title as the sheet name, cut to Excel's 31 characters)."""
    import openpyxl  # the gui extra: only terminals that export have it

    p = Path(path)
    wb = openpyxl.Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)
    for n, t in enumerate(tables):
        name = re.sub(r"[\[\]:*?/\\]", "_", t.title)[:28] or f"表{n + 1}"
        ws = wb.create_sheet(name if name not in wb.sheetnames else f"{name[:25]}_{n + 1}")
        ws.append(list(t.head))
        for row in t.rows:
            ws.append([_cell(c) for c in row])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and csv_safe(c.value) != c.value:
                    c.data_type = "s"  # text that looks like a formula stays text
                    c.quotePrefix = True
    tmp = p.with_name(p.name + ".part")
    wb.save(tmp)
    tmp.replace(p)
    return p
