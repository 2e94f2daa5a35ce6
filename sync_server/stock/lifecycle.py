"""The bill stock lifecycle on the server (issue 18 §2; docs/STOCK.md): opening stock, ranges
handed out, voided or given back. Applications (申领 -> 入库确认) are in stock/applies.py.

An operation on a range runs in three steps so that no platform call happens while the store's
write lock is held, and no two operations can take the same numbers:

1. *hold*: in one transaction, the range is carved out of the piece holding it and marked
   ``busy`` with the request id (refused at once — nothing written — when it is not wholly in
   the state the operation needs);
2. the platform call (sent once);
3. *finish*: the piece gets its new state and holder and the journal row; or, when the platform
   refused or could not be reached, *release*: the mark is cleared and the pieces merged back,
   so the stock is exactly as before. A lost answer leaves the hold (E5951): the same request
   (same requestId) finishes it.

Every transaction writes its audit row; ``requestId`` is unique in the journal, so a repeat of
a finished request answers the recorded move.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, select

from billing_core.clock import ts17
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.connectors.finance_stock import FinanceStockClient, item
from sync_server.context import ServerContext
from sync_server.security.audit import Actor, audit
from sync_server.stock import ledger
from sync_server.stock.errors import (
    StockBusyError,
    StockHolderError,
    StockInDoubtError,
    StockInputError,
    StockOverlapError,
    StockPlatformDown,
    StockPlatformRefused,
    StockRangeError,
    StockRequestConflict,
)
from sync_server.stock.stock_read import fmt
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import billing_points, caller_points, callers
from sync_server.store.stock_schema import stock_lots

#: The longest range one request may name (a box of paper bills is a few thousand).
MAX_RANGE = 100_000


def now_day(ctx: ServerContext) -> tuple[str, str]:
    """(ts17, yyyy-MM-dd) of the business clock, China time."""
    t = ts17(ctx.clock.now())
    return t, f"{t[:4]}-{t[4:6]}-{t[6:8]}"


def text(data: dict[str, Any], key: str, label: str, limit: int = 64, required: bool = True) -> str:
    """A text field, trimmed; refused (E5941, naming the field) when missing or too long."""
    value = str(data.get(key) or "").strip()
    if (required and not value) or len(value) > limit:
        raise StockInputError(f"{label}（{key}）必填且不超过{limit}个字符" if required
                              else f"{label}（{key}）不超过{limit}个字符")
    return value


def number_range(data: dict[str, Any]) -> tuple[str, int, int, int]:
    """(billBatchCode, first, last, width) of the request's range, checked."""
    batch = text(data, "billBatchCode", "票据代码", 50)
    bgn_s, end_s = str(data.get("billBgnNo") or "").strip(), str(data.get("billEndNo") or "").strip()
    if not bgn_s.isdigit() or not end_s.isdigit() or len(bgn_s) > 20 or len(end_s) > 20:
        raise StockInputError("起始号码（billBgnNo）和终止号码（billEndNo）必须是数字")
    bgn, end = int(bgn_s), int(end_s)
    if end < bgn:
        raise StockInputError(f"终止号码{end_s}小于起始号码{bgn_s}")
    if end - bgn + 1 > MAX_RANGE:
        raise StockInputError(f"一次最多办理{MAX_RANGE}张，号段{bgn_s}-{end_s}共{end - bgn + 1}张")
    return batch, bgn, end, max(len(bgn_s), len(end_s))


def request_id(data: dict[str, Any]) -> str:
    """The request's idempotency key."""
    return text(data, "requestId", "请求编号", 64)


def _answer(move: dict[str, Any], width: int) -> dict[str, Any]:
    return {"moveId": move["id"], "action": move["action"], "billCode": move["bill_code"],
            "billBatchCode": move["bill_batch_code"], "billBgnNo": fmt(move["bgn_no"], width),
            "billEndNo": fmt(move["end_no"], width), "count": move["count"], "placeCode": move["place_code"],
            "terminalId": move["terminal_id"], "at": move["at"]}


def _repeat(conn: Any, rid: str, action: str, batch: str, bgn: int, end: int) -> dict[str, Any] | None:
    done = ledger.move_by_request(conn, rid)
    if done is None:
        return None
    if (done["action"], done["bill_batch_code"], done["bgn_no"], done["end_no"]) != (action, batch, bgn, end):
        raise StockRequestConflict(f"请求编号{rid}已用于另一项库存操作（{done['action']}）")
    return _answer(done, ledger.lot_width(conn, done["lot_id"]))


