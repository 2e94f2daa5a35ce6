"""Unit tests of the edge guards of issue 14: request limits, terminal stamps, notice limiter."""

from __future__ import annotations

import pytest

from billing_core import request_stamp
from sync_server.api import limits, notice_guard
from sync_server.api.terminal_api import MAX_SKEW, check_stamp
from sync_server.errors import ListTooLongError, NestingTooDeepError, RequestStampError, SignedMethodError

pytestmark = pytest.mark.unit


def nested(depth: int) -> object:
    obj: object = 1
    for _ in range(depth):
        obj = {"a": obj}
    return obj


def test_depth_limit_is_exact() -> None:
    limits.check(nested(limits.MAX_DEPTH))
    with pytest.raises(NestingTooDeepError):
        limits.check(nested(limits.MAX_DEPTH + 1))
    with pytest.raises(NestingTooDeepError):
        limits.check(nested(100_000))  # iterative: no RecursionError however deep


def test_list_limits_name_the_field_wherever_it_sits() -> None:
    limits.check({"chargeDetail": [{}] * limits.MAX_ITEMS["chargeDetail"]})
    with pytest.raises(ListTooLongError, match="chargeDetail"):
        limits.check({"eBillList": [{"chargeDetail": [{}] * (limits.MAX_ITEMS["chargeDetail"] + 1)}]})
    with pytest.raises(ListTooLongError, match="other"):
        limits.check({"other": [0] * (limits.MAX_OTHER_ITEMS + 1)})


def test_stamp_round_trip_and_checks() -> None:
    noise = request_stamp.make("heartbeat", 1_700_000_000_000)
    assert request_stamp.parse(noise) == request_stamp.Stamp("heartbeat", 1_700_000_000_000)
    assert request_stamp.parse("d6f1c0de9d8c4f0b9c1e2f3a4b5c6d7e") is None
    check_stamp("heartbeat", noise, 1_700_000_000.0 + MAX_SKEW - 1)
    with pytest.raises(RequestStampError):
        check_stamp("heartbeat", noise, 1_700_000_000.0 + MAX_SKEW + 1)
    with pytest.raises(SignedMethodError):
        check_stamp("catalog", noise, 1_700_000_000.0)
    with pytest.raises(RequestStampError):
        check_stamp("heartbeat", "plain-noise", 1_700_000_000.0)


def test_notice_limiter_locks_after_failures_and_releases() -> None:
    now = [0.0]
    lim = notice_guard.LookupLimiter(clock=lambda: now[0])
    for _ in range(notice_guard.MAX_FAILURES):
        assert lim.allow("1.2.3.4") == 0
        lim.failed("1.2.3.4")
    assert lim.allow("1.2.3.4") > 0 and lim.allow("5.6.7.8") == 0
    now[0] += notice_guard.LOCKOUT + 1
    assert lim.allow("1.2.3.4") == 0


def test_notice_limiter_caps_lookups_per_window() -> None:
    now = [0.0]
    lim = notice_guard.LookupLimiter(clock=lambda: now[0])
    assert all(lim.allow("a") == 0 for _ in range(notice_guard.MAX_LOOKUPS))
    assert lim.allow("a") > 0
    now[0] += notice_guard.WINDOW + 1
    assert lim.allow("a") == 0


def test_masks() -> None:
    assert notice_guard.mask_name("张伟") == "张*" and notice_guard.mask_name("欧阳娜娜") == "欧***"
    assert notice_guard.mask_id("440100D15600012345") == "440***********2345"
    assert notice_guard.mask_id("12345") == "*****"


def test_amounts_beyond_decimal_context_are_money_errors() -> None:
    """1E+30 used to escape quantize() as InvalidOperation (an internal error, a pending claim)."""
    from decimal import Decimal

    from billing_core.money import MoneyError, parse_amount

    for value in (Decimal("1E+30"), Decimal("1E+50"), "1000000000000000000000000000000", 10**40):
        with pytest.raises(MoneyError, match="范围|数字"):
            parse_amount(value)
    assert str(parse_amount("999999999999.99")) == "999999999999.99"
