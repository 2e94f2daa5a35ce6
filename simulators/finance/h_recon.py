"""Reconciliation (spec §10, seed 000 items 4-9) and prepayment vouchers (spec §6)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from billing_core import envelope, methods
from simulators.finance import errors as E
from simulators.finance import render
from simulators.finance.errors import SimError
from simulators.finance.platform import (
    CallCtx,
    Platform,
    check_place,
    find_bill,
    insert_bill,
    make_red,
    method,
    new_random,
    page,
    picture_url,
    qr_text,
    red_response,
    take_number,
)


def _day_filter(date_field: str, value: str) -> tuple[str, str]:
    column = "bus_date_time" if date_field == "busDate" else "create_time"
    return f"substr({column}, 1, 8) = ?", value.replace("-", "")


def _ranges(rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    """Consecutive numbers per (busType, placeCode, billBatchCode) folded into ranges."""
    out: list[dict[str, Any]] = []
    key_prev: tuple[str, str, str] | None = None
    last = -2
    for r in sorted(rows, key=lambda r: (r["bus_type"], r["place_code"], r["bill_batch_code"], int(r["bill_no"]))):
        key = (r["bus_type"], r["place_code"], r["bill_batch_code"])
        n = int(r["bill_no"])
        if key == key_prev and n == last + 1:
            cur = out[-1]
            cur["endNo"] = r["bill_no"]
            cur["copyNum"] += 1
            cur["totalAmt"] += Decimal(r["total_amt"])
        else:
            out.append({"busType": key[0], "placeCode": key[1], "billName": r["bill_name"], "billBatchCode": key[2],
                        "bgnNo": r["bill_no"], "endNo": r["bill_no"], "copyNum": 1,
                        "totalAmt": Decimal(r["total_amt"])})
        key_prev, last = key, n
    return out


def _check(db: sqlite3.Connection, data: dict[str, Any], date_field: str, reds_only: bool) -> dict[str, Any]:
    where, day = _day_filter(date_field, str(data[date_field]))
    sql = f"SELECT * FROM bills WHERE doc = 'bill' AND {where}"
    args: list[Any] = [day]
    if reds_only:
        sql += " AND kind = 'red'"
    for key, col in (("busType", "bus_type"), ("placeCode", "place_code")):
        if data.get(key):
            sql += f" AND {col} = ?"
            args.append(str(data[key]))
    ranges = _ranges(db.execute(sql, args).fetchall())
    shown = page(ranges, data.get("pageNo") or 1, data.get("pageSize") or 200)
    total = sum((r["totalAmt"] for r in shown), Decimal("0.00"))
    all_total = sum((r["totalAmt"] for r in ranges), Decimal("0.00"))
    out: dict[str, Any] = {
        date_field: str(data[date_field]), "copyNum": len(ranges),
        "totalAmt": f"{total:.2f}", "totalNum": sum(r["copyNum"] for r in shown),
        "allTotalAmt": f"{all_total:.2f}", "allTotalNum": sum(r["copyNum"] for r in ranges),
    }
    if str(data.get("isReturnList", "1") or "1") != "0":
        out["billNoList"] = [dict(r, totalAmt=f"{r['totalAmt']:.2f}") for r in shown]
    return out


def _check_handler(name: str, date_field: str, reds_only: bool) -> None:
    @method(name)
    def handle(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
        if data.get("placeCode"):
            check_place(db, ctx, str(data["placeCode"]))
        return _check(db, data, date_field, reds_only)


for _name, _field, _reds in (
    ("checkTotalData", "busDate", False), ("checkTotalDataByIvcDate", "ivcDate", False),
    ("checkDataByPlace", "busDate", False), ("checkDataPlaceByIvcDate", "ivcDate", False),
    ("checkWriteOffData", "busDate", True), ("checkWriteOffDataByIvcDate", "ivcDate", True),
):
    _check_handler(_name, _field, _reds)


def _bill_list(db: sqlite3.Connection, data: dict[str, Any], by_ivc: bool) -> dict[str, Any]:
    bgn, end = str(data["busBgnDate"]), str(data["busEndDate"])
    col = "create_time" if by_ivc else "bus_date_time"
    place = str(data.get("placeCode") or "")
    wanted = {t.strip() for t in str(data.get("dataType") or "").split(",") if t.strip()}
    rows: list[dict[str, Any]] = []
    bills = {b["id"]: b for b in db.execute("SELECT * FROM bills WHERE doc = 'bill'")}
    for b in bills.values():
        if not bgn <= b[col] <= end or (place and b["place_code"] != place):
            continue
        blue = bills.get(b["blue_id"]) if b["blue_id"] else None
        rows.append({"busDate": b["bus_date_time"], "busNo": b["bus_no"], "busType": b["bus_type"],
                     "placeCode": b["place_code"], "billName": b["bill_name"], "billBatchCode": b["bill_batch_code"],
                     "billNo": b["bill_no"], "random": b["random"], "totalAmt": b["total_amt"],
                     "ivcDateTime": b["create_time"], "dataType": "2" if b["kind"] == "red" else "1",
                     "state": "3" if b["is_scarlet"] else "1",
                     "relateBillBatchCode": blue["bill_batch_code"] if blue else "",
                     "relateBillNo": blue["bill_no"] if blue else ""})
    for pb in db.execute("SELECT * FROM paper_bills"):
        pcol = pb["create_time"] if by_ivc else (pb["bus_date_time"] or pb["create_time"])
        if not bgn <= pcol <= end or (place and pb["place_code"] != place):
            continue
        b = bills.get(pb["bill_id"]) if pb["bill_id"] else None
        if pb["bill_id"] and b is None:
            continue  # paper of a prepayment voucher: not an e-bill
        data_type = {"exchange": "3", "red": "4", "blank": "5"}[pb["kind"]]
        if b is not None and b["kind"] == "red":  # a red paper refers to the blue e-bill it refunds
            b = bills.get(b["blue_id"], b)
        rows.append({"busDate": pb["bus_date_time"], "busNo": b["bus_no"] if b else "",
                     "busType": b["bus_type"] if b else "", "placeCode": pb["place_code"],
                     "billName": "医疗收费票据（机打）", "billBatchCode": pb["p_bill_batch_code"],
                     "billNo": pb["p_bill_no"], "random": "", "totalAmt": b["total_amt"] if b else "0.00",
                     "ivcDateTime": pb["create_time"], "dataType": data_type, "state": str(pb["state"]),
                     "relateBillBatchCode": b["bill_batch_code"] if b else "", "relateBillNo": b["bill_no"] if b else ""})
    if wanted:
        rows = [r for r in rows if r["dataType"] in wanted]
    rows.sort(key=lambda r: (r["ivcDateTime"], r["dataType"], r["billBatchCode"], r["billNo"]))
    return {"total": len(rows), "pageNo": str(data["pageNo"]),
            "billList": page(rows, data["pageNo"], data["pageSize"])}


@method(methods.GET_BILL_BY_BUS_DATE)
def by_bus_date(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Bills (e-bills, red bills, paper) by business time range."""
    if data.get("placeCode"):
        check_place(db, ctx, str(data["placeCode"]))
    return _bill_list(db, data, by_ivc=False)