def opening(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """期初库存: a range the finance office holds at go-live, recorded in the store."""
    rid = request_id(data)
    bill_code = text(data, "billCode", "票据种类编码", 50)
    bill_name = text(data, "billName", "票据种类名称", 100, required=False)
    batch, bgn, end, width = number_range(data)
    t, day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        ledger.lock(conn)
        again = _repeat(conn, rid, "opening", batch, bgn, end)
        if again is not None:
            return again
        clash = ledger.overlapping(conn, batch, bgn, end)
        if clash is not None:
            raise StockOverlapError(f"号段{fmt(bgn, width)}-{fmt(end, width)}与已有库存号段"
                                    f"{clash['bgn_no']}-{clash['end_no']}重叠")
        lot_id = ledger.add_lot(conn, {"origin": "opening", "bill_code": bill_code, "bill_name": bill_name,
                                       "bill_batch_code": batch, "bgn_no": bgn, "end_no": end, "width": width,
                                       "apply_id": None, "operator": who.actor, "received_at": t}, t)
        move = {"request_id": rid, "action": "opening", "lot_id": lot_id, "bill_code": bill_code,
                "bill_batch_code": batch, "bgn_no": bgn, "end_no": end, "count": end - bgn + 1,
                "from_state": None, "place_code": None, "terminal_id": None, "apply_id": None,
                "operator": who.actor, "reason": None, "at": t, "day": day}
        move["id"] = ledger.record_move(conn, move)
        audit(conn, ctx.clock, who, "stock_opening", "stock_lot", lot_id, None,
              {"billBatchCode": batch, "bgn": bgn, "end": end, "requestId": rid})
    return _answer(move, width)


def _check_holder(conn: Any, place_code: str, terminal_id: str) -> None:
    point = conn.execute(select(billing_points.c.enabled).where(billing_points.c.place_code == place_code)).scalar()
    if point is None or not point:
        raise StockHolderError(f"开票点（placeCode）{place_code}不存在或已停用")
    if terminal_id:
        ok = conn.execute(select(callers.c.id).select_from(callers.join(
            caller_points, caller_points.c.caller_id == callers.c.id)).where(and_(
                callers.c.appid == terminal_id, callers.c.enabled == 1, callers.c.kind != "his",
                caller_points.c.place_code == place_code))).first()
        if ok is None:
            raise StockHolderError(f"终端（terminalId）{terminal_id}不存在、已停用或不属于开票点{place_code}")


def range_op(ctx: ServerContext, who: Actor, data: dict[str, Any], *, action: str, states: tuple[str, ...],
             platform: Callable[[FinanceStockClient, dict[str, Any], dict[str, str]], Any],
             final: Callable[[dict[str, Any]], dict[str, Any]], reason: str | None = None,
             holder: tuple[str, str] | None = None) -> dict[str, Any]:
    """Hold -> platform call -> finish (or release) one range (module docstring).

    :param states: the piece states the whole range must be in.
    :param platform: the call, given the client, the held piece and its ``billNoList`` entry.
    :param final: the piece's new columns, given the held piece.
    :param holder: (placeCode, terminalId) of a distribution, checked before anything is held.
    """
    rid = request_id(data)
    batch, bgn, end, _width = number_range(data)
    t, day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        ledger.lock(conn)
        again = _repeat(conn, rid, action, batch, bgn, end)
        if again is not None:
            return again
        if holder is not None:
            _check_holder(conn, *holder)
        piece = ledger.containing(conn, batch, bgn, end)
        if piece is None or piece["state"] not in states:
            where = "、".join({"store": "财务库房", "distributed": "已分发"}.get(s, s) for s in states)
            raise StockRangeError(f"号段{bgn}-{end}（{batch}）不全在{where}的同一库存段中")
        if piece["busy"] is not None and piece["busy"] != rid:
            raise StockBusyError(f"号段{bgn}-{end}正在办理请求{piece['busy']}")
        held_id = ledger.carve(conn, piece, bgn, end, t)
        ledger.set_piece(conn, held_id, t, busy=rid)
        audit(conn, ctx.clock, who, f"stock_{action}_hold", "stock_piece", held_id, None,
              {"billBatchCode": batch, "bgn": bgn, "end": end, "requestId": rid})
    held = {**piece, "id": held_id, "bgn_no": bgn, "end_no": end}
    width = _lot_width(ctx, piece["lot_id"])
    entry = item(piece["bill_code"], batch, fmt(bgn, width), fmt(end, width))
    try:
        platform(FinanceStockClient(ctx.upstream), held, entry)
    except PlatformUnreachable as exc:
        if exc.in_doubt:
            raise StockInDoubtError(f"财政平台应答丢失（{exc.message}），号段{entry['billBgnNo']}-"
                                    f"{entry['billEndNo']}保留待办，请以相同请求编号重试") from exc
        _release(ctx, who, held, action)
        raise StockPlatformDown(f"财政平台暂不可达，库存操作未办理：{exc.message}") from exc
    except PlatformRejected as exc:
        _release(ctx, who, held, action)
        raise StockPlatformRefused(f"财政平台拒绝：{exc.code} {exc.message}") from exc
    with write_tx(ctx.engine) as conn:
        ledger.lock(conn)
        values = final(held)
        ledger.set_piece(conn, held_id, t, busy=None, **values)
        move = {"request_id": rid, "action": action, "lot_id": piece["lot_id"], "bill_code": piece["bill_code"],
                "bill_batch_code": batch, "bgn_no": bgn, "end_no": end, "count": end - bgn + 1,
                "from_state": piece["state"], "place_code": values.get("place_code", piece["place_code"]),
                "terminal_id": values.get("terminal_id", piece["terminal_id"]), "apply_id": None,
                "operator": who.actor, "reason": reason, "at": t, "day": day}
        if action == "recall":  # the point it came back from
            move["place_code"], move["terminal_id"] = piece["place_code"], piece["terminal_id"]
        move["id"] = ledger.record_move(conn, move)
        ledger.merge(conn, piece["lot_id"], t)
        audit(conn, ctx.clock, who, f"stock_{action}", "stock_piece", held_id,
              {"state": piece["state"], "placeCode": piece["place_code"], "terminalId": piece["terminal_id"]},
              {**values, "requestId": rid, "moveId": move["id"]})
    return _answer(move, width)


def _lot_width(ctx: ServerContext, lot_id: int) -> int:
    with read_tx(ctx.engine) as conn:
        return int(conn.execute(select(stock_lots.c.width).where(stock_lots.c.id == lot_id)).scalar_one())


def _release(ctx: ServerContext, who: Actor, held: dict[str, Any], action: str) -> None:
    """Undo a hold: the piece is as it was (merged back into its neighbours)."""
    t, _day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        ledger.lock(conn)
        ledger.set_piece(conn, held["id"], t, busy=None)
        ledger.merge(conn, held["lot_id"], t)
        audit(conn, ctx.clock, who, f"stock_{action}_release", "stock_piece", held["id"],
              {"busy": held.get("busy")}, None)


def distribute(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """分发: store numbers to a billing point (and optionally one of its terminals); billStockOut."""
    place = text(data, "placeCode", "开票点编码", 50)
    terminal = text(data, "terminalId", "终端编号", 64, required=False)
    return range_op(ctx, who, data, action="distribute", states=("store",), holder=(place, terminal),
                    platform=lambda c, p, e: c.stock_out(place, e, who.actor, remark=terminal),
                    final=lambda p: {"state": "distributed", "place_code": place, "terminal_id": terminal or None})


def recall(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """收回: distributed numbers back to the store; billStockReturn."""
    reason = text(data, "reason", "收回原因", 250, required=False) or "收回库房"
    return range_op(ctx, who, data, action="recall", states=("distributed",), reason=reason,
                    platform=lambda c, p, e: c.stock_return(p["place_code"], e, who.actor, reason),
                    final=lambda p: {"state": "store", "place_code": None, "terminal_id": None})


def void(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """库存作废: store numbers (invalidUnitBillStock) or a point's blank numbers (invalidBlankBillNo)."""
    reason = text(data, "reason", "作废原因", 250)

    def call(c: FinanceStockClient, p: dict[str, Any], e: dict[str, str]) -> Any:
        if p["state"] == "store":
            return c.void_unit(e, who.actor, reason)
        return c.void_blank(p["place_code"], e, who.actor, reason, ctx.clock.now())

    return range_op(ctx, who, data, action="void", states=("store", "distributed"), reason=reason,
                    platform=call, final=lambda p: {"state": "voided"})


def give_back(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """申退: store numbers given back to finance for ever; returnBillStock."""
    reason = text(data, "reason", "申退原因", 250)
    return range_op(ctx, who, data, action="return", states=("store",), reason=reason,
                    platform=lambda c, p, e: c.give_back(e, who.actor, reason),
                    final=lambda p: {"state": "returned"})
