"""billing_core.money: parsing N14,2 amounts, formatting, capitalised amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_core.money import (
    MoneyError,
    format_yuan,
    from_fen,
    parse_amount,
    parse_decimal,
    to_chinese_upper,
    to_fen,
    wire,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.50", "伍角"),
        ("10.00", "壹拾元整"),
        ("1004.05", "壹仟零肆元零伍分"),
        ("100000.10", "壹拾万元零壹角"),
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("1.20", "壹元贰角"),
        ("12.34", "壹拾贰元叁角肆分"),
        ("10.50", "壹拾元零伍角"),
        ("1010.01", "壹仟零壹拾元零壹分"),
        ("100010000", "壹亿零壹万元整"),
        ("100000001", "壹亿零壹元整"),
        ("20000000000", "贰佰亿元整"),
        ("3060.00", "叁仟零陆拾元整"),
        ("105000.00", "壹拾万伍仟元整"),
        ("-12.50", "负壹拾贰元伍角"),
    ],
)
def test_capitalised_amounts(value: str, expected: str) -> None:
    assert to_chinese_upper(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", "12.50"), (12.5, "12.50"), (12.50, "12.50"), ("12", "12.00"), (7, "7.00"),
     (Decimal("0.1"), "0.10"), ("999999999999.99", "999999999999.99"), (" 3.00 ", "3.00")],
)
def test_parse_accepts_numbers_and_numeric_strings(value: object, expected: str) -> None:
    assert wire(parse_amount(value)) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("12.345", "2位小数"), (12.345, "2位小数"), ("NaN", "数字"), (float("nan"), "NaN"),
     (float("inf"), "NaN"), ("Infinity", "数字"), ("1000000000000.00", "超出"), (True, "数字"),
     (None, "数字"), ("", "数字"), ("1,000", "数字"), (-1, "负数"), ([], "数字")],
)
def test_parse_rejects_bad_amounts_naming_the_field(value: object, fragment: str) -> None:
    with pytest.raises(MoneyError) as err:
        parse_amount(value, field="totalAmt（总金额）")
    assert err.value.code == "E1004"
    assert "totalAmt（总金额）" in err.value.message
    assert fragment in err.value.message


def test_list_detail_precision_is_configurable() -> None:
    assert parse_decimal("1.2345", places=4) == Decimal("1.2345")
    with pytest.raises(MoneyError):
        parse_decimal("1.23456", places=4)


def test_negative_allowed_only_when_asked() -> None:
    assert parse_amount("-3.5", allow_negative=True) == Decimal("-3.50")


def test_format_and_fen_round_trip() -> None:
    assert format_yuan(Decimal("1234.5")) == "¥1,234.50"
    assert format_yuan(Decimal("-0.5")) == "-¥0.50"
    assert to_fen(Decimal("1234.56")) == 123456
    assert from_fen(123456) == Decimal("1234.56")
