"""票据申领 on the server (issue 18 §2; docs/STOCK.md): apply -> the platform's decision ->
入库确认, and the low-stock thresholds.

* :func:`apply` sends ``applyBillStock`` with the request id as the form number (the platform is
  idempotent on it), then records the form ``applied``.
* :func:`refresh` asks ``getBillStockApply`` and records ``approved`` (with the numbers issued)
  or ``rejected``.
* :func:`confirm` checks that the numbers overlap nothing the hospital holds, sends
  ``confirmBillStockIn`` (a repeat answers success), then records each range as a lot of origin
  ``in`` in the store with its journal row, and the form ``confirmed`` — one transaction.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, insert, select, update

from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.connectors.finance_stock import FinanceStockClient
from sync_server.context import ServerContext
from sync_server.security.audit import Actor, audit
from sync_server.stock import ledger
from sync_server.stock.errors import (
    ApplyNotFoundError,
    ApplyStateError,
    StockInDoubtError,
    StockInputError,
    StockOverlapError,
    StockPlatformDown,
    StockPlatformRefused,
)
from sync_server.stock.lifecycle import now_day, request_id, text
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.stock_schema import stock_applies, stock_thresholds

MAX_APPLY = 100_000


def _platform(fn: Any, *args: Any) -> Any:
    """One platform call with the stock errors (nothing was changed locally yet)."""
    try:
        return fn(*args)
    except PlatformUnreachable as exc:
        if exc.in_doubt:
            raise StockInDoubtError(f"财政平台应答丢失（{exc.message}），请以相同申领单号重试") from exc
        raise StockPlatformDown(f"财政平台暂不可达：{exc.message}") from exc
    except PlatformRejected as exc:
        raise StockPlatformRefused(f"财政平台拒绝：{exc.code} {exc.message}") from exc


def answer(row: Any) -> dict[str, Any]:
    """An application as answered to terminals."""
    return {"applyId": row["id"], "applyNo": row["apply_no"], "billCode": row["bill_code"], "count": row["count"],
            "applicant": row["applicant"], "reason": row["reason"], "state": row["state"],
            "opinion": row["opinion"], "billNoList": json.loads(row["ranges_json"] or "[]"),
            "appliedAt": row["applied_at"], "decidedAt": row["decided_at"], "confirmedAt": row["confirmed_at"]}


def _get(conn: Any, apply_no: str) -> Any:
    row = conn.execute(select(stock_applies).where(stock_applies.c.apply_no == apply_no)).mappings().first()
    if row is None:
        raise ApplyNotFoundError(f"申领单（applyNo）{apply_no}不存在")
    return row


def apply(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """票据申领: the form goes to the platform; ``requestId`` is its number."""
    apply_no = request_id(data)
    bill_code = text(data, "billCode", "票据种类编码", 50)
    reason = text(data, "reason", "申领原因", 250, required=False)
    try:
        count = int(str(data.get("count")))
    except ValueError:
        raise StockInputError("申领数量（count）必须是整数") from None
    if not 1 <= count <= MAX_APPLY:
        raise StockInputError(f"申领数量（count）必须在1到{MAX_APPLY}之间")
    with read_tx(ctx.engine) as conn:
        known = conn.execute(select(stock_applies).where(stock_applies.c.apply_no == apply_no)).mappings().first()
    if known is not None:
        return answer(known)
    _platform(FinanceStockClient(ctx.upstream).apply, apply_no, bill_code, count, who.actor, reason)
    t, _day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        known = conn.execute(select(stock_applies).where(stock_applies.c.apply_no == apply_no)).mappings().first()
        if known is not None:  # a concurrent repeat recorded it first
            return answer(known)
        new_id = inserted_id(conn.execute(insert(stock_applies).values(
            apply_no=apply_no, bill_code=bill_code, count=count, applicant=who.actor, reason=reason,
            state="applied", applied_at=t)))
        audit(conn, ctx.clock, who, "stock_apply", "stock_apply", new_id, None,
              {"applyNo": apply_no, "billCode": bill_code, "count": count})
        return answer(_get(conn, apply_no))


def refresh(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """The platform's decision on an application, recorded when it changed."""
    apply_no = text(data, "applyNo", "申领单号", 64)
    with read_tx(ctx.engine) as conn:
        row = _get(conn, apply_no)
    if row["state"] != "applied":
        return answer(row)
    got = _platform(FinanceStockClient(ctx.upstream).get_apply, apply_no)
    state = str(got.get("state", ""))
    if state not in ("approved", "rejected", "confirmed"):
        return answer(row)
    t, _day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        values = {"state": "rejected" if state == "rejected" else "approved",
                  "opinion": str(got.get("opinion") or ""), "decided_at": str(got.get("decideTime") or t),
                  "ranges_json": json.dumps(got.get("billNoList") or [], ensure_ascii=False)}
        done = conn.execute(update(stock_applies).where(and_(
            stock_applies.c.apply_no == apply_no, stock_applies.c.state == "applied")).values(**values))
        if done.rowcount:
            audit(conn, ctx.clock, who, f"stock_apply_{values['state']}", "stock_apply", row["id"],
                  {"state": "applied"}, values)
        return answer(_get(conn, apply_no))


