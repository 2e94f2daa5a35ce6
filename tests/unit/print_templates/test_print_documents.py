"""Document rules without rendering: list pagination, forms, calibration, slips' totals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from billing_core.pagination import NoListError, list_page_count
from billing_core.printjob import PageText
from print_templates.bill_list import bill_list_job
from print_templates.errors import BadValueError, FormDefinitionError, MissingFieldError, UnknownDocumentError
from print_templates.forms import FORMS_DIR, Calibration, calibrate, load_calibration, load_form, parse_form
from print_templates.paper_bill import paper_bill_job
from print_templates.registry import build
from print_templates.samples import load_sample

pytestmark = pytest.mark.unit


def _texts(job) -> list[PageText]:  # type: ignore[no-untyped-def]
    return [i for p in job.pages for i in p.items if isinstance(i, PageText)]


def test_list_pages_follow_the_one_pagination_rule() -> None:
    sample = load_sample("outpatient_list60")
    job = bill_list_job(sample)
    assert len(job.pages) == list_page_count(60) == 3
    texts = [t.text for t in _texts(job)]
    assert "第3页 / 共3页" in texts
    numbered = [t for t in _texts(job) if t.name.startswith("r") and t.x_mm == 12.0]
    assert [t.text for t in numbered] == [str(i) for i in range(1, 61)]


def test_list_page_range_like_print_elect_bill_list() -> None:
    job = bill_list_job(load_sample("outpatient_list60"), first=2, last=3)
    assert len(job.pages) == 2
    assert "第2页 / 共3页" in [t.text for t in _texts(job)]
    with pytest.raises(BadValueError):
        bill_list_job(load_sample("outpatient_list60"), first=3, last=4)


def test_a_bill_without_list_has_no_list_pages() -> None:
    with pytest.raises(NoListError) as err:
        bill_list_job(load_sample("no_list"))
    assert err.value.code == "E3040"


def test_forms_load_and_the_guangdong_form_says_what_is_assumed() -> None:
    gd = load_form("guangdong_outpatient")
    assert {"width_mm", "height_mm", "fields"} <= set(gd.assumed)
    assert load_form("demo").assumed == ()
    for path in FORMS_DIR.glob("*.json"):
        load_form(path)


def test_a_field_off_the_sheet_is_refused() -> None:
    data = json.loads((FORMS_DIR / "demo.json").read_text(encoding="utf-8"))
    data["fields"]["payer"]["x"] = 200
    with pytest.raises(FormDefinitionError, match="payer") as err:
        parse_form(data)
    assert err.value.code == "E7003"
    with pytest.raises(FormDefinitionError):
        load_form("no_such_form")


def test_paper_bill_fields_and_reprint_mark() -> None:
    job = paper_bill_job(load_sample("outpatient_long_name"))
    by_name = {t.name: t for t in _texts(job) if t.name}
    assert by_name["total"].text == "¥1,644.50"
    assert by_name["total_upper"].text == "壹仟陆佰肆拾肆元伍角"
    assert "00123457" in by_name["reprint_mark"].text and "重打" in by_name["reprint_mark"].text
    first = paper_bill_job(load_sample("outpatient_short"))
    assert "reprint_mark" not in {t.name for t in _texts(first)}


def test_real_stock_gets_no_background_and_no_preprinted_number() -> None:
    job = paper_bill_job(load_sample("outpatient_short"), background=False)
    names = {t.name for t in _texts(job)}
    assert "pbill_no" not in names and "" not in names
    assert "payer" in names


def test_calibration_moves_every_item(tmp_path: Path) -> None:
    cal_file = tmp_path / "cal.json"
    cal_file.write_text(json.dumps({"bill-printer-1": {"dx_mm": 1.5, "dy_mm": -0.5}}), encoding="utf-8")
    cal = load_calibration(cal_file, "bill-printer-1")
    assert cal == Calibration(1.5, -0.5)
    assert load_calibration(cal_file, "other") == Calibration()
    job = paper_bill_job(load_sample("outpatient_short"))
    moved = calibrate(job, cal)
    for a, b in zip(_texts(job), _texts(moved), strict=True):
        assert (b.x_mm - a.x_mm, b.y_mm - a.y_mm) == pytest.approx((1.5, -0.5))
        assert replace(b, x_mm=a.x_mm, y_mm=a.y_mm) == a


def test_slips_refuse_totals_that_do_not_add_up() -> None:
    slip = load_sample("cash_slip")
    slip["cashSlip"]["cashTotal"] = "671.00"
    with pytest.raises(BadValueError, match="现金合计"):
        build("cash_slip", slip)
    report = load_sample("daily_report")
    report["dailyReport"]["channels"][0]["amount"] = "1.00"
    with pytest.raises(BadValueError, match="缴款渠道"):
        build("daily_report", report)
    topup = load_sample("prepay_topup")
    topup["receipt"]["balanceAfter"] = "500.00"
    with pytest.raises(BadValueError):
        build("receipt_prepay_topup", topup)


def test_unknown_document_and_missing_receipt_fields() -> None:
    with pytest.raises(UnknownDocumentError) as err:
        build("invoice", load_sample("outpatient_short"))
    assert err.value.code == "E7001"
    reg = load_sample("registration")
    del reg["receipt"]["queueNo"]
    with pytest.raises(MissingFieldError, match="queueNo"):
        build("receipt_registration", reg)
