"""Paper exchange (spec §7) and stock (spec §8)."""

from __future__ import annotations

import sqlite3
from typing import Any

from billing_core import methods
from billing_core.clock import date10
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.platform import (
    CallCtx,
    Platform,
    check_place,
    find_bill,
    make_red,
    method,
    red_response,
)
from simulators.finance.platform_paper import free_ranges, merge_paper_rows, paper_of, use_paper, used_numbers

MAX_BLANK_RANGE = 10_000


@method(methods.GET_PAPER_BILL_NO)
def next_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """The next usable paper number at a point."""
    place, batch = str(data["placeCode"]), str(data["pBillBatchCode"])
    check_place(db, ctx, place)
    for row in db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = ? AND bill_batch_code = ?"
                          " AND state = 'active' ORDER BY bgn_no", (place, batch)).fetchall():
        ranges = free_ranges(db, row)
        if ranges:
            return {"pBillBatchCode": batch, "pBillNo": f"{ranges[0][0]:010d}"}
    raise SimError(E.NO_PAPER, f"开票点{place}没有可用的纸质票据（{batch}）")


@method(methods.TURN_PAPER)
def turn_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Exchange an e-bill for the paper number printed; once only (seed 001 (三)5(1))."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"])
    check_place(db, ctx, str(data["placeCode"]))
    if bill["is_scarlet"] or bill["state"] != 1 or bill["kind"] != "blue":
        raise SimError(E.NOT_NORMAL, f"电子票据{bill['bill_batch_code']}/{bill['bill_no']}已冲红或作废，不能换开")
    if bill["is_prt_paper"]:
        raise SimError(E.ALREADY_PAPER,
                       f"电子票据{bill['bill_batch_code']}/{bill['bill_no']}已换开纸质票据，只能换开一次，请使用重新换开")
    use_paper(db, str(data["placeCode"]), str(data["pBillBatchCode"]), str(data["pBillNo"]), bill["id"],
              "exchange", p.now17(), str(data["busDateTime"]), str(data["operator"]))
    db.execute("UPDATE bills SET is_prt_paper = 1 WHERE id = ?", (bill["id"],))
    return "成功"


@method(methods.RE_TURN_PAPER)
def re_turn_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Re-exchange onto a new paper number; the old paper number is voided."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"])
    check_place(db, ctx, str(data["placeCode"]))
    old = paper_of(db, bill["id"])
    if not bill["is_prt_paper"] or old is None:
        raise SimError(E.NOT_PAPER, f"电子票据{bill['bill_batch_code']}/{bill['bill_no']}尚未换开纸质票据，请使用换开")
    if bill["is_scarlet"]:
        raise SimError(E.NOT_NORMAL, f"电子票据{bill['bill_batch_code']}/{bill['bill_no']}已冲红，不能重新换开")
    now = p.now17()
    db.execute("UPDATE paper_bills SET state = 2, void_time = ?, reason = '重新换开作废' WHERE id = ?", (now, old["id"]))
    use_paper(db, str(data["placeCode"]), str(data["pBillBatchCode"]), str(data["pBillNo"]), bill["id"],
              "exchange", now, str(data["busDateTime"]), str(data["operator"]))
    return "成功"


@method(methods.INVALID_PAPER)
def invalid_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Void an exchanged paper bill and red-flush its e-bill in the same call (spec §7)."""
    paper = db.execute("SELECT * FROM paper_bills WHERE p_bill_batch_code = ? AND CAST(p_bill_no AS INTEGER) = ?"
                       " AND kind = 'exchange' AND state = 1",
                       (str(data["pBillBatchCode"]), int(str(data["pBillNo"])) if str(data["pBillNo"]).isdigit()
                        else -1)).fetchone()
    if paper is None:
        raise SimError(E.PAPER_NOT_USABLE, f"纸质票据{data['pBillBatchCode']}/{data['pBillNo']}不存在或已作废")
    blue = db.execute("SELECT * FROM bills WHERE id = ?", (paper["bill_id"],)).fetchone()
    now = p.now17()
    db.execute("UPDATE paper_bills SET state = 2, void_time = ?, reason = ?, operator = ? WHERE id = ?",
               (now, str(data["reason"]), str(data["author"]), paper["id"]))
    db.execute("UPDATE bills SET is_prt_paper = 0 WHERE id = ?", (blue["id"],))
    red = make_red(db, ctx, now, db.execute("SELECT * FROM bills WHERE id = ?", (blue["id"],)).fetchone(),
                   data, "invalidPaper")
    return red_response(red, ctx.base_url)


@method(methods.INVALID_BLANK_BILL_NO)
def invalid_blank(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Void unused paper numbers of the point's stock."""
    place, batch = str(data["placeCode"]), str(data["pBillBatchCode"])
    check_place(db, ctx, place)
    bgn, end = int(str(data["pBillNoStart"])), int(str(data["pBillNoEnd"]))
    if end < bgn or end - bgn + 1 > MAX_BLANK_RANGE:
        raise SimError(E.BLANK_RANGE, f"作废号段不正确：{bgn}-{end}（每次最多{MAX_BLANK_RANGE}张）")
    row = db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = ? AND bill_batch_code = ? AND state = 'active'"
                     " AND bgn_no <= ? AND end_no >= ?", (place, batch, bgn, end)).fetchone()
    if row is None:
        raise SimError(E.BLANK_RANGE, f"号段{bgn:010d}-{end:010d}不在开票点{place}的纸质票据库存中")
    used = used_numbers(db, batch, bgn, end)
    if used:
        raise SimError(E.BLANK_RANGE, f"号段中的号码{used[0]:010d}已使用或已作废")
    now = p.now17()
    db.executemany("INSERT INTO paper_bills (p_bill_batch_code, p_bill_no, place_code, kind, state, create_time,"
                   " bus_date_time, void_time, reason, operator) VALUES (?, ?, ?, 'blank', 2, ?, ?, ?, ?, ?)",
                   [(batch, f"{n:010d}", place, now, str(data["busDateTime"]), now, str(data["reason"]),
                     str(data["author"])) for n in range(bgn, end + 1)])
    return "成功"


