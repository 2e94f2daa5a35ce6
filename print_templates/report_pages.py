"""A hospital-wide report (issue 18 §3) as A4 landscape table pages.

Plain data in (title, the filter in words, column titles and kinds, rows of text, a totals
line), a :class:`PageJob` out, drawn by render_qt like the bill list pages. Column widths share
the table width by kind (text wide, amounts and counts narrow), every cell shrinks to its box, and
each page repeats the header and says "第i页/共n页"; the totals go under the last page's rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from billing_core.printjob import Page, PageJob, PageLine, PageText
from print_templates.errors import BadValueError

A4_LANDSCAPE = (297.0, 210.0)
LEFT, RIGHT = 10.0, 287.0
TABLE_TOP = 34.0
ROW_MM = 6.5
ROWS_PER_PAGE = 24
_WEIGHT = {"text": 3.0, "money": 2.0, "count": 1.2}


def _columns(kinds: Sequence[str]) -> list[tuple[float, float, str]]:
    """(x, width, align) of each column."""
    weights = [_WEIGHT.get(k, 3.0) for k in kinds]
    unit = (RIGHT - LEFT) / sum(weights)
    out, x = [], LEFT
    for k, w in zip(kinds, weights, strict=True):
        out.append((x, w * unit, "left" if k == "text" else "right"))
        x += w * unit
    return out


def report_pages_job(title: str, subtitle: str, heads: Sequence[str], kinds: Sequence[str],
                     rows: Sequence[Sequence[str]], totals: str, *, rows_per_page: int = ROWS_PER_PAGE) -> PageJob:
    """The report's pages (one page with the totals when there are no rows).

    :raises BadValueError: heads, kinds and a row disagree on the number of columns.
    """
    if not heads or len(heads) != len(kinds) or any(len(r) != len(heads) for r in rows):
        raise BadValueError(f"报表“{title}”的列数与数据不一致")
    cols = _columns(kinds)
    chunks = [rows[i:i + rows_per_page] for i in range(0, len(rows), rows_per_page)] or [[]]
    job = PageJob(title)
    for index, chunk in enumerate(chunks, 1):
        page = Page(*A4_LANDSCAPE)
        page.add(PageText(148.5, 10.0, title, size_pt=16, bold=True, align="center", width_mm=0),
                 PageText(LEFT, 20.0, subtitle, size_pt=9, width_mm=RIGHT - LEFT - 40, height_mm=5, name="filter"),
                 PageText(RIGHT, 20.0, f"第{index}页/共{len(chunks)}页", size_pt=9, align="right", name="page_no"),
                 PageLine(LEFT, 27.0, RIGHT, 27.0, 0.4))
        for head, (x, w, align) in zip(heads, cols, strict=True):
            page.add(PageText(x + 0.5, 28.5, head, size_pt=8.5, bold=True, align=align,  # type: ignore[arg-type]
                              width_mm=w - 1.0, height_mm=4.5))
        page.add(PageLine(LEFT, TABLE_TOP - 0.5, RIGHT, TABLE_TOP - 0.5, 0.2))
        y = TABLE_TOP
        for n, row in enumerate(chunk):
            for text, (x, w, align) in zip(row, cols, strict=True):
                page.add(PageText(x + 0.5, y + 1.0, text, size_pt=8, align=align,  # type: ignore[arg-type]
                                  width_mm=w - 1.0, height_mm=ROW_MM - 1.5, name=f"r{(index - 1) * rows_per_page + n + 1}"))
            y += ROW_MM
            page.add(PageLine(LEFT, y, RIGHT, y, 0.1, dashed=True))
        if index == len(chunks):
            page.add(PageText(LEFT, y + 2.0, totals, size_pt=9, bold=True, width_mm=RIGHT - LEFT, height_mm=5,
                              name="total"))
        job.pages.append(page)
    return job
