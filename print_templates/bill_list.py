"""The itemised bill list pages (清单) on A4 portrait.

Pagination is the one rule of billing_core.pagination, the same the platform's list-page-count
method (``getElectBilllListTotal``, spec §9) answers, so "page 2 of 3" on paper matches what the
client component reports. A bill without list lines has no list: NoListError (E3040).
``printElectBillList`` prints a page range (pageNoBgn..pageNoEnd); so does :func:`bill_list_job`.
"""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import format_yuan, round_amount, wire
from billing_core.pagination import LINES_PER_PAGE, list_page_count, list_pages
from billing_core.printjob import Page, PageJob, PageLine, PageText
from print_templates.errors import BadValueError
from print_templates.masking import mask_id_no
from print_templates.model import BillView, Json, ListLine, bill_from_sample, fmt_qty, fmt_time

TITLE = "电子票据清单"
A4 = (210.0, 297.0)
LEFT, RIGHT = 12.0, 198.0
TABLE_TOP = 52.0
ROW_MM = 8.0  # 25 rows x 8 mm under the header block fit the A4 page with the footer

#: (header, x of the column's left edge, width, align) — names wrap-shrink inside their column.
COLUMNS = (
    ("序号", 12.0, 10.0, "center"),
    ("项目编码", 22.0, 18.0, "left"),
    ("项目名称", 40.0, 60.0, "left"),
    ("规格", 101.0, 22.0, "left"),
    ("单位", 123.0, 10.0, "center"),
    ("数量", 133.0, 14.0, "right"),
    ("单价", 148.0, 18.0, "right"),
    ("金额", 167.0, 20.0, "right"),
    ("类别", 188.0, 10.0, "center"),
)


def _cells(no: int, line: ListLine) -> tuple[str, ...]:
    return (str(no), line.code, line.name, line.specification, line.unit, fmt_qty(line.number),
            f"{line.std:.4f}".rstrip("0").rstrip(".") if line.std else "0", wire(round_amount(line.amt)),
            line.care_class)


def _header(page: Page, bill: BillView, index: int, count: int) -> None:
    page.add(
        PageText(105.0, 10.0, bill.hospital, size_pt=12, bold=True, align="center", width_mm=0),
        PageText(105.0, 17.0, TITLE + ("（红字）" if bill.red else ""), size_pt=16, bold=True, align="center"),
        PageText(LEFT, 28.0, f"交款人：{bill.payer}", size_pt=9, width_mm=95, height_mm=5, name="payer"),
        PageText(110.0, 28.0, f"证件号码：{mask_id_no(bill.id_card_no)}", size_pt=9, width_mm=88, height_mm=5),
        PageText(LEFT, 34.0, f"票据代码：{bill.bill_batch_code}", size_pt=9, width_mm=60, height_mm=5,
                 name="code"),
        PageText(75.0, 34.0, f"票据号码：{bill.bill_no}", size_pt=9, width_mm=60, height_mm=5, name="number"),
        PageText(140.0, 34.0, f"校验码：{bill.random}", size_pt=9, width_mm=58, height_mm=5),
        PageText(LEFT, 40.0, f"开票日期：{fmt_time(bill.create_time)}", size_pt=9, width_mm=95, height_mm=5),
        PageText(RIGHT, 40.0, f"第{index}页 / 共{count}页", size_pt=9, align="right", name="page_no"),
    )
    if bill.emergency:
        page.add(PageText(110.0, 40.0, f"应急票据 终端{bill.emergency.terminal_id}", size_pt=9, bold=True))
    page.add(PageLine(LEFT, 46.0, RIGHT, 46.0, 0.4))
    for head, x, w, align in COLUMNS:
        page.add(PageText(x, 47.5, head, size_pt=9, bold=True, align=align, width_mm=w, height_mm=4))  # type: ignore[arg-type]
    page.add(PageLine(LEFT, TABLE_TOP - 0.5, RIGHT, TABLE_TOP - 0.5, 0.2))


def bill_list_job(sample: Json, first: int = 1, last: int | None = None,
                  lines_per_page: int = LINES_PER_PAGE) -> PageJob:
    """List pages ``first``..``last`` (1-based, inclusive; all by default) of the sample's bill.

    :raises NoListError: the bill has no list lines (E3040).
    :raises BadValueError: the page range lies outside 1..page count.
    """
    bill = bill_from_sample(sample, TITLE)
    count = list_page_count(len(bill.list_lines), lines_per_page)
    last = count if last is None else last
    if not 1 <= first <= last <= count:
        raise BadValueError(f"清单页码范围{first}-{last}超出1-{count}")
    job = PageJob(f"{TITLE} {bill.bill_batch_code}-{bill.bill_no}")
    number = 0
    for index, lines in enumerate(list_pages(bill.list_lines, lines_per_page), 1):
        start = number
        number += len(lines)
        if not first <= index <= last:
            continue
        page = Page(*A4)
        _header(page, bill, index, count)
        y = TABLE_TOP
        for offset, line in enumerate(lines):
            for text, (_, x, w, align) in zip(_cells(start + offset + 1, line), COLUMNS, strict=True):
                page.add(PageText(x, y + 1.0, text, size_pt=8.5, align=align, width_mm=w,  # type: ignore[arg-type]
                                  height_mm=ROW_MM - 1.0, fit="wrap", name=f"r{start + offset + 1}"))
            y += ROW_MM
            page.add(PageLine(LEFT, y, RIGHT, y, 0.1, dashed=True))
        subtotal = sum((round_amount(ln.amt) for ln in lines), Decimal("0.00"))
        page.add(PageText(LEFT, y + 2.0, f"本页小计：{format_yuan(subtotal)}", size_pt=9, name="subtotal"))
        if index == count:
            total = sum((round_amount(ln.amt) for ln in bill.list_lines), Decimal("0.00"))
            page.add(PageText(110.0, y + 2.0, f"清单合计：{format_yuan(total)}", size_pt=9, bold=True,
                              name="total"))
        page.add(PageText(105.0, 285.0, f"{bill.hospital}  {TITLE}  第{index}页/共{count}页", size_pt=7,
                          align="center"))
        job.pages.append(page)
    return job
