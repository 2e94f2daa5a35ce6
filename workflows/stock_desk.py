"""The finance office's bill-stock desk (issue 18 §2; docs/STOCK.md): Qt-free, driven by the
cashier app's finance workspace (cashier_app/pages/stock*.py) and by plain pytest.

:class:`StockDesk` checks what a person typed (E3070-E3089, naming the field, before anything is
sent), gives every change its own request id — kept until the change succeeds, so a retry after
a lost answer (E5951) finishes the same operation instead of starting another — calls the sync
server's ``stock*`` terminal methods, and keeps the last :class:`StockView` for the screens.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from billing_core import methods
from billing_core.errors import BillingError

#: The paper bill kind the demo platform issues (docs/FINANCE_SIMULATOR.md).
DEFAULT_BILL_CODE = "0602"


class StockDeskError(BillingError):
    """Root of the desk's input refusals (E3070-E3089)."""

    code = "E3070"
    default_message = "票据库存操作输入有误"


class StockFieldMissing(StockDeskError):
    """A required field is empty."""

    code = "E3071"
    default_message = "请填写必填项"


class StockNumberError(StockDeskError):
    """A bill number is not digits, or the last is before the first."""

    code = "E3072"
    default_message = "票据号码有误"


class StockCountError(StockDeskError):
    """A count or threshold is not a whole number in its range."""

    code = "E3073"
    default_message = "数量有误"


@dataclass
class StockView:
    """What the server answered to ``stockView`` (docs/STOCK.md)."""

    lots: list[dict[str, Any]] = field(default_factory=list)
    pieces: list[dict[str, Any]] = field(default_factory=list)
    holdings: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    emergency: list[dict[str, Any]] = field(default_factory=list)
    applies: list[dict[str, Any]] = field(default_factory=list)

    @property
    def store_total(self) -> int:
        """Numbers in the finance office's store."""
        return sum(int(lot["store"]) for lot in self.lots)

    @property
    def held_total(self) -> int:
        """Numbers windows and kiosks hold."""
        return sum(int(h["held"]) for h in self.holdings)


def _need(value: str, label: str) -> str:
    text = value.strip()
    if not text:
        raise StockFieldMissing(f"请填写{label}")
    return text


def _numbers(first: str, last: str) -> tuple[str, str]:
    a, b = _need(first, "起始号码"), _need(last, "终止号码")
    if not a.isdigit() or not b.isdigit():
        raise StockNumberError("起始号码和终止号码只能是数字")
    if int(b) < int(a):
        raise StockNumberError(f"终止号码{b}小于起始号码{a}")
    width = max(len(a), len(b))
    return a.zfill(width), b.zfill(width)


def _whole(value: str, label: str, low: int, high: int) -> int:
    text = _need(value, label)
    if not text.isdigit() or not low <= int(text) <= high:
        raise StockCountError(f"{label}必须是{low}到{high}之间的整数")
    return int(text)