@method(methods.GET_BILL_BY_IVC_DATE)
def by_ivc_date(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Bills by issue time range (the request keeps the busBgnDate/busEndDate names, spec §10)."""
    if data.get("placeCode"):
        check_place(db, ctx, str(data["placeCode"]))
    return _bill_list(db, data, by_ivc=True)


# ---------------------------------------------------------------------------- vouchers (§6)


def _voucher_response(v: sqlite3.Row, base_url: str) -> dict[str, Any]:
    return {"voucherBatchCode": v["bill_batch_code"], "voucherNo": v["bill_no"], "voucherRandom": v["random"],
            "createTime": v["create_time"], "billQRCode": render.qr_png_b64(qr_text(v)),
            "pictureUrl": picture_url(base_url, v)}


@method(methods.INVOICE_PAYMENT_VOUCHER)
def invoice_voucher(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Issue a prepayment voucher from the point's voucher stock (idempotent on busNo like bills)."""
    place = str(data["placeCode"])
    check_place(db, ctx, place)
    existing = db.execute("SELECT * FROM bills WHERE doc = 'voucher' AND kind = 'blue' AND bus_no = ?",
                          (str(data["busNo"]),)).fetchone()
    if existing is not None:
        if p.faults.duplicate_busno == "reject":
            raise SimError(E.DUPLICATE_BUSNO, f"业务流水号{data['busNo']}已开具预交金凭证，不能重复开具")
        return _voucher_response(existing, ctx.base_url)
    now = p.now17()
    code, name, batch, no = take_number(db, "V", place)
    row = insert_bill(db, now, {
        "doc": "voucher", "kind": "blue", "method": "invoicePayMentVoucher", "bill_code": code, "bill_name": name,
        "bill_batch_code": batch, "bill_no": no, "random": new_random(), "bus_no": str(data["busNo"]),
        "bus_type": str(data["busType"]), "bus_date_time": str(data["busDateTime"]), "place_code": place,
        "appid": ctx.caller.appid, "payer": str(data["payer"]), "total_amt": f"{Decimal(str(data['amt'])):f}",
        "create_time": now, "card_type": str(data.get("cardType", "")), "card_no": str(data.get("cardNo", "")),
        "base_url": ctx.base_url, "data_json": envelope.dumps(data)})
    return _voucher_response(row, ctx.base_url)


@method(methods.WRITE_OFF_PAYMENT_VOUCHER)
def write_off_voucher(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Refund a deposit: a red voucher for the refunded amount."""
    v = find_bill(db, str(data["voucherBatchCode"]), str(data["voucherNo"]), doc="voucher")
    if v["consumed_by"] is not None:
        raise SimError(E.NOT_NORMAL, f"预交金凭证{v['bill_batch_code']}/{v['bill_no']}已被结算使用，不能退费")
    if Decimal(str(data["amt"])) > Decimal(v["total_amt"]):
        raise SimError(E.VOUCHER_AMOUNT, f"退费金额{data['amt']}超过预交金额{v['total_amt']}")
    red = make_red(db, ctx, p.now17(), v, data, "writeOffPayMentVoucher")
    return _voucher_response(red, ctx.base_url)


@method(methods.CANCEL_PAYMENT_VOUCHER_BALANCE)
def cancel_balance(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Undo a settlement: red e-bill, and the vouchers it consumed become settleable again."""
    bill = find_bill(db, str(data["billBatchCode"]), str(data["billNo"]), doc="bill")
    red = make_red(db, ctx, p.now17(), bill, data, "cancelPayMentVoucherBalance")
    db.execute("UPDATE bills SET consumed_by = NULL WHERE doc = 'voucher' AND consumed_by = ?", (bill["id"],))
    return red_response(red, ctx.base_url)


@method(methods.INVALID_PAYMENT_VOUCHER_PAPER)
def invalid_voucher_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Void the paper printed from a voucher: paper voided, red voucher issued."""
    pno = str(data["pBillNo"])
    paper = db.execute(
        "SELECT pb.* FROM paper_bills pb JOIN bills b ON b.id = pb.bill_id WHERE b.doc = 'voucher'"
        " AND pb.p_bill_batch_code = ? AND CAST(pb.p_bill_no AS INTEGER) = ? AND pb.state = 1",
        (str(data["pBillBatchCode"]), int(pno) if pno.isdigit() else -1)).fetchone()
    if paper is None:
        raise SimError(E.PAPER_NOT_USABLE, f"预交金纸质票据{data['pBillBatchCode']}/{pno}不存在或已作废")
    now = p.now17()
    db.execute("UPDATE paper_bills SET state = 2, void_time = ?, reason = ? WHERE id = ?",
               (now, str(data["reason"]), paper["id"]))
    db.execute("UPDATE bills SET is_prt_paper = 0 WHERE id = ?", (paper["bill_id"],))
    v = db.execute("SELECT * FROM bills WHERE id = ?", (paper["bill_id"],)).fetchone()
    red = make_red(db, ctx, now, v, data, "invalidPayMentVoucherPaper")
    return _voucher_response(red, ctx.base_url)
