"""Entry form checks, issuing, idempotency and emergency fallback, over the demo platform."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.cashier.entry import MISSING, NO_ITEMS, PAY_MISMATCH, UNKNOWN_ITEM, EntryForm
from workflows.cashier.errors import EmergencyUnavailable, EntryInvalid

from .conftest import outpatient_form

pytestmark = pytest.mark.unit


def test_totals_are_checked_as_typed(window) -> None:
    services, _ = window
    form = EntryForm("outpatient", services.catalog)
    codes = {c for c, _l, _m in form.check()}
    assert {MISSING, NO_ITEMS, PAY_MISMATCH} <= codes
    form = outpatient_form(services, "30.00")
    assert form.total == Decimal("35.00") and form.difference == Decimal("5.00")
    issues = form.check()
    assert [c for c, _l, _m in issues] == [PAY_MISMATCH]
    assert "少收5.00" in issues[0][2]
    form.set_pay("02", "35")
    assert form.check() == []


def test_unknown_item_and_zero_amount(window) -> None:
    services, _ = window
    form = outpatient_form(services)
    form.add_item("999")
    codes = [c for c, _l, _m in form.check()]
    assert UNKNOWN_ITEM in codes


def test_issue_outpatient_records_and_sums(window) -> None:
    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    assert rec.bill_no and rec.random and not rec.emergency
    data = rec.request
    assert data["totalAmt"] == "35.00"
    assert sum(Decimal(c["amt"]) for c in data["chargeDetail"]) == Decimal("35.00")
    assert sum(Decimal(p["payChannelValue"]) for p in data["payChannelDetail"]) == Decimal("35.00")
    assert services.ledger.get(rec.bill_batch_code, rec.bill_no) is not None
    assert platform.bill_count() == 1


def test_issue_same_busno_twice_gives_one_bill(window) -> None:
    services, platform = window
    a = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWFIXED1")
    b = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWFIXED1")
    assert (a.bill_batch_code, a.bill_no) == (b.bill_batch_code, b.bill_no)
    assert platform.bill_count() == 1


def test_bad_form_is_refused_with_every_issue(window) -> None:
    services, platform = window
    form = EntryForm("inpatient", services.catalog)
    form.add_item("501", "3")
    form.set_pay("02", "100")
    with pytest.raises(EntryInvalid) as exc:
        services.issuing.issue(form, "张敏")
    labels = {label for _c, label, _m in exc.value.issues}
    assert {"交款人", "住院号", "复核人", "交费渠道"} <= labels
    assert exc.value.code == "E5810"
    assert platform.bill_count() == 0


@pytest.mark.parametrize("kind,method", [("registration", "invEBillRegistration"), ("checkup", "invEBillCheckUp"),
                                         ("transfer", "invoiceEBillCommon"), ("donation", "invoiceEBillCommon")])
def test_other_kinds_use_their_method(window, kind: str, method: str) -> None:
    services, platform = window
    form = EntryForm(kind, services.catalog)
    form.header.update(payer="某某公司" if kind in ("transfer", "donation") else "陈静", card_no="3101000999",
                       sex="女", age="40", checker="李华")
    form.add_item({"registration": "101", "checkup": "601", "transfer": "901", "donation": "902"}[kind], "1",
                  "500.00" if kind in ("transfer", "donation") else None)
    form.set_pay("03", str(form.total))
    rec = services.issuing.issue(form, "李华")
    assert platform.calls[-1] == method
    assert rec.request["busType"] == {"registration": "06", "checkup": "05", "transfer": "09", "donation": "10"}[kind]
    if kind in ("transfer", "donation"):
        assert "selfAmt" not in rec.request["chargeDetail"][0] and "cardNo" not in rec.request


def test_link_down_goes_to_emergency_and_back(window) -> None:
    services, platform = window
    seen: list[str] = []
    services.events.subscribe(lambda name, payload: seen.append(name))
    platform.online = False
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    assert rec.emergency and not rec.uploaded
    assert rec.bill_batch_code == "42069126"
    assert services.issuing.online is False and "link_changed" in seen
    assert services.issuing.emergency.status().pending_uploads == 1
    assert services.link.probe() is False
    platform.online = True
    assert services.link.probe() is True
    assert services.issuing.emergency.status().pending_uploads == 0
    assert platform.bill_count() == 1 and platform.bus_nos() == [rec.bus_no]
    assert services.ledger.get(rec.bill_batch_code, rec.bill_no).uploaded
    assert {"upload_progress", "carry_forward"} <= set(seen)


def test_emergency_conflict_is_reported(window) -> None:
    services, platform = window
    form = outpatient_form(services)
    platform.online = False
    rec = services.issuing.issue(form, "张敏", bus_no="CWDOUBT1")
    platform.online = True
    # The platform got the same business from elsewhere (the in-doubt case): a conflict, not a duplicate.
    platform.call("invoiceEBillOutpatient", {**rec.request})
    result = services.link.drain()
    assert result.carried == 0 and len(result.conflicts) == 1 and "CWDOUBT1" in result.conflicts[0]
    assert platform.bus_nos().count("CWDOUBT1") == 1


def test_no_emergency_stock_means_clear_error(window) -> None:
    services, platform = window
    services.issuing.emergency = None
    platform.online = False
    with pytest.raises(EmergencyUnavailable) as exc:
        services.issuing.issue(outpatient_form(services), "张敏")
    assert exc.value.code == "E5880"
