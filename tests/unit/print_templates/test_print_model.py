"""Building the bill view from the platform's issue request + response (and red / emergency)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from billing_core.qr_payload import parse
from print_templates.errors import BadValueError, MissingFieldError
from print_templates.model import bill_from_sample
from print_templates.samples import FIXTURES, load_sample

pytestmark = pytest.mark.unit


def test_normal_bill_reads_the_issue_response() -> None:
    bill = bill_from_sample(load_sample("outpatient_short"))
    assert (bill.bill_batch_code, bill.bill_no, bill.random) == ("44010126", "0000014012", "afe91d")
    assert bill.total_amt == Decimal("128.50")
    assert bill.create_time.strftime("%Y%m%d%H%M%S") == "20261123091503"
    assert not bill.insurance.insured and bill.red is None and bill.emergency is None
    assert bill.qr.text() == "01,44010126,0000014012,afe91d,128.50,20261123"
    assert parse(bill.qr.text()) == bill.qr


def test_red_bill_prints_its_own_numbers_and_a_negative_amount() -> None:
    bill = bill_from_sample(load_sample("red"))
    assert (bill.bill_no, bill.random) == ("0000014101", "0d4c7b")
    assert bill.red is not None and bill.red.original_bill_no == "0000014012"
    assert bill.printed_total == Decimal("-128.50")
    assert bill.qr.issue_date == "20261124"


def test_insured_split_is_read() -> None:
    bill = bill_from_sample(load_sample("insured"))
    assert bill.insurance.insured
    assert bill.insurance.fund_pay == Decimal("77.10")
    assert sum((c.amount for c in bill.pay_channels), Decimal(0)) == bill.total_amt


def test_emergency_part() -> None:
    bill = bill_from_sample(load_sample("emergency"))
    assert bill.emergency is not None and bill.emergency.terminal_id == "KIOSK-MZ-012"


def test_missing_values_name_the_field() -> None:
    sample = load_sample("outpatient_short")
    del sample["response"]["billNo"]
    with pytest.raises(MissingFieldError) as err:
        bill_from_sample(sample)
    assert err.value.code == "E7002" and "billNo" in err.value.message


def test_bad_time_and_amount_are_clear_errors() -> None:
    sample = load_sample("outpatient_short")
    sample["response"]["createTime"] = "2026-11-23"
    with pytest.raises(BadValueError, match="createTime"):
        bill_from_sample(sample)
    sample = load_sample("outpatient_short")
    sample["request"]["totalAmt"] = "12.345"
    with pytest.raises(BadValueError, match="totalAmt") as err:
        bill_from_sample(sample)
    assert err.value.code == "E7007"


def test_every_fixture_is_valid_json() -> None:
    names = sorted(p.stem for p in FIXTURES.glob("*.json"))
    assert len(names) >= 12
    for name in names:
        json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