def _move(db: sqlite3.Connection, src_place: str, dst_place: str, item: dict[str, Any], code: str,
          operator: str, direction: str, day: str, now: str) -> None:
    batch = str(item["billBatchCode"])
    bgn, end = int(str(item["billBgnNo"])), int(str(item["billEndNo"]))
    if item.get("copyNum") not in (None, "") and int(str(item["copyNum"])) != end - bgn + 1:
        raise SimError(code, f"号段{bgn}-{end}的份数{item['copyNum']}与号段长度不符")
    row = db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = ? AND bill_batch_code = ?"
                     " AND state = 'active' AND bgn_no <= ? AND end_no >= ?", (src_place, batch, bgn, end)).fetchone()
    who = "单位" if not src_place else f"开票点{src_place}"
    if row is None:
        raise SimError(code, f"号段{bgn:010d}-{end:010d}不在{who}的纸质票据库存中")
    if used_numbers(db, batch, bgn, end):
        raise SimError(code, f"号段{bgn:010d}-{end:010d}中有已使用的号码")
    db.execute("DELETE FROM stock WHERE id = ?", (row["id"],))
    cols = ("kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no, next_no, created, operator")
    keep = [(row["bgn_no"], bgn - 1), (end + 1, row["end_no"])]
    for a, b in keep:
        if a <= b:
            db.execute(f"INSERT INTO stock ({cols}) VALUES ('P', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (src_place, row["bill_code"], row["bill_name"], batch, a, b, a, now, row["operator"]))
    db.execute(f"INSERT INTO stock ({cols}) VALUES ('P', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (dst_place, row["bill_code"], row["bill_name"], batch, bgn, end, bgn, now, operator))
    db.execute("INSERT INTO stock_moves (day, direction, place_code, bill_code, bill_name, bill_batch_code, bgn_no,"
               " end_no, bill_type, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2', ?)",
               (day, direction, dst_place or src_place, row["bill_code"], row["bill_name"], batch, bgn, end, operator))
    merge_paper_rows(db, src_place, batch)
    merge_paper_rows(db, dst_place, batch)


@method(methods.BILL_STOCK_OUT)
def stock_out(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Issue paper ranges from the unit's stock to a billing point."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    now = p.now17()
    for item in data.get("billNoList") or []:
        _move(db, "", place, item, E.STOCK_RANGE, str(data["operator"]), "out", date10(p.clock.now()), now)
    return "成功"


@method(methods.BILL_STOCK_RETURN)
def stock_return(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Return unused paper ranges from a billing point to the unit."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    now = p.now17()
    for item in data.get("billNoList") or []:
        _move(db, place, "", item, E.STOCK_RETURN, str(data["returner"]), "return", date10(p.clock.now()), now)
    return "成功"


@method(methods.GET_BILL_STOCK_OUT_LIST)
def stock_out_list(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Stock issued to points between bgnDate and endDate (yyyy-MM-dd)."""
    sql = "SELECT * FROM stock_moves WHERE direction = 'out' AND day BETWEEN ? AND ?"
    args: list[Any] = [str(data["bgnDate"]), str(data["endDate"])]
    if data.get("placeCode"):
        check_place(db, ctx, str(data["placeCode"]))
        sql += " AND place_code = ?"
        args.append(str(data["placeCode"]))
    rows = [{"date": r["day"], "placeCode": r["place_code"], "billCode": r["bill_code"], "billName": r["bill_name"],
             "billBatchCode": r["bill_batch_code"], "billBgnNo": f"{r['bgn_no']:010d}",
             "billEndNo": f"{r['end_no']:010d}", "billType": r["bill_type"]}
            for r in db.execute(sql + " ORDER BY id", args)]
    return {"count": len(rows), "billNoList": rows}


def _valid_ranges(db: sqlite3.Connection, place: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in db.execute("SELECT * FROM stock WHERE kind IN ('E', 'P') AND place_code = ? AND state = 'active'"
                          " ORDER BY kind, bgn_no", (place,)).fetchall():
        ranges = [(row["next_no"], row["end_no"])] if row["kind"] == "E" else free_ranges(db, row)
        for a, b in ranges:
            if a <= b:
                out.append({"billCode": row["bill_code"], "billBatchCode": row["bill_batch_code"],
                            "billBgnNo": f"{a:010d}", "billEndNo": f"{b:010d}"})
    return out


@method(methods.GET_VALID_BILL_NO)
def valid_bill_no(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Unused number ranges (electronic online stock and paper) at a point."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    rows = [r for r in _valid_ranges(db, place)
            if (not data.get("billCode") or r["billCode"] == data["billCode"])
            and (not data.get("billBatchCode") or r["billBatchCode"] == data["billBatchCode"])]
    return {"count": len(rows), "billNoList": rows}


@method(methods.GET_VALID_BILL_BATCH_CODE)
def valid_batch_codes(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Bill codes and their batch codes usable at a point."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    codes: dict[str, list[str]] = {}
    for r in _valid_ranges(db, place):
        batches = codes.setdefault(r["billCode"], [])
        if r["billBatchCode"] not in batches:
            batches.append(r["billBatchCode"])
    return {"billCodeList": [{"billCode": c, "billBatchCodeList": [{"billBatchCode": b} for b in bs]}
                             for c, bs in codes.items()]}
