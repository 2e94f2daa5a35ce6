"""Our bill-stock lifecycle extensions (issue 18 §2; docs/FINANCE_SIMULATOR.md "Stock lifecycle").

The vendor's HIS interface has no 票据申领 / 入库确认 / 申退 (spec §8 only moves paper between the
unit and its points: billStockOut / billStockReturn); the finance bureau handles them in its own
console. These methods put that on the wire, in the same envelope:

* ``applyBillStock`` — an application (form number ``applyNo``, idempotent) for ``count`` paper
  numbers of ``billCode``; state ``applied``.
* approval — the knob ``stock_approval`` (``auto``: approved once ``stock_approval_delay`` seconds
  passed, seen at the next ``getBillStockApply``; ``manual``: ``POST /_control/stock_apply``
  approves or rejects). Approval issues a contiguous range from the bureau's pool (stock kind FP)
  as kind PA.
* ``getBillStockApply`` — the state, opinion and the numbers issued.
* ``confirmBillStockIn`` — 入库确认: PA becomes the unit's paper stock (kind P, place ``''``), from
  where billStockOut hands it to points. A repeat answers success.
* ``returnBillStock`` — 申退: unused unit stock given back for ever (kind PR).
* ``invalidUnitBillStock`` — 库存作废 of unit stock (kind PV; never usable again).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import suppress
from datetime import timedelta
from typing import Any

from billing_core import methods
from billing_core.clock import parse_ts17
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.platform import CallCtx, Platform, method
from simulators.finance.platform_paper import merge_paper_rows, used_numbers
from simulators.finance.store import P_BATCH, P_BILL_CODE, P_BILL_NAME

#: The bureau's paper pool (kind FP): numbers applications draw on, disjoint from seeded stock.
POOL_BGN, POOL_END = 1_000_001, 1_999_999
MAX_APPLY = 100_000


def _text(data: dict[str, Any], key: str, limit: int = 100) -> str:
    value = str(data.get(key) or "").strip()
    if not value or len(value) > limit:
        raise SimError(E.APPLY_BAD, f"{key}必填且不超过{limit}个字符")
    return value


def _apply(db: sqlite3.Connection, apply_no: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM stock_applies WHERE apply_no = ?", (apply_no,)).fetchone()
    if row is None:
        raise SimError(E.APPLY_NOT_FOUND, f"申领单{apply_no}不存在")
    return row


def _pool(db: sqlite3.Connection, now: str) -> sqlite3.Row:
    row = db.execute("SELECT * FROM stock WHERE kind = 'FP' ORDER BY id LIMIT 1").fetchone()
    if row is None:  # created on first use: databases seeded before issue 18 have none
        db.execute("INSERT INTO stock (kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no,"
                   " next_no, created, operator) VALUES ('FP', '', ?, ?, ?, ?, ?, ?, ?, '财政票据库')",
                   (P_BILL_CODE, P_BILL_NAME, P_BATCH, POOL_BGN, POOL_END, POOL_BGN, now))
        row = db.execute("SELECT * FROM stock WHERE kind = 'FP' ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    return row


def decide(p: Platform, db: sqlite3.Connection, apply_no: str, approve: bool, opinion: str = "") -> sqlite3.Row:
    """Approve (numbers issued from the pool) or reject an application still ``applied``."""
    row = _apply(db, apply_no)
    if row["state"] != "applied":
        raise SimError(E.APPLY_STATE, f"申领单{apply_no}已{row['state']}，不能再审批")
    now = p.now17()
    if not approve:
        db.execute("UPDATE stock_applies SET state = 'rejected', opinion = ?, decided = ? WHERE apply_no = ?",
                   (opinion or "不予批准", now, apply_no))
        return _apply(db, apply_no)
    pool = _pool(db, now)
    count = int(row["count"])
    if pool["next_no"] + count - 1 > pool["end_no"]:
        raise SimError(E.APPLY_POOL, f"财政票据库剩余{pool['end_no'] - pool['next_no'] + 1}张，不足{count}张")
    bgn, end = pool["next_no"], pool["next_no"] + count - 1
    db.execute("UPDATE stock SET next_no = ? WHERE id = ?", (end + 1, pool["id"]))
    db.execute("INSERT INTO stock (kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no, next_no,"
               " created, operator, remark) VALUES ('PA', '', ?, ?, ?, ?, ?, ?, ?, '财政审批', ?)",
               (pool["bill_code"], pool["bill_name"], pool["bill_batch_code"], bgn, end, bgn, now, apply_no))
    ranges = [{"billCode": pool["bill_code"], "billName": pool["bill_name"], "billBatchCode": pool["bill_batch_code"],
               "billBgnNo": f"{bgn:010d}", "billEndNo": f"{end:010d}", "copyNum": count}]
    db.execute("UPDATE stock_applies SET state = 'approved', opinion = ?, decided = ?, ranges_json = ?"
               " WHERE apply_no = ?", (opinion or "同意", now, json.dumps(ranges, ensure_ascii=False), apply_no))
    return _apply(db, apply_no)


def _answer(row: sqlite3.Row) -> dict[str, Any]:
    ranges = json.loads(row["ranges_json"] or "[]")
    return {"applyNo": row["apply_no"], "billCode": row["bill_code"], "count": row["count"], "state": row["state"],
            "opinion": row["opinion"], "applyTime": row["applied"], "decideTime": row["decided"],
            "confirmTime": row["confirmed"], "billNoList": ranges if row["state"] in ("approved", "confirmed") else []}


@method(methods.APPLY_BILL_STOCK, raw=True)
def apply(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """票据申领: record an application; a repeat applyNo with the same content answers it."""
    apply_no, bill_code = _text(data, "applyNo", 40), _text(data, "billCode", 50)
    applicant, reason = _text(data, "applicant", 64), str(data.get("reason") or "")[:250]
    try:
        count = int(str(data.get("count")))
    except ValueError:
        raise SimError(E.APPLY_BAD, "count必须是整数") from None
    if not 1 <= count <= MAX_APPLY:
        raise SimError(E.APPLY_BAD, f"申领数量count必须在1到{MAX_APPLY}之间")
    if bill_code != P_BILL_CODE:
        raise SimError(E.APPLY_BAD, f"票据种类{bill_code}不能申领（可申领：{P_BILL_CODE} {P_BILL_NAME}）")
    same = db.execute("SELECT * FROM stock_applies WHERE apply_no = ?", (apply_no,)).fetchone()
    if same is not None:
        if (same["appid"], same["bill_code"], same["count"]) != (ctx.caller.appid, bill_code, count):
            raise SimError(E.APPLY_CONFLICT, f"申领单号{apply_no}已用于另一份申领")
        return _answer(same)
    db.execute("INSERT INTO stock_applies (apply_no, appid, bill_code, count, applicant, reason, state, applied)"
               " VALUES (?, ?, ?, ?, ?, ?, 'applied', ?)",
               (apply_no, ctx.caller.appid, bill_code, count, applicant, reason, p.now17()))
    return _answer(_apply(db, apply_no))


@method(methods.GET_BILL_STOCK_APPLY, raw=True)
def get_apply(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """An application's state; under ``stock_approval=auto`` it is approved here once due."""
    row = _apply(db, _text(data, "applyNo", 40))
    if row["state"] == "applied" and p.faults.stock_approval == "auto":
        due = parse_ts17(row["applied"]) + timedelta(seconds=p.faults.stock_approval_delay)
        if p.clock.now() >= due:
            with suppress(SimError):  # the pool ran dry: the application waits, still applied
                row = decide(p, db, row["apply_no"], True, "自动审批")
    return _answer(row)


