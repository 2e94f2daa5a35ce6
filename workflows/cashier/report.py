"""The daily report (日结) per cashier: 收费员汇总表, 缴款渠道汇总表 and the detail list.

Seed 001 (三)4(3). Built from the terminal store's bills (offline_store, read through BillBook) for one day; a red-flushed bill counts in the
charges of its issue day and again as a refund (charges = all − refunds, spec §10). Exported to
CSV (UTF-8 with BOM so Excel shows Chinese) and XLSX (openpyxl), and printed as a PrintJob.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from billing_core.money import ZERO, format_yuan, wire
from billing_core.printjob import Column, PrintJob, Row, Rule, Text
from workflows.cashier.entry import KINDS
from workflows.cashier.errors import ExportFailed
from workflows.catalog import Catalog
from workflows.records import STATE_RED, BillBook, BillRecord


@dataclass(slots=True)
class CashierLine:
    """One row of 收费员汇总表."""

    payee: str
    count: int = 0
    amount: Decimal = ZERO
    red_count: int = 0
    red_amount: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.amount - self.red_amount


@dataclass(slots=True)
class DailyReport:
    """The day's figures for one window (optionally one cashier)."""

    day: date
    place_code: str
    payee: str
    cashiers: list[CashierLine] = field(default_factory=list)
    channels: list[tuple[str, str, Decimal]] = field(default_factory=list)  # code, name, net amount
    details: list[BillRecord] = field(default_factory=list)

    @property
    def total_net(self) -> Decimal:
        return sum((c.net for c in self.cashiers), ZERO)


def daily_report(bills: BillBook, day: date, catalog: Catalog, place_code: str = "", payee: str = "") -> DailyReport:
    """Summarise the bills for ``day`` (and ``payee`` when given)."""
    recs = [r for r in bills.find(day_from=day, day_to=day, payee=payee)]
    rep = DailyReport(day, place_code, payee, details=recs)
    by_payee: dict[str, CashierLine] = {}
    by_channel: dict[str, Decimal] = {}
    for r in recs:
        line = by_payee.setdefault(r.payee, CashierLine(r.payee))
        line.count += 1
        line.amount += r.amount
        sign = Decimal(1)
        if r.state == STATE_RED:
            line.red_count += 1
            line.red_amount += r.amount
            sign = Decimal(0)  # refunded: the money went back through the same channels
        for p in r.pay_channels:
            code = str(p["payChannelCode"])
            by_channel[code] = by_channel.get(code, ZERO) + sign * Decimal(str(p["payChannelValue"]))
    rep.cashiers = sorted(by_payee.values(), key=lambda c: c.payee)
    rep.channels = [(c, catalog.channel_name(c), a) for c, a in sorted(by_channel.items())]
    return rep


def _tables(rep: DailyReport) -> list[tuple[str, list[str], list[list[str]]]]:
    cashier_rows = [[c.payee, str(c.count), wire(c.amount), str(c.red_count), wire(c.red_amount), wire(c.net)]
                    for c in rep.cashiers]
    cashier_rows.append(["合计", str(sum(c.count for c in rep.cashiers)),
                         wire(sum((c.amount for c in rep.cashiers), ZERO)),
                         str(sum(c.red_count for c in rep.cashiers)),
                         wire(sum((c.red_amount for c in rep.cashiers), ZERO)), wire(rep.total_net)])
    channel_rows = [[code, name, wire(a)] for code, name, a in rep.channels]
    channel_rows.append(["", "合计", wire(sum((a for _c, _n, a in rep.channels), ZERO))])
    detail_rows = [[r.create_time[8:10] + ":" + r.create_time[10:12], KINDS[r.kind].label if r.kind in KINDS
                    else r.kind, r.bill_batch_code, r.bill_no, r.payer, r.total, r.state_label, r.payee]
                   for r in rep.details]
    return [
        ("收费员汇总表", ["收费员", "开票张数", "开票金额", "冲红张数", "冲红金额", "实收金额"], cashier_rows),
        ("缴款渠道汇总表", ["渠道编码", "交费渠道", "实收金额"], channel_rows),
        ("日报明细表", ["时间", "类型", "票据代码", "票据号码", "交款人", "金额", "状态", "收费员"], detail_rows),
    ]


#: First characters that make a spreadsheet read a cell as a formula (or DDE command): a payer
#: name "=HYPERLINK(...)" typed at the window or sent by HIS must stay text (issue 14 item 9).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def csv_safe(v: str) -> str:
    """``v`` for a CSV cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe (OWASP CSV injection); plain numbers (a negative refund amount) are kept."""
    if v.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(v):
        return "'" + v
    return v


def export_csv(rep: DailyReport, path: str | Path) -> Path:
    """Write the three tables one after another (UTF-8 with BOM for Excel); no cell is a formula."""
    p = Path(path)
    try:
        with p.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([f"日结报表 {rep.day.isoformat()}", f"开票点 {rep.place_code}", f"收费员 {rep.payee or '全部'}"])
            for title, head, rows in _tables(rep):
                w.writerow([])
                w.writerow([title])
                w.writerow(head)
                w.writerows([csv_safe(v) for v in row] for row in rows)
    except OSError as exc:
        raise ExportFailed(f"报表导出失败：{exc.strerror}（{p}）") from exc
    return p


def export_xlsx(rep: DailyReport, path: str | Path) -> Path:
    """Write one sheet per table; amounts as numbers so finance can sum them."""
    import openpyxl

    p = Path(path)
    wb = openpyxl.Workbook()
    default_sheet = wb.active  # a new workbook's one empty sheet
    if default_sheet is not None:
        wb.remove(default_sheet)
    for title, head, rows in _tables(rep):
        ws = wb.create_sheet(title)
        ws.append([f"日结报表 {rep.day.isoformat()}", f"开票点 {rep.place_code}", f"收费员 {rep.payee or '全部'}"])
        ws.append(head)
        for row in rows:
            ws.append([_cell(v) for v in row])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and csv_safe(c.value) != c.value:
                    # openpyxl takes any text starting with "=" as a formula: store it as the
                    # text it is, with Excel's quote prefix (+ - @ stay text when edited too)
                    c.data_type = "s"
                    c.quotePrefix = True
    tmp = p.with_name(p.name + ".part")
    try:
        wb.save(tmp)
        tmp.replace(p)  # a reader never sees a half-written workbook
    except OSError as exc:
        raise ExportFailed(f"报表导出失败：{exc.strerror}（{p}）") from exc
    return p


def _cell(v: str) -> object:
    if v and v.replace(".", "", 1).isdigit() and "." in v:
        return Decimal(v)  # a number cell, so finance can sum it in Excel
    return v


def report_job(rep: DailyReport, width_mm: int = 80) -> PrintJob:
    """The day's summary on the receipt printer (cashier + channel tables)."""
    job = PrintJob("日结报表", width_mm)
    job.add(Text("日结报表", "center", bold=True, scale=2), Text(f"日期：{rep.day.isoformat()}"),
            Text(f"开票点：{rep.place_code}  收费员：{rep.payee or '全部'}"), Rule())
    for title, head, rows in _tables(rep)[:2]:
        job.add(Text(title, "center", bold=True), Row(tuple(Column(h) for h in head[:1] + head[-1:]), bold=True))
        for r in rows:
            job.add(Row((Column(r[0] or r[1]), Column(r[-1], align="right"))))
        job.add(Rule())
    job.add(Text(f"实收合计：{format_yuan(rep.total_net)}", bold=True))
    return job
