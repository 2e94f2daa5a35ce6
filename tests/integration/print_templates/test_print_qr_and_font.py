"""The notice's QR decodes (OpenCV) to the verifier's payload; the pinned font is really used."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase, QFontMetricsF

from billing_core.qr_payload import parse
from print_templates import fonts
from print_templates.errors import FontUnavailableError
from print_templates.model import bill_from_sample
from print_templates.registry import build
from print_templates.render_qt import write_png
from print_templates.samples import CASES, load_sample
from print_templates.strip import text_lines
from tests.integration.print_templates.print_golden_utils import scan_qr

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("sample", "width", "dpi"), [("outpatient_short", 80, 100), ("outpatient_short", 58, 100),
                                                      ("emergency", 80, 100), ("red", 80, 100), ("insured", 58, 203)])
def test_notice_qr_decodes_to_the_qr_payload(sample: str, width: int, dpi: int, tmp_path: Path) -> None:
    data = load_sample(sample)
    bill = bill_from_sample(data)
    png = write_png(build("notice", data, width), tmp_path / "notice", dpi)[0]
    text = scan_qr(png)
    assert text == bill.qr.text()
    # What the finance simulator's verification endpoint accepts: the five values of the bill.
    values = parse(text)
    assert (values.bill_batch_code, values.bill_no, values.random) == (bill.bill_batch_code, bill.bill_no, bill.random)
    assert values.total_amt == bill.total_amt and values.issue_date == bill.create_time.strftime("%Y%m%d")


def test_the_pinned_family_is_registered_and_resolved() -> None:
    assert fonts.register_font() == "WenQuanYi Micro Hei"
    font = fonts.pinned_font(10)
    assert font.family() == "WenQuanYi Micro Hei"
    assert "WenQuanYi Micro Hei" in QFontDatabase.families()


def test_every_printed_character_has_a_glyph_in_the_pinned_font() -> None:
    """No tofu boxes: each character of every sample document exists in the font itself."""
    metrics = QFontMetricsF(fonts.pinned_font(10))
    chars: set[str] = set()
    for case in CASES:
        job = build(case.doc, load_sample(case.sample), case.width_mm or 80)
        if hasattr(job, "elements"):
            chars.update("".join(text_lines(job)))  # type: ignore[arg-type]
        else:
            chars.update(ch for page in job.pages for it in page.items for ch in getattr(it, "text", ""))
    chars.discard(" ")
    missing = sorted(ch for ch in chars if not metrics.inFontUcs4(ord(ch)))
    assert not missing, f"characters without a glyph: {missing}"
    assert len(chars) > 300


def test_a_missing_font_file_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(fonts, "_registered", None)
    monkeypatch.setattr(fonts, "FONT_PATH", tmp_path / "none.ttc")
    with pytest.raises(FontUnavailableError) as err:
        fonts.register_font()
    assert err.value.code == "E7004"


def test_a_family_qt_would_substitute_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "register_font", lambda: "No Such Family 宋体X")
    with pytest.raises(FontUnavailableError, match="替换"):
        fonts.pinned_font(10)


@pytest.mark.parametrize("sample", ["outpatient_short", "emergency", "red"])
def test_notice_sheet_qr_decodes(sample: str, tmp_path: Path) -> None:
    data = load_sample(sample)
    png = write_png(build("notice_sheet", data), tmp_path / "sheet", 100)[0]
    assert scan_qr(png) == bill_from_sample(data).qr.text()


def test_the_renderer_leaves_an_application_widgets_can_use() -> None:
    from PySide6.QtWidgets import QApplication, QLabel

    fonts.ensure_app()
    assert isinstance(QApplication.instance(), QApplication)
    label = QLabel("票据")
    label.setFont(fonts.pinned_font(12))
    assert label.fontInfo().family() == "WenQuanYi Micro Hei"
