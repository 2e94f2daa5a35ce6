"""Ward pages on A4: the daily fee list (日清单) and the static ward QR posters (押金充值 and
日清单查询, with the hospital's name). Plain data in, a printer-neutral PageJob out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from billing_core.printjob import Page, PageJob, PageLine, PageQr, PageRect, PageText
from print_templates.errors import BadValueError

A4 = (210.0, 297.0)
LEFT, RIGHT = 15.0, 195.0
ROWS_PER_PAGE = 28
ROW_MM = 7.5
#: (header, x, width, align)
COLUMNS = (("项目名称", 15.0, 70.0, "left"), ("规格", 86.0, 28.0, "left"), ("单位", 115.0, 12.0, "center"),
           ("单价", 128.0, 20.0, "right"), ("数量", 149.0, 12.0, "right"), ("金额", 162.0, 33.0, "right"))


@dataclass(frozen=True, slots=True)
class DailyLine:
    """One line of a daily list."""

    name: str
    spec: str
    unit: str
    price: Decimal
    qty: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class DailyListDoc:
    """What the daily list shows (the patient's name already masked by the caller)."""

    hospital: str
    ward: str
    admission_no: str
    name: str
    bed: str
    day: str
    lines: tuple[DailyLine, ...]
    total: Decimal
    cumulative: Decimal
    deposit: Decimal


def daily_list_job(doc: DailyListDoc) -> PageJob:
    """The 日清单 of one day, as many A4 pages as the lines need; the sums are checked.

    :raises BadValueError: the lines do not add up to ``total``.
    """
    if sum((x.amount for x in doc.lines), Decimal("0")) != doc.total:
        raise BadValueError(f"日清单金额合计{doc.total}与明细之和不符")
    chunks = [doc.lines[i:i + ROWS_PER_PAGE] for i in range(0, len(doc.lines), ROWS_PER_PAGE)] or [()]
    job = PageJob(f"日清单 {doc.admission_no} {doc.day}")
    for n, chunk in enumerate(chunks, 1):
        page = Page(*A4)
        page.add(PageText(LEFT, 12, doc.hospital or "医院", 16, True, "center", RIGHT - LEFT),
                 PageText(LEFT, 21, "住院费用日清单", 14, True, "center", RIGHT - LEFT),
                 PageText(LEFT, 32, f"病区：{doc.ward}   床号：{doc.bed}   姓名：{doc.name}", 10),
                 PageText(LEFT, 38, f"住院号：{doc.admission_no}   清单日期：{doc.day}", 10),
                 PageLine(LEFT, 45, RIGHT, 45, 0.4))
        for head, x, w, align in COLUMNS:
            page.add(PageText(x, 47, head, 10, True, align, w))  # type: ignore[arg-type]
        y = 54.0
        for line in chunk:
            cells = (line.name, line.spec, line.unit, f"{line.price:.2f}", f"{line.qty.normalize():f}",
                     f"{line.amount:.2f}")
            for (_, x, w, align), text in zip(COLUMNS, cells, strict=True):
                page.add(PageText(x, y, text, 9, False, align, w))  # type: ignore[arg-type]
            y += ROW_MM
        page.add(PageLine(LEFT, y + 1, RIGHT, y + 1, 0.4))
        if n == len(chunks):
            page.add(PageText(LEFT, y + 4, f"当日合计：{doc.total:.2f}元   累计费用：{doc.cumulative:.2f}元   "
                                           f"已交押金：{doc.deposit:.2f}元", 10, True),
                     PageText(LEFT, y + 11, f"押金余额：{doc.deposit - doc.cumulative:.2f}元", 10, True))
        page.add(PageText(LEFT, 282, f"第{n}页 共{len(chunks)}页   如对费用有疑问，请咨询病区护士站", 9,
                          align="center", width_mm=RIGHT - LEFT))
        job.pages.append(page)
    return job


def ward_poster_job(hospital: str, ward: str, posters: Sequence[tuple[str, str, str]]) -> PageJob:
    """Static ward QR posters, one A4 page each: ``(title, url, hint)`` — e.g. 押金充值 and
    日清单查询. :raises BadValueError: a poster without a URL or no hospital name."""
    if not hospital.strip():
        raise BadValueError("海报缺少医院名称")
    job = PageJob(f"{ward}二维码海报")
    for title, url, hint in posters:
        if not url.strip():
            raise BadValueError(f"海报“{title}”缺少二维码地址")
        page = Page(*A4)
        page.add(PageRect(10, 10, 190, 277, 0.8),
                 PageText(LEFT, 28, hospital, 26, True, "center", RIGHT - LEFT),
                 PageText(LEFT, 48, ward, 18, False, "center", RIGHT - LEFT),
                 PageText(LEFT, 70, title, 36, True, "center", RIGHT - LEFT),
                 PageQr(55, 100, url, 100.0),
                 PageText(LEFT, 210, hint, 14, False, "center", RIGHT - LEFT, 30, "wrap"),
                 PageText(LEFT, 265, "微信、支付宝扫一扫  ·  请勿向他人转账  ·  有疑问请咨询护士站", 11,
                          align="center", width_mm=RIGHT - LEFT))
        job.pages.append(page)
    return job
