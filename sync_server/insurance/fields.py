"""The insurance API's request fields: camelCase on our wire, snake_case on the platform's
(``detItemFeeSumamt`` -> ``det_item_fee_sumamt``), checked once at the edge with a Chinese
message naming the field (E5610)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sync_server.insurance.errors import InsuranceRequestError

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake(name: str) -> str:
    """``detItemFeeSumamt`` -> ``det_item_fee_sumamt`` (snake_case names pass unchanged)."""
    return _CAMEL.sub(r"_\1", name).lower()


def snake_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``row`` with snake_case keys."""
    return {snake(str(k)): v for k, v in row.items()}


def required(data: Mapping[str, Any], name: str, max_len: int = 50) -> str:
    """A required text field."""
    value = data.get(name)
    if value is None or str(value).strip() == "":
        raise InsuranceRequestError(f"{name}必填")
    text = str(value).strip()
    if len(text) > max_len:
        raise InsuranceRequestError(f"{name}超过{max_len}个字符")
    return text


def optional(data: Mapping[str, Any], name: str, default: str = "", max_len: int = 100) -> str:
    """An optional text field."""
    value = data.get(name)
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip()
    if len(text) > max_len:
        raise InsuranceRequestError(f"{name}超过{max_len}个字符")
    return text


def one_of(data: Mapping[str, Any], name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    """A field whose value is one of ``allowed``."""
    value = optional(data, name, default or "")
    if value not in allowed:
        raise InsuranceRequestError(f"{name}必须是{'、'.join(allowed)}之一")
    return value


def settlement_id(data: Mapping[str, Any]) -> int:
    """The ``settlementId`` field (a positive integer)."""
    value = data.get("settlementId")
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise InsuranceRequestError("settlementId必填且必须是整数") from None
    if number <= 0:
        raise InsuranceRequestError("settlementId必须是正整数")
    return number


def amount(value: Any, name: str) -> Decimal:
    """An amount with at most 2 decimal places (numbers or strings; never float arithmetic)."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InsuranceRequestError(f"{name}必须是金额") from None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InsuranceRequestError(f"{name}最多两位小数")
    return number.quantize(Decimal("0.01"))