@method(methods.CONFIRM_BILL_STOCK_IN, raw=True)
def confirm(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """入库确认: the approved numbers enter the unit's paper stock."""
    apply_no, operator = _text(data, "applyNo", 40), _text(data, "operator", 64)
    row = _apply(db, apply_no)
    if row["state"] == "confirmed":
        return "成功"
    if row["state"] != "approved":
        raise SimError(E.APPLY_STATE, f"申领单{apply_no}状态为{row['state']}，未审批通过，不能入库确认")
    now = p.now17()
    db.execute("UPDATE stock SET kind = 'P', operator = ?, created = ? WHERE kind = 'PA' AND remark = ?",
               (operator, now, apply_no))
    db.execute("UPDATE stock_applies SET state = 'confirmed', confirmed = ? WHERE apply_no = ?", (now, apply_no))
    for r in json.loads(row["ranges_json"] or "[]"):
        merge_paper_rows(db, "", str(r["billBatchCode"]))
    return "成功"


def _take_unit(db: sqlite3.Connection, item: dict[str, Any], kind: str, operator: str, reason: str, now: str) -> None:
    """Move an unused range of the unit's paper stock to ``kind`` (PR returned, PV voided)."""
    batch = str(item.get("billBatchCode") or "")
    try:
        bgn, end = int(str(item["billBgnNo"])), int(str(item["billEndNo"]))
    except (KeyError, ValueError):
        raise SimError(E.UNIT_RANGE, "billBgnNo/billEndNo必须是号码") from None
    row = db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = '' AND bill_batch_code = ?"
                     " AND state = 'active' AND bgn_no <= ? AND end_no >= ?", (batch, bgn, end)).fetchone()
    if end < bgn or row is None:
        raise SimError(E.UNIT_RANGE, f"号段{bgn:010d}-{end:010d}不在单位的纸质票据库存中")
    if used_numbers(db, batch, bgn, end):
        raise SimError(E.UNIT_RANGE, f"号段{bgn:010d}-{end:010d}中有已使用的号码")
    db.execute("DELETE FROM stock WHERE id = ?", (row["id"],))
    cols = "kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no, next_no, created, operator, remark"
    for k, a, b, who, note in (("P", row["bgn_no"], bgn - 1, row["operator"], row["remark"]),
                               ("P", end + 1, row["end_no"], row["operator"], row["remark"]),
                               (kind, bgn, end, operator, reason)):
        if a <= b:
            db.execute(f"INSERT INTO stock ({cols}) VALUES (?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (k, row["bill_code"], row["bill_name"], batch, a, b, a, now, who, note))
    merge_paper_rows(db, "", batch)


@method(methods.RETURN_BILL_STOCK, raw=True)
def give_back(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """申退: unused unit stock returned to the bureau (never usable again by the unit)."""
    returner, reason = _text(data, "returner", 64), _text(data, "reason", 250)
    items = data.get("billNoList") or []
    if not isinstance(items, list) or not items:
        raise SimError(E.UNIT_RANGE, "billNoList必填")
    for item in items:
        _take_unit(db, dict(item), "PR", returner, reason, p.now17())
    return "成功"


@method(methods.INVALID_UNIT_BILL_STOCK, raw=True)
def void_unit(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """库存作废 of unit stock (torn, lost before distribution)."""
    author, reason = _text(data, "author", 64), _text(data, "reason", 250)
    items = data.get("billNoList") or []
    if not isinstance(items, list) or not items:
        raise SimError(E.UNIT_RANGE, "billNoList必填")
    for item in items:
        _take_unit(db, dict(item), "PV", author, reason, p.now17())
    return "成功"
