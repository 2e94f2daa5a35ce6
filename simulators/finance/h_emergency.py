"""Our emergency-billing extensions (spec §17): reserve, return and upload emergency numbers.

Emergency numbers come from a per-point pool (stock kind ``EP``) that online issuing never reads
(it takes kind ``E`` only); a reservation becomes a block (kind ``EB``); returned numbers are
recorded in ``emergency_returns`` and refused for ever.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from billing_core import envelope, methods
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.h_issue import (
    bill_items,
    bill_values,
    consume_vouchers,
    existing_by_bus_no,
)
from simulators.finance.platform import CallCtx, Platform, bill_response, check_place, insert_bill, method


def _block(db: sqlite3.Connection, place: str, batch: str, bgn: int, end: int) -> sqlite3.Row | None:
    return db.execute(
        "SELECT * FROM stock WHERE kind = 'EB' AND place_code = ? AND bill_batch_code = ? AND bgn_no <= ?"
        " AND end_no >= ?", (place, batch, bgn, end)).fetchone()


def _returned(db: sqlite3.Connection, batch: str, bgn: int, end: int) -> bool:
    return db.execute("SELECT 1 FROM emergency_returns WHERE bill_batch_code = ? AND bgn_no <= ? AND end_no >= ?",
                      (batch, end, bgn)).fetchone() is not None


@method(methods.EMERGENCY_STOCK_OUT)
def stock_out(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Reserve ``count`` contiguous numbers for emergency use at a billing point."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    count = int(data["count"])
    pool = db.execute("SELECT * FROM stock WHERE kind = 'EP' AND place_code = ? AND state = 'active'"
                      + (" AND bill_code = ?" if data.get("billCode") else "") + " ORDER BY id LIMIT 1",
                      (place, data["billCode"]) if data.get("billCode") else (place,)).fetchone()
    if pool is None or pool["next_no"] + count - 1 > pool["end_no"]:
        left = 0 if pool is None else pool["end_no"] - pool["next_no"] + 1
        raise SimError(E.NO_EMERGENCY_STOCK, f"开票点{place}可预留的应急票号不足：申请{count}张，剩余{left}张")
    bgn, end = pool["next_no"], pool["next_no"] + count - 1
    now = p.now17()
    db.execute("UPDATE stock SET next_no = ? WHERE id = ?", (end + 1, pool["id"]))
    db.execute(
        "INSERT INTO stock (kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no, next_no,"
        " created, operator, remark) VALUES ('EB', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (place, pool["bill_code"], pool["bill_name"], pool["bill_batch_code"], bgn, end, bgn, now,
         str(data["operator"]), str(data.get("remark", ""))))
    return {"billCode": pool["bill_code"], "billBatchCode": pool["bill_batch_code"],
            "billBgnNo": f"{bgn:010d}", "billEndNo": f"{end:010d}", "reserveTime": now}


@method(methods.EMERGENCY_STOCK_RETURN)
def stock_return(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Give unused emergency numbers back; they are void for ever."""
    place, batch = str(data["placeCode"]), str(data["billBatchCode"])
    check_place(db, ctx, place)
    bgn, end = int(data["billBgnNo"]), int(data["billEndNo"])
    if _block(db, place, batch, bgn, end) is None:
        raise SimError(E.EMERGENCY_RETURN, f"号段{bgn:010d}-{end:010d}不在开票点{place}的应急号段内")
    if _returned(db, batch, bgn, end):
        raise SimError(E.EMERGENCY_RETURN, f"号段{bgn:010d}-{end:010d}中有已退回的号码")
    used = db.execute("SELECT bill_no FROM bills WHERE bill_batch_code = ? AND CAST(bill_no AS INTEGER)"
                      " BETWEEN ? AND ? LIMIT 1", (batch, bgn, end)).fetchone()
    if used is not None:
        raise SimError(E.EMERGENCY_RETURN, f"号段中的号码{used[0]}已开具，不能退回")
    db.execute("INSERT INTO emergency_returns (place_code, bill_batch_code, bgn_no, end_no, reason, time)"
               " VALUES (?, ?, ?, ?, ?, ?)", (place, batch, bgn, end, str(data["reason"]), p.now17()))
    return "成功"


def emergency_block_of(db: sqlite3.Connection, batch: str, no: str) -> sqlite3.Row | None:
    """The emergency block holding a number (any point), if any."""
    if not no.isdigit():
        return None
    n = int(no)
    return db.execute("SELECT * FROM stock WHERE kind = 'EB' AND bill_batch_code = ? AND bgn_no <= ? AND end_no >= ?",
                      (batch, n, n)).fetchone()


def _bill_ref(row: sqlite3.Row) -> str:
    return json.dumps({"billBatchCode": row["bill_batch_code"], "billNo": row["bill_no"], "random": row["random"],
                       "busNo": row["bus_no"], "totalAmt": row["total_amt"], "createTime": row["create_time"]},
                      ensure_ascii=False)


@method(methods.UPLOAD_EMERGENCY_EBILL)
def upload(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Carry an emergency bill onto the platform exactly as printed (same code, number, check code)."""
    method_name = methods.BILL_TYPES[str(data["billType"])]  # billType checked by billing_core validation
    bill: dict[str, Any] = data["bill"]
    batch, no, random = str(data["billBatchCode"]), str(data["billNo"]), str(data["random"])
    place = str(bill["placeCode"])
    check_place(db, ctx, place)
    if not no.isdigit() or _block(db, place, batch, int(no), int(no)) is None:
        raise SimError(E.OUTSIDE_BLOCK, f"票号{batch}/{no}不在开票点{place}的应急号段内")
    if _returned(db, batch, int(no), int(no)):
        raise SimError(E.NUMBER_RETURNED, f"票号{batch}/{no}已退回作废，不能使用")
    content = envelope.dumps(bill)
    same = db.execute("SELECT * FROM bills WHERE bill_batch_code = ? AND bill_no = ?", (batch, no)).fetchone()
    if same is not None:
        if (same["emergency"] and same["random"] == random and same["data_json"] == content
                and same["create_time"] == str(data["issueTime"])):
            return bill_response(same, ctx.base_url)  # a repeat upload answers the same bill
        raise SimError(E.NUMBER_CONFLICT, f"票号{batch}/{no}已使用且内容不同，平台已有票据：{_bill_ref(same)}")
    other = existing_by_bus_no(db, str(bill["busNo"]))
    if other is not None:
        raise SimError(E.BUSNO_CONFLICT, f"业务流水号{bill['busNo']}已开具其他票据：{_bill_ref(other)}")
    values = bill_values(ctx, method_name, bill, str(data["issueTime"]))
    block = _block(db, place, batch, int(no), int(no))
    assert block is not None
    values.update(bill_code=block["bill_code"], bill_name=block["bill_name"], bill_batch_code=batch, bill_no=no,
                  random=random, emergency=1, terminal_id=str(data["terminalId"]),
                  sign_value=str(data.get("signValue", "")), data_json=content)
    row = insert_bill(db, p.now17(), values, bill_items(bill))
    consume_vouchers(db, row["id"], bill)
    return bill_response(row, ctx.base_url)
