"""Property tests: generated consistent bills validate; one cent off breaks exactly the right sum;
normalisation is idempotent and survives the wire."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing_core import envelope
from billing_core.bills import canonical_bill_bytes, check_request, validate_request

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"
CENT = Decimal("0.01")
BASE: dict[str, Any] = json.loads((FIXTURES / "outpatient.json").read_text(encoding="utf-8"))

cents = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n) / 100)
numbers = st.integers(min_value=1, max_value=2_000).map(lambda n: Decimal(n) / 100)


@st.composite
def bills(draw: st.DrawFn) -> dict[str, Any]:
    """An outpatient bill with 1-6 charge lines, each split into 1-4 list lines, 1-3 channels."""
    charges, lines = [], []
    for i in range(draw(st.integers(1, 6))):
        std, number = draw(cents), draw(numbers)
        amt = (std * number).quantize(CENT, ROUND_HALF_UP)
        if amt == 0:
            amt = CENT
            std, number = CENT, Decimal(1)
        code = f"{i + 1:03d}"
        charges.append({"sortNo": i + 1, "chargeCode": code, "chargeName": f"收费项目{i + 1}", "std": str(std),
                        "number": str(number), "amt": str(amt), "selfAmt": "0"})
        parts = draw(st.integers(1, 4))
        fen = int(amt * 100)
        cuts = sorted(draw(st.lists(st.integers(0, fen), min_size=parts - 1, max_size=parts - 1)))
        bounds = [0, *cuts, fen]
        for k in range(parts):
            part = Decimal(bounds[k + 1] - bounds[k]) / 100
            lines.append({"chargeCode": code, "name": f"明细{i + 1}-{k + 1}", "std": str(part), "number": "1",
                          "amt": str(part), "selfAmt": "0"})
    total = sum((Decimal(c["amt"]) for c in charges), Decimal(0))
    n_channels = draw(st.integers(1, 3))
    fen = int(total * 100)
    cuts = sorted(draw(st.lists(st.integers(0, fen), min_size=n_channels - 1, max_size=n_channels - 1)))
    bounds = [0, *cuts, fen]
    channels = [{"payChannelCode": f"0{k + 1}", "payChannelValue": str(Decimal(bounds[k + 1] - bounds[k]) / 100)}
                for k in range(n_channels)]
    bill = dict(BASE, chargeDetail=charges, listDetail=lines, payChannelDetail=channels, totalAmt=str(total))
    for name in ("accountPay", "fundPay", "otherfundPay", "ownPay", "selfConceitedAmt", "selfPayAmt",
                 "reimbursementAmt"):
        bill[name] = "0"
    bill["selfCashPay"] = str(total)
    return bill


@settings(max_examples=60, deadline=None)
@given(bills())
def test_generated_consistent_bills_are_valid(bill: dict[str, Any]) -> None:
    assert check_request("invoiceEBillOutpatient", bill) == []


@settings(max_examples=60, deadline=None)
@given(bills(), st.sampled_from(["total", "channel", "list"]))
def test_one_cent_off_breaks_the_matching_sum(bill: dict[str, Any], where: str) -> None:
    if where == "total":
        bill["totalAmt"] = str(Decimal(bill["totalAmt"]) + CENT)
        bill["selfCashPay"] = bill["totalAmt"]
        expected = {("E1010", "chargeDetail"), ("E1011", "payChannelDetail")}
    elif where == "channel":
        ch = bill["payChannelDetail"][-1]
        ch["payChannelValue"] = str(Decimal(ch["payChannelValue"]) + CENT)
        expected = {("E1011", "payChannelDetail")}
    else:
        line = bill["listDetail"][-1]
        line["amt"] = line["std"] = str(Decimal(line["amt"]) + CENT)
        expected = {("E1013", f"chargeDetail[{len(bill['chargeDetail']) - 1}].amt")}
    assert {(i.code, i.path) for i in check_request("invoiceEBillOutpatient", bill)} == expected


@pytest.mark.parametrize(("fixture", "method"), [
    ("outpatient.json", "invoiceEBillOutpatient"), ("inpatient.json", "invEBillHospitalized"),
    ("registration.json", "invEBillRegistration"), ("checkup.json", "invEBillCheckUp"),
    ("common_wanglai.json", "invoiceEBillCommon"), ("common_donation.json", "invoiceEBillCommon"),
])
def test_normalisation_is_idempotent_and_survives_the_wire(fixture: str, method: str) -> None:
    raw = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    norm = validate_request(method, raw)
    assert validate_request(method, norm) == norm
    stored = envelope.loads(envelope.dumps(norm))  # how the server and simulator keep it
    assert validate_request(method, stored) == norm
    assert canonical_bill_bytes(validate_request(method, stored)) == canonical_bill_bytes(norm)