def _ranges(row: Any) -> list[tuple[str, str, str, int, int, int]]:
    """(billCode, billName, batch, bgn, end, width) of an approved application's numbers."""
    out = []
    for r in json.loads(row["ranges_json"] or "[]"):
        bgn_s, end_s = str(r["billBgnNo"]), str(r["billEndNo"])
        out.append((str(r.get("billCode") or row["bill_code"]), str(r.get("billName") or ""),
                    str(r["billBatchCode"]), int(bgn_s), int(end_s), max(len(bgn_s), len(end_s))))
    return out


def confirm(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """入库确认: the approved numbers enter the store as new lots."""
    apply_no = text(data, "applyNo", "申领单号", 64)
    with read_tx(ctx.engine) as conn:
        row = _get(conn, apply_no)
        if row["state"] == "confirmed":
            return answer(row)
        if row["state"] != "approved":
            raise ApplyStateError(f"申领单{apply_no}状态为{row['state']}，审批通过后才能入库确认")
        for _code, _name, batch, bgn, end, _w in _ranges(row):
            clash = ledger.overlapping(conn, batch, bgn, end)
            if clash is not None:
                raise StockOverlapError(f"下达号段{bgn}-{end}与已有库存号段{clash['bgn_no']}-{clash['end_no']}重叠")
    _platform(FinanceStockClient(ctx.upstream).confirm, apply_no, who.actor)
    t, day = now_day(ctx)
    with write_tx(ctx.engine) as conn:
        ledger.lock(conn)
        row = _get(conn, apply_no)
        if row["state"] == "confirmed":
            return answer(row)
        for code, name, batch, bgn, end, width in _ranges(row):
            clash = ledger.overlapping(conn, batch, bgn, end)
            if clash is not None:  # opening stock entered meanwhile: nothing of this form is kept
                raise StockOverlapError(f"下达号段{bgn}-{end}与已有库存号段{clash['bgn_no']}-{clash['end_no']}重叠")
            lot_id = ledger.add_lot(conn, {"origin": "in", "bill_code": code, "bill_name": name,
                                           "bill_batch_code": batch, "bgn_no": bgn, "end_no": end, "width": width,
                                           "apply_id": row["id"], "operator": who.actor, "received_at": t}, t)
            ledger.record_move(conn, {
                "request_id": f"in:{apply_no}:{bgn}", "action": "in", "lot_id": lot_id, "bill_code": code,
                "bill_batch_code": batch, "bgn_no": bgn, "end_no": end, "count": end - bgn + 1, "from_state": None,
                "place_code": None, "terminal_id": None, "apply_id": row["id"], "operator": who.actor,
                "reason": None, "at": t, "day": day})
        conn.execute(update(stock_applies).where(stock_applies.c.id == row["id"]).values(
            state="confirmed", confirmed_at=t, confirmed_by=who.actor))
        audit(conn, ctx.clock, who, "stock_in", "stock_apply", row["id"], {"state": "approved"},
              {"state": "confirmed", "ranges": json.loads(row["ranges_json"] or "[]")})
        return answer(_get(conn, apply_no))


def applications(ctx: ServerContext) -> list[dict[str, Any]]:
    """Every application, newest first."""
    with read_tx(ctx.engine) as conn:
        return [answer(r) for r in conn.execute(select(stock_applies).order_by(stock_applies.c.id.desc()))
                .mappings()]


def set_threshold(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """A low-stock threshold (placeCode "" = the store; minCount 0 keeps the row but never warns)."""
    place = text(data, "placeCode", "开票点编码", 50, required=False)
    terminal = text(data, "terminalId", "终端编号", 64, required=False)
    bill_code = text(data, "billCode", "票据种类编码", 50)
    try:
        minimum = int(str(data.get("minCount")))
    except ValueError:
        raise StockInputError("预警值（minCount）必须是整数") from None
    if not 0 <= minimum <= 1_000_000:
        raise StockInputError("预警值（minCount）必须在0到1000000之间")
    t, _day = now_day(ctx)
    key = and_(stock_thresholds.c.place_code == place, stock_thresholds.c.terminal_id == terminal,
               stock_thresholds.c.bill_code == bill_code)
    with write_tx(ctx.engine) as conn:
        before = conn.execute(select(stock_thresholds.c.min_count).where(key)).scalar()
        if before is None:
            conn.execute(insert(stock_thresholds).values(place_code=place, terminal_id=terminal, bill_code=bill_code,
                                                         min_count=minimum, updated_at=t))
        else:
            conn.execute(update(stock_thresholds).where(key).values(min_count=minimum, updated_at=t))
        audit(conn, ctx.clock, who, "stock_threshold", "stock_threshold", f"{place}/{terminal}/{bill_code}",
              None if before is None else {"minCount": before}, {"minCount": minimum})
    return {"placeCode": place, "terminalId": terminal, "billCode": bill_code, "minCount": minimum}
