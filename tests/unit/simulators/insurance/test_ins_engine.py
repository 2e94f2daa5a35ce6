"""The reimbursement engine on its own: the split adds up to the fen, deductible and cap hold,
catalogue classes split lines as documented (docs/INSURANCE.md, "Reimbursement rules")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.insurance import engine
from simulators.insurance.engine import (
    IPT,
    LV_A,
    LV_B,
    LV_C,
    OTP,
    Accumulated,
    Totals,
    add_up,
    settle,
    split_line,
)

pytestmark = pytest.mark.unit

POLICY_KEYS = sorted(engine.POLICIES)
fen_amounts = st.integers(min_value=1, max_value=5_000_000)


@st.composite
def lines(draw: st.DrawFn) -> engine.LineSplit:
    lv = draw(st.sampled_from([LV_A, LV_B, LV_C]))
    cnt = Decimal(draw(st.integers(min_value=1, max_value=50)))
    pric_fen = draw(st.integers(min_value=1, max_value=200_000))
    pric = Decimal(pric_fen) / 100
    prop = Decimal(draw(st.integers(min_value=0, max_value=100))) / 100
    limit = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=200_000).map(lambda f: Decimal(f) / 100)))
    return split_line(int(cnt * pric_fen), cnt, pric, lv, prop, limit)


@settings(max_examples=300, deadline=None)
@given(st.lists(lines(), min_size=1, max_size=8), st.sampled_from(POLICY_KEYS),
       st.integers(min_value=0, max_value=2_000_000), st.integers(min_value=0, max_value=60_000_000),
       st.integers(min_value=0, max_value=500_000), st.booleans())
def test_parts_add_up_and_limits_hold(split: list[engine.LineSplit], key: tuple[str, str], dedc_used: int,
                                      fund_paid: int, balance: int, use_account: bool) -> None:
    policy = engine.POLICIES[key]
    totals = add_up(split)
    parts = settle(totals, policy, Accumulated(dedc_used, fund_paid), balance, use_account)
    # the three payers add up to the total, to the fen
    assert parts.fund + parts.acct + parts.cash == totals.medfee
    assert parts.psn_part == parts.acct + parts.cash
    # each line's split adds up, so the totals' split does too
    assert totals.fulamt_ownpay + totals.overlmt + totals.preselfpay + totals.inscp == totals.medfee
    assert min(parts.fund, parts.acct, parts.cash, parts.dedc) >= 0
    # the deductible is never used beyond the year's line, the fund never beyond the year's cap
    assert dedc_used + parts.dedc <= max(policy.deductible, dedc_used)
    assert parts.dedc <= totals.inscp
    assert fund_paid + parts.fund <= max(policy.cap, fund_paid)
    # the fund pays only in-scope money above the deductible, at most at the policy's ratio
    assert parts.fund <= int((Decimal(totals.inscp - parts.dedc) * policy.ratio).to_integral_value("ROUND_HALF_UP"))
    # the account pays only when allowed, never more than the balance
    assert parts.acct <= balance
    if not (use_account and policy.has_account):
        assert parts.acct == 0
    assert parts.balc_after == balance - parts.acct


def test_deductible_then_ratio() -> None:
    """职工门诊: deductible 200.00, then 70 %: 500.00 甲 -> dedc 200, fund 210, person 290."""
    policy = engine.POLICIES[("310", OTP)]
    totals = add_up([split_line(50000, Decimal(1), Decimal(500), LV_A, Decimal(0), None)])
    parts = settle(totals, policy, Accumulated(), 100000, True)
    assert (parts.dedc, parts.fund, parts.acct, parts.cash) == (20000, 21000, 29000, 0)


def test_used_deductible_and_cap() -> None:
    policy = engine.POLICIES[("390", OTP)]  # no deductible, 50 %, cap 600.00
    totals = Totals(100000, 0, 0, 0, 100000)
    assert settle(totals, policy, Accumulated(0, 0), 0, True).fund == 50000
    # 550.00 of the cap used: only 50.00 left
    parts = settle(totals, policy, Accumulated(0, 55000), 0, True)
    assert (parts.fund, parts.acct, parts.cash) == (5000, 0, 95000)  # resident: no account
    assert settle(totals, policy, Accumulated(0, 60000), 0, True).fund == 0


def test_deductible_partly_used() -> None:
    policy = engine.POLICIES[("310", IPT)]  # deductible 1000.00, 85 %
    totals = Totals(300000, 0, 0, 0, 300000)
    parts = settle(totals, policy, Accumulated(80000, 0), 0, False)
    assert parts.dedc == 20000
    assert parts.fund == 238000  # (3000 - 200) * 0.85
    assert parts.cash == 62000


def test_line_classes() -> None:
    # 乙: 10 % first self-pay
    b = split_line(30000, Decimal(10), Decimal(30), LV_B, Decimal("0.10"), Decimal(30))
    assert (b.fulamt_ownpay, b.overlmt, b.preselfpay, b.inscp) == (0, 0, 3000, 27000)
    # price above the limit: the excess is over-limit self-pay; 甲 has no first self-pay
    a = split_line(2000, Decimal(2), Decimal(10), LV_A, Decimal(0), Decimal(8))
    assert (a.overlmt, a.preselfpay, a.inscp) == (400, 0, 1600)
    # 丙: all self-paid
    c = split_line(5000, Decimal(1), Decimal(50), LV_C, Decimal(1), None)
    assert (c.fulamt_ownpay, c.inscp) == (5000, 0)
    # a refund line splits like its positive twin, negated
    r = split_line(-30000, Decimal(-10), Decimal(30), LV_B, Decimal("0.10"), None)
    assert (r.preselfpay, r.inscp) == (-3000, -27000)


def test_account_runs_out() -> None:
    policy = engine.POLICIES[("310", OTP)]
    totals = Totals(10000, 0, 0, 0, 10000)  # all within the deductible: the person pays 100.00
    parts = settle(totals, policy, Accumulated(), 1000, True)
    assert (parts.fund, parts.acct, parts.cash, parts.balc_after) == (0, 1000, 9000, 0)


def test_unknown_insutype_has_no_policy() -> None:
    assert engine.policy_for("510", OTP) is None
