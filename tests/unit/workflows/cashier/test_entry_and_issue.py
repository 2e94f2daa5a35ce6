"""Entry form checks, issuing, idempotency and emergency fallback, over the demo platform."""

from __future__ import annotations

from decimal import Decimal

import pytest

from workflows.cashier.entry import MISSING, NO_ITEMS, PAY_MISMATCH, UNKNOWN_ITEM, EntryForm
from workflows.cashier.errors import EntryInvalid
from workflows.demo.cashier import demo_services
from workflows.errors import NoStockError
from workflows.link_monitor import carry_summary

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
    assert services.bills.get(rec.bill_batch_code, rec.bill_no) is not None
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


def test_link_down_goes_to_emergency_and_back(window, clock) -> None:
    services, platform = window
    seen: list[tuple[str, dict]] = []
    services.events.subscribe(lambda name, payload: seen.append((name, payload)))
    platform.online = False
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    assert rec.emergency and not rec.uploaded and rec.state_label == "正常／应急待上传"
    assert rec.bill_batch_code == platform.emergency_batch_code
    # The link state is the sync client's breaker, relayed as LINK_CHANGED.
    assert services.issuing.online is False
    assert ("link_changed", {"online": False, "reason": "同步服务器连接中断"}) in seen
    assert services.workflow.status().pending_uploads == 1
    assert services.link.probe() is False
    platform.online = True
    clock.advance(services.sync.breaker.open_seconds)  # the half-open probe is due
    assert services.link.probe() is True and services.issuing.online
    assert services.workflow.status().pending_uploads == 0
    assert platform.bill_count() == 1 and platform.bus_nos() == [rec.bus_no]
    assert services.bills.get(rec.bill_batch_code, rec.bill_no).uploaded
    names = [n for n, _p in seen]
    assert {"upload_progress", "carry_forward"} <= set(names) and names.count("link_changed") == 2


def test_emergency_bill_is_the_workflows_record(window) -> None:
    """One record of bills: the window's list reads the workflow's journal, with the full request."""
    services, platform = window
    platform.online = False
    rec = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWONE1")
    entry = services.workflow.status()
    assert entry.pending_uploads == 1
    again = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWONE1")
    assert (again.bill_batch_code, again.bill_no) == (rec.bill_batch_code, rec.bill_no)
    assert [r.bus_no for r in services.bills.all()] == ["CWONE1"]
    assert services.bills.by_bus_no("CWONE1").request["payee"] == "张敏"


def test_emergency_conflict_is_reported(window, clock) -> None:
    services, platform = window
    form = outpatient_form(services)
    platform.online = False
    rec = services.issuing.issue(form, "张敏", bus_no="CWDOUBT1")
    platform.online = True
    # The platform got the same business from elsewhere (the in-doubt case): a conflict, not a duplicate.
    platform.call("invoiceEBillOutpatient", {**rec.request})
    clock.advance(services.sync.breaker.open_seconds)
    report = services.link.drain()
    carried, conflicts, failed = carry_summary(report)
    assert carried == 0 and len(conflicts) == 1 and "CWDOUBT1" in conflicts[0] and not failed
    assert platform.bus_nos().count("CWDOUBT1") == 1
    assert services.bills.by_bus_no("CWDOUBT1").state_label == "正常／应急冲突（号码作废）"


def test_no_emergency_stock_means_clear_error(clock, tmp_path) -> None:
    services, platform = demo_services(tmp_path, clock=clock, stock=0)
    platform.online = False
    with pytest.raises(NoStockError) as exc:
        services.issuing.issue(outpatient_form(services), "张敏")
    assert exc.value.code == "E8201"
    assert services.bills.all() == []
    services.close()


def test_lost_answer_is_looked_up_not_resent(window) -> None:
    """GIVEN the platform issued but its answer was lost WHEN the window issues THEN the workflow's
    getEBillByBusNo finds the bill: one bill, online, nothing sent twice."""
    services, platform = window
    platform.lose_answers = 1
    rec = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWLOST1")
    assert not rec.emergency and platform.bus_nos() == ["CWLOST1"]
    assert platform.calls == ["emergencyStock", "invoiceEBillOutpatient", "getEBillByBusNo"]


def test_lost_answer_and_failed_lookup_goes_emergency_in_doubt(window) -> None:
    """GIVEN the answer is lost and the lookup's answer too WHEN issuing THEN the bill is NOT re-sent
    online: an in-doubt emergency bill with the same busNo, settled at carry-forward."""
    services, platform = window
    platform.lose_answers = 2  # the issue's answer and the lookup's answer
    rec = services.issuing.issue(outpatient_form(services), "张敏", bus_no="CWLOST2")
    assert rec.emergency and services.issuing.last_outcome.in_doubt
    assert platform.calls.count("invoiceEBillOutpatient") == 1
