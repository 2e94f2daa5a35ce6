"""Issue 14: rules of ours stricter than the finance spec are marked ``extra``; a lenient
validate_request (warnings list given) returns them as warnings, the spec's rules still refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from billing_core.bills import check_request, validate_request
from billing_core.errors import ValidationError, ValidationIssue

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"


def _outpatient() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "outpatient.json").read_text(encoding="utf-8"))
    return data


def test_repeated_info_no_is_extra_and_only_warns_when_lenient() -> None:
    bill = _outpatient() | {"otherInfo": [{"infoNo": "1", "infoName": f"n{i}", "infoValue": "v"} for i in range(7)]}
    issues = check_request("invoiceEBillOutpatient", bill)
    assert [i.code for i in issues] == ["E1009"] * 6 and all(i.extra for i in issues)
    with pytest.raises(ValidationError):
        validate_request("invoiceEBillOutpatient", bill)  # strict by default: unchanged for callers
    warnings: list[ValidationIssue] = []
    norm = validate_request("invoiceEBillOutpatient", bill, warnings=warnings)
    assert len(norm["otherInfo"]) == 7 and len(warnings) == 6


def test_spec_rules_refuse_even_when_lenient() -> None:
    bill = _outpatient() | {"totalAmt": "1.00"}
    with pytest.raises(ValidationError) as exc:
        validate_request("invoiceEBillOutpatient", bill, warnings=[])
    assert exc.value.code == "E1010"
    # the charge lines' sortNo uniqueness is the spec's (§3.3 A-1 "1,2,3… unique")
    dup = _outpatient()
    dup["chargeDetail"] = [c | {"sortNo": 1} for c in dup["chargeDetail"]]
    with pytest.raises(ValidationError) as exc:
        validate_request("invoiceEBillOutpatient", dup, warnings=[])
    assert exc.value.code == "E1009"


@pytest.mark.parametrize("changes, code", [
    ({"tel": "138-0013-800x"}, "E1003"),          # our tel format (spec: S13)
    ({"placeCode": "门诊一楼"}, "E1003"),            # our code format (spec: S50, mapped code)
    ({"fundPay": "300.00"}, "E1016"),               # our insurance sums
])
def test_our_formats_and_sums_are_warnings_and_keep_the_value(changes: dict[str, Any], code: str) -> None:
    bill = _outpatient() | changes
    warnings: list[ValidationIssue] = []
    norm = validate_request("invoiceEBillOutpatient", bill, warnings=warnings)
    assert {w.code for w in warnings} == {code}
    name = next(iter(changes))
    assert str(norm[name]) == changes[name]