class StockDesk:
    """Stock operations of one logged-in finance user.

    :param terminal: ``ServerApi.terminal`` (method, data) -> payload; raises the server's
        refusal (PlatformError with its code) or a link error.
    """

    def __init__(self, terminal: Callable[[str, Mapping[str, Any]], Any]) -> None:
        self._terminal = terminal
        self.view = StockView()
        self._pending: dict[tuple[Any, ...], str] = {}

    def _request(self, key: tuple[Any, ...], method: str, data: dict[str, Any], prefix: str = "") -> Any:
        """Send a change with the request id of ``key`` (the same until it succeeds)."""
        rid = self._pending.setdefault(key, prefix + uuid.uuid4().hex[:20] if prefix else uuid.uuid4().hex)
        answer = self._terminal(method, {**data, "requestId": rid})
        del self._pending[key]
        return answer

    def refresh(self) -> StockView:
        """Read the whole stock view again."""
        got = self._terminal(methods.TERMINAL_STOCK_VIEW, {})
        self.view = StockView(**{k: list(got.get(k) or []) for k in StockView.__dataclass_fields__})
        return self.view

    def opening(self, bill_code: str, batch: str, first: str, last: str, bill_name: str = "") -> Any:
        """期初库存."""
        a, b = _numbers(first, last)
        data = {"billCode": _need(bill_code, "票据种类"), "billName": bill_name.strip(),
                "billBatchCode": _need(batch, "票据代码"), "billBgnNo": a, "billEndNo": b}
        return self._request(("opening", batch, a, b), methods.TERMINAL_STOCK_OPENING, data)

    def apply(self, bill_code: str, count: str, reason: str) -> Any:
        """票据申领."""
        data = {"billCode": _need(bill_code, "票据种类"), "count": _whole(count, "申领数量", 1, 100_000),
                "reason": reason.strip()}
        # the request id is the form number (申领单号) people read: "SQ" + 20 hex digits
        return self._request(("apply", data["billCode"], data["count"], data["reason"]),
                             methods.TERMINAL_STOCK_APPLY, data, prefix="SQ")

    def refresh_apply(self, apply_no: str) -> Any:
        """The platform's decision on a form."""
        return self._terminal(methods.TERMINAL_STOCK_APPLY_REFRESH, {"applyNo": _need(apply_no, "申领单号")})

    def confirm(self, apply_no: str) -> Any:
        """入库确认."""
        return self._terminal(methods.TERMINAL_STOCK_CONFIRM, {"applyNo": _need(apply_no, "申领单号")})

    def _range(self, action: str, method: str, batch: str, first: str, last: str, **extra: Any) -> Any:
        a, b = _numbers(first, last)
        data = {"billBatchCode": _need(batch, "票据代码"), "billBgnNo": a, "billEndNo": b, **extra}
        return self._request((action, batch, a, b, tuple(sorted(extra.items()))), method, data)

    def distribute(self, batch: str, first: str, last: str, place_code: str, terminal_id: str = "") -> Any:
        """分发 to a billing point (and optionally one terminal of it)."""
        return self._range("distribute", methods.TERMINAL_STOCK_DISTRIBUTE, batch, first, last,
                           placeCode=_need(place_code, "开票点"), terminalId=terminal_id.strip())

    def recall(self, batch: str, first: str, last: str, reason: str = "") -> Any:
        """收回 to the store."""
        return self._range("recall", methods.TERMINAL_STOCK_RECALL, batch, first, last, reason=reason.strip())

    def void(self, batch: str, first: str, last: str, reason: str) -> Any:
        """库存作废."""
        return self._range("void", methods.TERMINAL_STOCK_VOID, batch, first, last,
                           reason=_need(reason, "作废原因"))

    def give_back(self, batch: str, first: str, last: str, reason: str) -> Any:
        """申退 to finance."""
        return self._range("return", methods.TERMINAL_STOCK_GIVE_BACK, batch, first, last,
                           reason=_need(reason, "申退原因"))

    def set_threshold(self, place_code: str, bill_code: str, min_count: str, terminal_id: str = "") -> Any:
        """A low-stock threshold (place "" = the store)."""
        return self._terminal(methods.TERMINAL_STOCK_THRESHOLD, {
            "placeCode": place_code.strip(), "terminalId": terminal_id.strip(),
            "billCode": _need(bill_code, "票据种类"), "minCount": _whole(min_count, "预警值", 0, 1_000_000)})

    def year_end(self, year: str, close: bool = False) -> Any:
        """年结: the year's summary, or its closure (refused while anything of it is open)."""
        return self._terminal(methods.TERMINAL_STOCK_YEAR_END, {"year": _whole(year, "年度", 2000, 2999),
                                                               "close": close})

    def moves(self, day_from: str, day_to: str, actions: tuple[str, ...] = ()) -> Any:
        """The journal and 领用存 between two days (yyyy-MM-dd)."""
        return self._terminal(methods.TERMINAL_STOCK_MOVES, {"dayFrom": _need(day_from, "开始日期"),
                                                            "dayTo": _need(day_to, "结束日期"),
                                                            "actions": list(actions)})
