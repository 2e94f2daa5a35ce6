"""Receipt documents through the real ESC/POS driver to the TCP printer rig and back.

Each thermal document is printed by devices.drivers.escpos_printer (python-escpos over a real
TCP socket on 127.0.0.1) to tests.rigs.escpos_printer; the rig's decoder turns the bytes back
into text lines, styles and QR payloads, which must equal what print_templates laid out.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing_core.printjob import COLUMNS_BY_WIDTH_MM, PrintJob, text_width
from devices.drivers.escpos_printer import EscposConfig, EscposReceiptPrinter
from print_templates.model import bill_from_sample
from print_templates.registry import DOCUMENTS, build
from print_templates.samples import CASES, Case, load_sample
from print_templates.strip import text_lines
from tests.rigs.escpos_printer import TcpEscposPrinter

pytestmark = pytest.mark.integration

THERMAL = [c for c in CASES if DOCUMENTS[c.doc].thermal]


@pytest.fixture(scope="module")
def rig() -> Iterator[TcpEscposPrinter]:
    with TcpEscposPrinter() as printer:
        yield printer


def _print(rig: TcpEscposPrinter, job: PrintJob):  # type: ignore[no-untyped-def]
    rig.clear()
    rig.ready()
    config = EscposConfig(transport="network", host="127.0.0.1", port=rig.port, timeout=5.0)
    with EscposReceiptPrinter("receipt_printer", config) as printer:
        printer.print_job(job)
    return rig.wait_document(min_cuts=1, timeout=10.0)


def _content(lines: list[str]) -> list[str]:
    return [ln.strip() for ln in lines if ln.strip()]


@pytest.mark.parametrize("case", THERMAL, ids=lambda c: c.key)
def test_printed_bytes_decode_to_the_laid_out_lines(rig: TcpEscposPrinter, case: Case) -> None:
    sample = load_sample(case.sample)
    job = build(case.doc, sample, case.width_mm)
    assert isinstance(job, PrintJob)
    doc = _print(rig, job)
    assert doc.cuts == 1 and doc.chinese_mode
    assert _content([ln.text for ln in doc.lines]) == _content(text_lines(job))
    cols = COLUMNS_BY_WIDTH_MM[case.width_mm]
    for line in doc.lines:
        assert text_width(line.text.rstrip()) * line.width <= cols, line.text
    # The title is printed double size, as laid out.
    assert any(ln.width == 2 and ln.text.strip() == job.title for ln in doc.lines)
    if case.doc == "notice":
        assert doc.qr_codes == [bill_from_sample(sample).qr.text()] and doc.qr_printed == 1
    else:
        assert doc.qr_codes == []


def test_a_58mm_receipt_with_a_40_character_name_on_the_wire(rig: TcpEscposPrinter) -> None:
    sample = load_sample("outpatient_long_name")
    doc = _print(rig, build("receipt_outpatient", sample, 58))
    assert max(text_width(ln.text.rstrip()) for ln in doc.lines) <= 32
    assert sample["request"]["payer"].replace(" ", "") in "".join(ln.text.replace(" ", "") for ln in doc.lines)
    assert "440106********1234" in doc.text and "440106199001011234" not in doc.text
