"""PDF text positions with ``pdftotext -bbox``: fields land where the form definition says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from billing_core.printjob import PageText
from print_templates.forms import load_form
from print_templates.registry import build
from print_templates.render_qt import QR_QUIET_MM, write_pdf
from print_templates.samples import load_sample
from print_templates.strip import CELL_MM, LINE_MM, PRINTABLE_MM, StripText, layout
from tests.integration.print_templates.print_golden_utils import pdf_lines, pdf_words

pytestmark = pytest.mark.integration

TOL = 0.6  # mm: glyph side bearings and the font's ascent above the box top


@pytest.mark.parametrize(("sample", "form"), [("outpatient_short", "demo"), ("insured", "guangdong_outpatient"),
                                              ("outpatient_long_name", "guangdong_outpatient")])
def test_every_paper_field_prints_inside_its_box(sample: str, form: str, tmp_path: Path) -> None:
    job = build("paper_bill", load_sample(sample))
    pdf = write_pdf(job, tmp_path / "bill.pdf")
    words = pdf_words(pdf)
    boxes = load_form(form).fields
    checked = 0
    for item in job.pages[0].items:
        if not (isinstance(item, PageText) and item.name in boxes):
            continue
        box = boxes[item.name]
        first = item.text.split()[0]
        hits = [w for w in words if w.text == first or first.startswith(w.text) and len(w.text) >= 2]
        assert hits, f"{item.name}: '{first}' not in the PDF text"
        inside = [w for w in hits if box.x - TOL <= w.x0 and w.x1 <= box.x + box.w + TOL
                  and box.y - TOL <= w.y0 and w.y1 <= box.y + box.h + TOL]
        assert inside, f"{item.name}: '{first}' at {[(w.x0, w.y0, w.x1, w.y1) for w in hits]} outside {box}"
        checked += 1
    assert checked >= 10


def test_the_total_is_at_its_millimetre_position(tmp_path: Path) -> None:
    pdf = write_pdf(build("paper_bill", load_sample("outpatient_short")), tmp_path / "bill.pdf")
    total = [w for w in pdf_words(pdf) if w.text == "¥128.50"]
    assert len(total) == 1
    box = load_form("demo").fields["total"]  # right-aligned in its box
    assert total[0].x1 == pytest.approx(box.x + box.w, abs=0.5)
    assert total[0].y0 == pytest.approx(box.y, abs=1.0)


def test_list_pages_carry_page_numbers_and_rows_in_order(tmp_path: Path) -> None:
    pdf = write_pdf(build("bill_list", load_sample("outpatient_list60")), tmp_path / "list.pdf")
    words = pdf_words(pdf)
    assert {w.page for w in words} == {1, 2, 3}
    for page in (1, 2, 3):
        texts = [t for _, t, _ in pdf_lines(words, page)]
        assert any(f"第{page}页/共3页" in t for t in texts)
    page2 = pdf_lines(words, 2)
    first_row = next(y for y, t, x in page2 if t.startswith("26Y0026"))
    last_row = next(y for y, t, x in page2 if t.startswith("50Y0050"))
    assert first_row == pytest.approx(53.0, abs=1.5)
    assert last_row - first_row == pytest.approx(24 * 8.0, abs=0.5)


@pytest.mark.parametrize(("doc", "sample", "width"), [("notice", "emergency", 80), ("notice", "red", 58),
                                                      ("receipt_outpatient", "outpatient_long_name", 58)])
def test_thermal_lines_print_on_the_column_grid(doc: str, sample: str, width: int, tmp_path: Path) -> None:
    job = build(doc, load_sample(sample), width)
    pdf = write_pdf(job, tmp_path / "strip.pdf")
    lines = pdf_lines(pdf_words(pdf))
    expected = []
    y = 2.0
    left = (width - PRINTABLE_MM[width]) / 2
    for line in layout(job):
        if isinstance(line, StripText) and line.text.strip():
            lead = len(line.text) - len(line.text.lstrip(" "))
            expected.append((y, line.text.replace(" ", ""), left + lead * CELL_MM * line.scale))
        if isinstance(line, StripText):
            y += LINE_MM * line.scale
        elif hasattr(line, "size_mm"):
            y += line.size_mm + 2 * QR_QUIET_MM  # type: ignore[union-attr]
    rules = set("-=*")
    got = [(yy, t, x) for yy, t, x in lines if not set(t) <= rules]
    want = [(yy, t, x) for yy, t, x in expected if not set(t) <= rules]
    assert [t for _, t, _ in got] == [t for _, t, _ in want]
    for (gy, text, gx), (wy, _, wx) in zip(got, want, strict=True):
        assert gx == pytest.approx(wx, abs=1.0), text
        assert wy <= gy <= wy + LINE_MM * 2, text


def test_pdf_embeds_only_the_pinned_font(tmp_path: Path) -> None:
    pdf = write_pdf(build("bill_list", load_sample("outpatient_short")), tmp_path / "l.pdf")
    strip = write_pdf(build("notice", load_sample("emergency"), 80), tmp_path / "n.pdf")
    for path in (pdf, strip):
        out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
        fonts = [line.split()[0] for line in out.splitlines()[2:] if line.strip()]
        assert fonts, out
        assert all("WenQuanYi" in f.replace("-", "").replace("+", "") or "WenQuanYiMicroHei" in f for f in fonts), out


@pytest.mark.parametrize("sample", ["outpatient_short", "emergency", "red", "outpatient_long_name"])
def test_notice_sheet_fields_print_inside_their_boxes(sample: str, tmp_path: Path) -> None:
    job = build("notice_sheet", load_sample(sample))
    words = pdf_words(write_pdf(job, tmp_path / "notice.pdf"))
    boxed = [i for i in job.pages[0].items if isinstance(i, PageText) and i.name and i.width_mm > 0]
    assert len(boxed) >= 12
    for item in boxed:
        first = item.text.split()[0]
        hits = [w for w in words if w.text == first or (first.startswith(w.text) and len(w.text) >= 2)]
        assert hits, f"{item.name}: '{first}' not in the PDF text"
        assert any(item.x_mm - TOL <= w.x0 and w.x1 <= item.x_mm + item.width_mm + TOL
                   and item.y_mm - TOL <= w.y0 and w.y1 <= item.y_mm + max(item.height_mm, 5.0) + TOL
                   for w in hits), f"{item.name} outside its box: {[(w.x0, w.y0, w.x1, w.y1) for w in hits]}"
