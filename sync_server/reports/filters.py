"""The filter every hospital-wide report takes, parsed once from a terminal request.

Fields (all strings on the wire): ``dateFrom`` / ``dateTo`` (YYYY-MM-DD, inclusive, at most
:data:`MAX_DAYS` days), optional ``placeCode`` (开票点), ``payee`` (收费员), ``busType`` (票据类型,
billing_core.codes.BUS_TYPE), ``page`` (from 1) and ``pageSize`` (1-:data:`MAX_PAGE_SIZE`).
A bad field is refused with E5970 naming it; nothing is read.

Days are compared on the 17-digit times the bills carry (``yyyyMMddHHmmssSSS``): a day is the
half-open range [``yyyyMMdd``, next day's ``yyyyMMdd``) of the bill's issue time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from billing_core.codes import BUS_TYPE
from sync_server.reports.errors import ReportFilterError

MAX_DAYS = 366
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """What a report is asked for."""

    date_from: date
    date_to: date
    place_code: str | None = None
    payee: str | None = None
    bus_type: str | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def lo(self) -> str:
        """First 17-digit time inside the range (as a prefix: ``yyyyMMdd``)."""
        return self.date_from.strftime("%Y%m%d")

    @property
    def hi(self) -> str:
        """First time after the range (``yyyyMMdd`` of the day after ``date_to``)."""
        return (self.date_to + timedelta(days=1)).strftime("%Y%m%d")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def echo(self) -> dict[str, str]:
        """The filter as answered back (so an export names what it holds)."""
        return {"dateFrom": self.date_from.isoformat(), "dateTo": self.date_to.isoformat(),
                "placeCode": self.place_code or "", "payee": self.payee or "", "busType": self.bus_type or "",
                "page": str(self.page), "pageSize": str(self.page_size)}


def _day(data: dict[str, Any], name: str, label: str) -> date:
    raw = str(data.get(name) or "").strip()
    if not raw:
        raise ReportFilterError(f"{name}（{label}）必填，格式YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ReportFilterError(f"{name}（{label}）格式应为YYYY-MM-DD：{raw[:20]}") from None


def text_field(data: dict[str, Any], name: str, label: str, limit: int) -> str | None:
    """An optional text field (None when absent); E5970 naming it when longer than ``limit``."""
    raw = data.get(name)
    if raw in (None, ""):
        return None
    value = str(raw).strip()
    if len(value) > limit:
        raise ReportFilterError(f"{name}（{label}）不能超过{limit}个字符")
    return value or None


def int_field(data: dict[str, Any], name: str, label: str, default: int, top: int) -> int:
    """An optional integer field in 1..``top`` (``default`` when absent); E5970 naming it otherwise."""
    raw = data.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ReportFilterError(f"{name}（{label}）必须是整数") from None
    if not 1 <= value <= top:
        raise ReportFilterError(f"{name}（{label}）必须在1到{top}之间")
    return value


def parse_filter(data: dict[str, Any]) -> ReportFilter:
    """The request's filter, or E5970 naming the first bad field."""
    date_from = _day(data, "dateFrom", "开始日期")
    date_to = _day(data, "dateTo", "结束日期")
    if date_to < date_from:
        raise ReportFilterError("dateTo（结束日期）不能早于dateFrom（开始日期）")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ReportFilterError(f"查询日期范围不能超过{MAX_DAYS}天（dateFrom至dateTo）")
    bus_type = text_field(data, "busType", "票据类型", 2)
    if bus_type is not None and bus_type not in BUS_TYPE.entries:
        raise ReportFilterError(f"busType（票据类型）不是已知的业务类型：{bus_type}")
    return ReportFilter(
        date_from, date_to,
        place_code=text_field(data, "placeCode", "开票点", 50), payee=text_field(data, "payee", "收费员", 50),
        bus_type=bus_type,
        page=int_field(data, "page", "页码", 1, 1_000_000),
        page_size=int_field(data, "pageSize", "每页条数", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE))
