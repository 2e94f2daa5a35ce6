"""Thermal documents never overflow the roll: CJK counts double, long names wrap."""

from __future__ import annotations

import pytest

from billing_core.printjob import COLUMNS_BY_WIDTH_MM, text_width
from print_templates.errors import PaperWidthError
from print_templates.registry import DOCUMENTS, build
from print_templates.samples import CASES, load_sample
from print_templates.strip import StripText, layout, text_lines

pytestmark = pytest.mark.unit

THERMAL = [c for c in CASES if DOCUMENTS[c.doc].thermal]


def _joined(lines: list[str]) -> str:
    return "".join(line.replace(" ", "") for line in lines)


def test_58mm_receipt_with_a_40_character_name_stays_within_32_columns() -> None:
    sample = load_sample("outpatient_long_name")
    name = sample["request"]["payer"]
    assert len(name) == 40
    job = build("receipt_outpatient", sample, 58)
    lines = text_lines(job)
    widest = max(text_width(line) for line in lines)
    assert widest <= 32, f"widest line {widest} columns"
    assert name.replace(" ", "") in _joined(lines), "the name must be printed in full (wrapped, not cut)"


@pytest.mark.parametrize("case", THERMAL + [c.__class__(c.doc, c.sample, 58, "") for c in THERMAL if c.width_mm == 80],
                         ids=lambda c: f"{c.doc}-{c.sample}-{c.width_mm}")
def test_no_line_exceeds_the_roll(case) -> None:  # type: ignore[no-untyped-def]
    job = build(case.doc, load_sample(case.sample), case.width_mm)
    cols = COLUMNS_BY_WIDTH_MM[case.width_mm]
    for line in layout(job):
        if isinstance(line, StripText):
            assert text_width(line.text) * line.scale <= cols, line.text


def test_notice_prints_the_masked_ids_not_the_raw_ones() -> None:
    lines = _joined(text_lines(build("notice", load_sample("outpatient_short"), 80)))
    assert "440106********1234" in lines and "440106199001011234" not in lines
    assert "138****5678" in lines and "13812345678" not in lines


def test_emergency_and_red_variants_say_what_they_are() -> None:
    emergency = _joined(text_lines(build("notice", load_sample("emergency"), 58)))
    assert "应急票据" in emergency and "KIOSK-MZ-012" in emergency and "上传" in emergency
    red = _joined(text_lines(build("notice", load_sample("red"), 80)))
    assert "冲红" in red and "0000014012" in red and "-¥128.50" in red and "负壹佰贰拾捌元伍角" in red
    normal = _joined(text_lines(build("notice", load_sample("outpatient_short"), 80)))
    assert "应急" not in normal and "冲红" not in normal


def test_insured_receipt_prints_the_split_and_self_pay_does_not() -> None:
    insured = _joined(text_lines(build("receipt_outpatient", load_sample("insured"), 80)))
    assert "医保统筹支付" in insured and "¥77.10" in insured
    plain = _joined(text_lines(build("receipt_outpatient", load_sample("outpatient_short"), 80)))
    assert "医保统筹支付" not in plain


def test_only_58_and_80_mm_rolls() -> None:
    with pytest.raises(PaperWidthError) as err:
        build("notice", load_sample("outpatient_short"), 76)
    assert err.value.code == "E7005"


def test_a_reprint_from_the_store_is_marked() -> None:
    sample = load_sample("outpatient_short")
    sample["reprint"] = {"reason": "打印机缺纸，恢复后补打", "copyNo": 2}
    for doc in ("notice", "receipt_outpatient"):
        lines = text_lines(build(doc, sample, 58))
        joined = "".join(ln.replace(" ", "") for ln in lines)
        assert "【补打】第2次打印" in joined and "打印机缺纸" in joined
        assert lines.index(next(ln for ln in lines if "补打" in ln)) < 6, "the mark is under the title"
    plain = "".join(text_lines(build("notice", load_sample("outpatient_short"), 58)))
    assert "补打" not in plain
