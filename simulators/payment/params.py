"""Reading request parameters: each problem is an E3701 naming the field, in Chinese."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulators.payment import errors
from simulators.payment.errors import PayError

#: Merchant numbers: letters, digits, ``_-|*`` (WeChat's rule for out_trade_no / out_refund_no).
_NO = re.compile(r"^[A-Za-z0-9_\-|*]{1,32}$")
#: The largest single payment accepted (fen): 1,000,000.00 yuan.
MAX_FEE = 100_000_000


def text(params: Mapping[str, Any], name: str, max_len: int, *, required: bool = True) -> str:
    """A text parameter of at most ``max_len`` characters."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise PayError(errors.PARAM, f"缺少参数{name}")
        return ""
    if not isinstance(value, str):
        raise PayError(errors.PARAM, f"参数{name}必须是文本")
    if len(value) > max_len:
        raise PayError(errors.PARAM, f"参数{name}不能超过{max_len}个字符")
    return value


def number(params: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    """A merchant order or refund number (1-32 of letters, digits and ``_-|*``)."""
    value = text(params, name, 32, required=required)
    if value and not _NO.match(value):
        raise PayError(errors.PARAM, f"参数{name}只能由1到32位字母、数字和_-|*组成")
    return value


def fen(params: Mapping[str, Any], name: str, *, required: bool = True) -> int:
    """An amount in integer fen, 1 .. MAX_FEE (a JSON integer or a string of digits)."""
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise PayError(errors.PARAM, f"缺少参数{name}（金额，单位分）")
        return 0
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayError(errors.PARAM, f"参数{name}必须是以分为单位的整数金额")
    if not 1 <= value <= MAX_FEE:
        raise PayError(errors.PARAM, f"参数{name}必须在1到{MAX_FEE}分之间")
    return value


def seconds(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A whole number of seconds in ``low .. high`` (``default`` when absent)."""
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PayError(errors.PARAM, f"参数{name}必须是{low}到{high}之间的整数秒")
    return value


def url(params: Mapping[str, Any], name: str) -> str:
    """An optional http(s) URL."""
    value = text(params, name, 256, required=False)
    if value and not re.match(r"^https?://[^\s]+$", value):
        raise PayError(errors.PARAM, f"参数{name}必须是http或https地址")
    return value
