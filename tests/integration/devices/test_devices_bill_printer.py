"""Bill printer driver → QPrinter → PDF file, and → real CUPS → cups-pdf queue; positions checked
with ``pdftotext -bbox`` and the page rendered with ``pdftoppm``."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image

from billing_core.printjob import Page, PageJob, PageLine, PageText
from devices.drivers.qt_bill_printer import QtBillPrinter, QtBillPrinterConfig
from devices.errors import DeviceNotFound
from tests.rigs.cups import CupsPdfRig

pytestmark = pytest.mark.integration

PT_PER_MM = 72 / 25.4
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _form(title: str) -> PageJob:
    # an outpatient bill form, 241 x 93 mm (continuous dot-matrix paper)
    page = Page(241, 93).add(
        PageText(30, 20, "张三", size_pt=11, name="payer"),
        PageText(150, 20, "0000014012", size_pt=11, name="bill_no"),
        PageText(30, 50, "128.50", size_pt=11, name="total"),
        PageLine(30, 60, 100, 60),
    )
    return PageJob(title, [page])


def _words(pdf: Path) -> list[tuple[float, float, str]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [(float(m[0]), float(m[1]), m[4]) for m in WORD.findall(html)]


def _page_size_pt(pdf: Path) -> tuple[float, float]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    m = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', html)
    assert m
    return float(m[1]), float(m[2])


def test_pdf_output_places_fields_at_their_mm_positions(tmp_path: Path) -> None:
    pdf = tmp_path / "bill.pdf"
    with QtBillPrinter("bill_printer", QtBillPrinterConfig(pdf_path=str(pdf))) as bp:
        bp.print_pages(_form("bill"))
    w, h = _page_size_pt(pdf)
    assert abs(w - 241 * PT_PER_MM) < 1 and abs(h - 93 * PT_PER_MM) < 1
    words = {t: (x, y) for x, y, t in _words(pdf)}
    assert words.keys() >= {"张三", "0000014012", "128.50"}
    assert abs(words["张三"][0] - 30 * PT_PER_MM) < 0.5  # 85.04 pt
    assert abs(words["0000014012"][0] - 150 * PT_PER_MM) < 0.5  # 425.20 pt
    assert abs(words["128.50"][1] - words["张三"][1] - 30 * PT_PER_MM) < 0.5  # 30 mm lower


def test_calibration_offset_shifts_every_field(tmp_path: Path) -> None:
    pdf = tmp_path / "shifted.pdf"
    cfg = QtBillPrinterConfig(pdf_path=str(pdf), offset_x_mm=2.0, offset_y_mm=-1.5)
    with QtBillPrinter("bill_printer", cfg) as bp:
        bp.print_pages(_form("bill"))
    words = {t: (x, y) for x, y, t in _words(pdf)}
    assert abs(words["0000014012"][0] - 152 * PT_PER_MM) < 0.5


def test_print_through_cups_pdf_queue(cups_pdf: CupsPdfRig, tmp_path: Path) -> None:
    title = f"bill-{uuid.uuid4().hex[:8]}"
    with QtBillPrinter("bill_printer", QtBillPrinterConfig(printer_name=cups_pdf.queue)) as bp:
        assert "可用" in bp.check()
        bp.print_pages(_form(title))
    pdf = cups_pdf.wait_pdf(title)
    try:
        # Ghostscript re-encodes the fonts, so assert on positions, not on the glyph text (spec §4)
        xs = sorted({round(x, 0) for x, _, _ in _words(pdf)})
        assert any(abs(x - 30 * PT_PER_MM) < 1.5 for x in xs)
        assert any(abs(x - 150 * PT_PER_MM) < 1.5 for x in xs)
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", str(pdf), str(tmp_path / "bill")],
                       check=True)
        img = Image.open(tmp_path / "bill.png").convert("L")
        assert abs(img.width - round(241 / 25.4 * 50)) <= 2
        # ink where the bill number is (150 mm, 20 mm), none in the empty right margin
        box = img.crop((int(150 / 25.4 * 50), int(20 / 25.4 * 50), int(175 / 25.4 * 50), int(25 / 25.4 * 50)))
        assert box.getextrema()[0] < 128
        margin = img.crop((int(215 / 25.4 * 50), 0, img.width, img.height))
        assert margin.getextrema()[0] > 200
    finally:
        pdf.unlink()


def test_unknown_queue_not_found() -> None:
    with pytest.raises(DeviceNotFound) as err:
        QtBillPrinter("bill_printer", QtBillPrinterConfig(printer_name="no_such_queue")).open()
    assert err.value.code == "E6004" and "票据打印机" in err.value.message
