"""Reading request fields: every problem is a HisError naming the field (E3510 missing,
E3511 bad format), raised before anything is written."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from simulators.his import errors as e
from simulators.his.errors import HisError

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,10}$")


def text(body: dict[str, Any], name: str, label: str, max_len: int = 64, required: bool = True) -> str:
    """A text field (stripped); empty is "missing" when required."""
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise HisError(e.FIELD_REQUIRED, f"{name}（{label}）必填")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为字符串")
    out = str(value).strip()
    if len(out) > max_len:
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）不能超过{max_len}个字符")
    return out


def choice(body: dict[str, Any], name: str, label: str, values: tuple[str, ...], default: str | None = None) -> str:
    """One of ``values``; ``default`` when absent (else required)."""
    value = text(body, name, label, required=default is None) or default
    if value not in values:
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为{'、'.join(values)}之一")
    return str(value)


def optional_choice(body: dict[str, Any], name: str, label: str, values: tuple[str, ...]) -> str:
    """One of ``values``, or "" when absent or empty (a filter that is not set)."""
    value = text(body, name, label, required=False)
    if value and value not in values:
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为{'、'.join(values)}之一")
    return value


def day(body: dict[str, Any], name: str, label: str, required: bool = True) -> date | None:
    """A ``yyyy-MM-dd`` date."""
    value = text(body, name, label, 10, required)
    if not value:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else _bad_day(name, label)
    except ValueError:
        return _bad_day(name, label)


def _bad_day(name: str, label: str) -> date:
    raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为yyyy-MM-dd格式的有效日期")


def request_id(body: dict[str, Any]) -> str:
    """The caller-chosen idempotency key of a money-moving call."""
    rid = text(body, "requestId", "请求流水号", 64)
    if not _REQUEST_ID.match(rid):
        raise HisError(e.FIELD_FORMAT, "requestId（请求流水号）只能由字母、数字和_.:-组成，最长64位")
    return rid


def channel(body: dict[str, Any], name: str = "payChannel") -> str:
    """A pay-channel code (the finance platform's payChannelCode, mapped per hospital)."""
    value = text(body, name, "支付渠道编码", 10)
    if not _CODE.match(value):
        raise HisError(e.FIELD_FORMAT, f"{name}（支付渠道编码）只能由字母、数字组成，最长10位")
    return value


def id_list(body: dict[str, Any], name: str, label: str) -> list[str]:
    """A non-empty list of distinct ids."""
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise HisError(e.FIELD_REQUIRED, f"{name}（{label}）必填，且至少一项")
    if not all(isinstance(v, str) and v for v in value):
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为字符串列表")
    if len(set(value)) != len(value):
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）有重复项")
    return list(value)


def integer(body: dict[str, Any], name: str, label: str) -> int:
    """A positive integer (JSON number or digit string)."""
    value = body.get(name)
    if value is None or value == "":
        raise HisError(e.FIELD_REQUIRED, f"{name}（{label}）必填")
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise HisError(e.FIELD_FORMAT, f"{name}（{label}）应为正整数")
    return int(value)
