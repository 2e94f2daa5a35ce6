"""The finance office's bill-stock methods of the terminal API (issue 18 §2; docs/STOCK.md):
``stockView``, ``stockMoves``, ``stockOpening``, ``stockApply``, ``stockApplyRefresh``,
``stockConfirm``, ``stockDistribute``, ``stockRecall``, ``stockVoid``, ``stockReturn``,
``stockThreshold``, ``stockYearEnd``. Roles: finance and admin (security/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from billing_core import methods
from sync_server.api.access import current_actor
from sync_server.context import ServerContext
from sync_server.security.auth import Caller, CallerCache
from sync_server.stock import applies, lifecycle, stock_read, year_end
from sync_server.stock.errors import StockInputError
from sync_server.store.db import read_tx

Route = Callable[[ServerContext, CallerCache, Caller, dict[str, Any]], Any]


def _view(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    bill_code = str(data.get("billCode") or "") or None
    with read_tx(ctx.engine) as conn:
        view = {"lots": stock_read.lot_balances(conn, bill_code), "pieces": stock_read.pieces(conn, bill_code=bill_code),
                "holdings": stock_read.holdings(conn), "thresholds": stock_read.thresholds(conn),
                "warnings": stock_read.warnings(conn), "emergency": stock_read.emergency_view(conn)}
    view["applies"] = applies.applications(ctx)
    return view


def _day(data: dict[str, Any], key: str, label: str) -> str:
    value = str(data.get(key) or "")
    if len(value) != 10 or value[4] != "-" or value[7] != "-" or not (value[:4] + value[5:7] + value[8:]).isdigit():
        raise StockInputError(f"{label}（{key}）必须是yyyy-MM-dd格式的日期")
    return value


def _moves(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> Any:
    day_from, day_to = _day(data, "dayFrom", "开始日期"), _day(data, "dayTo", "结束日期")
    actions = [str(a) for a in data.get("actions") or []]
    with read_tx(ctx.engine) as conn:
        return {"moves": stock_read.moves(conn, day_from, day_to, actions=actions,
                                          place_code=data.get("placeCode") or None),
                "ledger": stock_read.ledger(conn, day_from, day_to)}


def _act(fn: Callable[[ServerContext, Any, dict[str, Any]], Any]) -> Route:
    return lambda ctx, cache, caller, data: fn(ctx, current_actor(caller), data)


#: The stock methods and their handlers (merged into terminal_api.ROUTES).
STOCK_ROUTES: dict[str, Route] = {
    methods.TERMINAL_STOCK_VIEW: _view,
    methods.TERMINAL_STOCK_MOVES: _moves,
    methods.TERMINAL_STOCK_OPENING: _act(lifecycle.opening),
    methods.TERMINAL_STOCK_APPLY: _act(applies.apply),
    methods.TERMINAL_STOCK_APPLY_REFRESH: _act(applies.refresh),
    methods.TERMINAL_STOCK_CONFIRM: _act(applies.confirm),
    methods.TERMINAL_STOCK_DISTRIBUTE: _act(lifecycle.distribute),
    methods.TERMINAL_STOCK_RECALL: _act(lifecycle.recall),
    methods.TERMINAL_STOCK_VOID: _act(lifecycle.void),
    methods.TERMINAL_STOCK_GIVE_BACK: _act(lifecycle.give_back),
    methods.TERMINAL_STOCK_THRESHOLD: _act(applies.set_threshold),
    methods.TERMINAL_STOCK_YEAR_END: _act(year_end.year_end),
}
