"""Every limit's warning (80 %) and hard stop (100 %), the overdue alarm and low-stock warnings,
through the workflow (ManualClock, link down, no sockets) and through the pure checks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from billing_core import terminal_params as tp
from billing_core.clock import ManualClock
from offline_store import journal, stock
from workflows.emergency.limits import (
    EmergencyLimits,
    LimitExceededError,
    Usage,
    check_issue,
    warnings,
)

from .conftest import METHOD, make_workflow, outpatient

pytestmark = pytest.mark.unit

AMT = Decimal("386.50")  # the sample outpatient bill


def codes(notices) -> set[str]:  # type: ignore[no-untyped-def]
    return {n.code for n in notices}


def test_max_bills_warns_at_80_percent_and_stops_at_100(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(max_bills=5))
    got = [wf.issue(METHOD, outpatient(f"N{i}")) for i in range(5)]
    assert "E8312" not in codes(got[2].notices)  # 3/5 = 60 %
    assert "E8312" in codes(got[3].notices)  # 4/5 = 80 %
    with pytest.raises(LimitExceededError) as exc:
        wf.issue(METHOD, outpatient("N5"))
    assert exc.value.code == "E8302" and "停止应急开票" in exc.value.message and "5张" in exc.value.message
    assert wf.status().usage["max_bills"] == {"used": "5", "limit": "5", "percent": "100"}
    assert stock.remaining(db) == 45  # the refused bill used no number
    assert "E8302" in codes(wf.status().notices)


def test_max_total_warns_and_stops(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(max_total=Decimal("1500.00")))
    first = wf.issue(METHOD, outpatient("T0"))  # 386.50 = 26 %
    assert "E8313" not in codes(first.notices)
    wf.issue(METHOD, outpatient("T1"))
    third = wf.issue(METHOD, outpatient("T2"))  # 1159.50 = 77 %
    assert "E8313" not in codes(third.notices)
    with pytest.raises(LimitExceededError) as exc:  # 1546.00 > 1500
        wf.issue(METHOD, outpatient("T3"))
    assert exc.value.code == "E8303" and "累计金额" in exc.value.message
    usage = Usage(3, Decimal("1200.00"), None, None, 100)
    assert "E8313" in codes(warnings(EmergencyLimits(max_total=Decimal("1500.00")), usage, clock.now()))


def test_max_single_warns_and_stops(db, clock, signer) -> None:
    warn = make_workflow(db, clock, signer, EmergencyLimits(max_single=Decimal("400.00")))
    assert "E8314" in codes(warn.issue(METHOD, outpatient("S0")).notices)  # 386.50 = 97 %
    limits = EmergencyLimits(max_single=Decimal("300.00"))
    with pytest.raises(LimitExceededError) as exc:
        check_issue(limits, Usage(0, Decimal(0), None, None, 100), AMT, clock.now())
    assert exc.value.code == "E8304" and "单张" in exc.value.message
    assert "E8314" not in codes(check_issue(EmergencyLimits(max_single=Decimal("1000")),
                                            Usage(0, Decimal(0), None, None, 100), AMT, clock.now()))


def test_max_offline_hours_warns_and_stops(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(max_offline_hours=Decimal(10)))
    # The breaker opened at clock.now(): the episode starts there.
    clock.advance(7 * 3600)
    assert "E8311" not in codes(wf.issue(METHOD, outpatient("H0")).notices)  # 70 %
    clock.advance(1 * 3600)
    assert "E8311" in codes(wf.issue(METHOD, outpatient("H1")).notices)  # 80 %
    clock.advance(2 * 3600)
    with pytest.raises(LimitExceededError) as exc:
        wf.issue(METHOD, outpatient("H2"))
    assert exc.value.code == "E8301" and "离线开票时长" in exc.value.message


def test_upload_deadline_warning_and_overdue_alarm(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(upload_deadline_hours=Decimal(24),
                                                          max_offline_hours=Decimal(100)))
    wf.issue(METHOD, outpatient("D0"))
    status = wf.status()
    assert not status.overdue and status.upload_deadline == "20261124090000000"
    clock.advance(20 * 3600)  # 83 % of the deadline
    assert "E8322" in codes(wf.status().notices)
    clock.advance(4 * 3600 + 1)
    status = wf.status()
    assert status.overdue and "E8320" in codes(status.notices)
    alarm = [n for n in status.notices if n.code == "E8320"][0]
    assert alarm.level == "alarm" and "超过上传期限" in alarm.message
    # Once the server holds it, the alarm is gone.
    entry = journal.by_bus_no(db, "D0")
    assert entry is not None
    journal.set_state(db, entry.seq, "uploaded", {}, "20261124100000000")
    assert "E8320" not in codes(wf.status().notices) and not wf.status().overdue


def test_low_stock_warning(db, clock, signer) -> None:
    wf = make_workflow(db, clock, signer, EmergencyLimits(low_stock=3), stock_size=5)
    assert "E8321" not in codes(wf.issue(METHOD, outpatient("L0")).notices)  # 4 left
    got = wf.issue(METHOD, outpatient("L1"))  # 3 left
    assert "E8321" in codes(got.notices)
    assert wf.status().stock_remaining == 3 and "E8321" in codes(wf.status().notices)


def test_limits_from_config_refuses_unknown_keys() -> None:
    limits = EmergencyLimits.from_config({"max_bills": 10, "max_total": "999.50"})
    assert limits.max_bills == 10 and limits.max_total == Decimal("999.50")
    with pytest.raises(ValueError):
        EmergencyLimits.from_config({"max_bill": 10})


def test_offline_hours_count_from_oldest_pending_bill() -> None:
    clock = ManualClock()
    start = clock.now()
    usage = Usage(1, AMT, "20261123090000000", None, 100)
    from workflows.emergency.limits import offline_hours
    assert offline_hours(usage, start + timedelta(hours=5)) == Decimal("5.00")
    assert offline_hours(Usage(0, Decimal(0), None, None, 100), start) == Decimal(0)


def test_pushed_limits_apply_to_the_next_bill(db, clock, signer) -> None:  # type: ignore[no-untyped-def]
    """Issue 19 §1: a heartbeat's pushed max_bills stops emergency issuing at once."""
    wf = make_workflow(db, clock, signer)
    wf.issue(METHOD, outpatient("PUSH-1"))
    assert wf.pushed.apply(tp.delivery(5, "cashier", None, tp.check_params({"max_bills": 1}), {}))
    assert wf.limits.max_bills == 1 and wf.emergency.limits.max_bills == 1
    assert wf._heartbeat_body()["configVersion"] == 5
    with pytest.raises(LimitExceededError):
        wf.issue(METHOD, outpatient("PUSH-2"))
