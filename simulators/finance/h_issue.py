"""Issuing: single (spec §3), batch (§4), and our emergency extensions (§17)."""

from __future__ import annotations

import sqlite3
import threading
import time
from decimal import Decimal
from typing import Any

from billing_core import envelope, methods
from billing_core.bills import METHODS, validate_request
from billing_core.errors import BillingError
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.platform import (
    CallCtx,
    Platform,
    bill_response,
    check_place,
    insert_bill,
    method,
    new_random,
    take_number,
)

MAX_BATCH = 200


def existing_by_bus_no(db: sqlite3.Connection, bus_no: str) -> sqlite3.Row | None:
    """The (blue) bill already issued for a busNo, if any."""
    return db.execute("SELECT * FROM bills WHERE doc = 'bill' AND kind = 'blue' AND bus_no = ?",
                      (bus_no,)).fetchone()


def bill_values(ctx: CallCtx, method_name: str, bill: dict[str, Any], now: str) -> dict[str, Any]:
    """Column values of a new blue bill from its normalised request."""
    spec = METHODS[method_name]
    return {
        "doc": "bill", "kind": "blue", "method": method_name,
        "bus_no": str(bill["busNo"]), "bus_type": str(bill.get("busType") or spec.bus_type or ""),
        "bus_date_time": str(bill["busDateTime"]), "place_code": str(bill["placeCode"]),
        "appid": ctx.caller.appid, "payer": str(bill.get("payer", "")),
        "total_amt": f"{Decimal(str(bill['totalAmt'])):f}", "create_time": now,
        "is_arrears": str(bill.get("isArrears", "")), "card_type": str(bill.get("cardType", "")),
        "card_no": str(bill.get("cardNo", "")), "id_card_no": str(bill.get("idCardNo", "")),
        "patient_id": str(bill.get("patientId", "")), "list_count": len(bill.get("listDetail") or []),
        "base_url": ctx.base_url, "data_json": envelope.dumps(bill),
    }


def bill_items(bill: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The item lists stored with a bill."""
    return {"charge": list(bill.get("chargeDetail") or []), "list": list(bill.get("listDetail") or []),
            "pay": list(bill.get("payChannelDetail") or [])}


def consume_vouchers(db: sqlite3.Connection, bill_id: int, bill: dict[str, Any]) -> None:
    """Mark the prepayment vouchers a settlement consumed (payMentVoucher, spec §3.2)."""
    for v in bill.get("payMentVoucher") or []:
        db.execute("UPDATE bills SET consumed_by = ? WHERE doc = 'voucher' AND kind = 'blue'"
                   " AND bill_batch_code = ? AND bill_no = ?", (bill_id, str(v.get("voucherBatchCode")),
                                                              str(v.get("voucherNo"))))


def issue_one(p: Platform, ctx: CallCtx, db: sqlite3.Connection, method_name: str,
              bill: dict[str, Any]) -> sqlite3.Row:
    """Issue a validated bill from the point's online stock, honouring the duplicate-busNo knob."""
    check_place(db, ctx, str(bill["placeCode"]))
    existing = existing_by_bus_no(db, str(bill["busNo"]))
    if existing is not None:
        if p.faults.duplicate_busno == "reject":
            raise SimError(E.DUPLICATE_BUSNO, f"业务流水号{bill['busNo']}已开具电子票据，不能重复开具")
        return existing
    now = p.now17()
    bill_code, bill_name, batch, no = take_number(db, "E", str(bill["placeCode"]))
    values = bill_values(ctx, method_name, bill, now)
    values.update(bill_code=bill_code, bill_name=bill_name, bill_batch_code=batch, bill_no=no, random=new_random())
    row = insert_bill(db, now, values, bill_items(bill))
    consume_vouchers(db, row["id"], bill)
    return row


def _issue_handler(name: str) -> None:
    @method(name)
    def handle(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
        return bill_response(issue_one(p, ctx, db, name, data), ctx.base_url)


for _m in methods.ISSUE:
    _issue_handler(_m)


# ---------------------------------------------------------------------------- batch (§4)


def _batch_handler(name: str) -> None:
    @method(name, raw=True)
    def handle(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
        bills = data.get("eBillList")
        # Only the wrapper is checked here: each bill is validated while the batch is processed,
        # so that one bad bill fails alone (status 2) instead of refusing the batch.
        validate_request(methods.GET_BATCH_INVOICE_EBILL, {"batchNo": data.get("batchNo")})
        if not isinstance(bills, list) or not bills:
            raise SimError(E.BAD_REQUEST, "eBillList必须是非空的票据列表")
        if len(bills) > MAX_BATCH:
            raise SimError(E.BATCH_TOO_BIG, f"批量开票每批最多{MAX_BATCH}张，本批{len(bills)}张")
        batch_no = str(data["batchNo"])
        if db.execute("SELECT 1 FROM batches WHERE batch_no = ?", (batch_no,)).fetchone():
            raise SimError(E.BATCH_REUSED, f"批次号已使用：{batch_no}")
        db.execute("INSERT INTO batches VALUES (?, ?, ?, ?, ?)", (batch_no, ctx.caller.appid, name,
                                                                  p.now17(), ctx.base_url))
        db.executemany("INSERT INTO batch_items (batch_no, seq, bus_no, status, item_json) VALUES (?, ?, ?, 0, ?)",
                       [(batch_no, i, str(b.get("busNo", "")) if isinstance(b, dict) else "",
                         envelope.dumps(b)) for i, b in enumerate(bills)])
        with p.batch_cv:
            p.batch_queue.append(batch_no)
            p.batch_cv.notify()
        return "成功"


for _b in methods.BATCH:
    _batch_handler(_b)


@method(methods.GET_BATCH_INVOICE_EBILL)
def get_batch(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Batch results: status 0 not yet generated, 1 generated, 2 failed with errMsg."""
    batch = db.execute("SELECT * FROM batches WHERE batch_no = ?", (data["batchNo"],)).fetchone()
    if batch is None:
        raise SimError(E.BATCH_NOT_FOUND, f"批次号不存在：{data['batchNo']}")
    out = []
    for it in db.execute("SELECT * FROM batch_items WHERE batch_no = ? ORDER BY seq", (data["batchNo"],)):
        entry: dict[str, Any] = {"busNo": it["bus_no"], "status": str(it["status"]), "errMsg": it["err_msg"]}
        if it["status"] == 1:
            bill = db.execute("SELECT * FROM bills WHERE id = ?", (it["bill_id"],)).fetchone()
            entry.update(bill_response(bill, batch["base_url"]))
        out.append(entry)
    return {"count": len(out), "eBillList": out}


def batch_worker(p: Platform) -> None:
    """Process queued batches after their calls returned (one thread per platform)."""
    while True:
        with p.batch_cv:
            while not p.batch_queue and not p.stopping:
                p.batch_cv.wait(0.5)
            if p.stopping:
                return
            batch_no = p.batch_queue.pop(0)
        try:
            _process_batch(p, batch_no)
        except Exception:  # a broken batch must not kill the worker
            import logging

            logging.getLogger(__name__).exception("batch %s failed", batch_no)


def _process_batch(p: Platform, batch_no: str) -> None:
    with p.store.tx() as db:
        batch = db.execute("SELECT * FROM batches WHERE batch_no = ?", (batch_no,)).fetchone()
        items = db.execute("SELECT seq, item_json FROM batch_items WHERE batch_no = ? ORDER BY seq",
                           (batch_no,)).fetchall()
    caller = p.store.caller(batch["appid"])
    assert caller is not None
    ctx = CallCtx(caller, batch["base_url"])
    single = methods.BATCH[batch["method"]]
    for seq, item_json in items:
        if p.stopping:  # shutting down: the rest stays status 0 and resumes on the next start
            return
        with p.store.tx() as db:  # done before a restart: keep its result
            if db.execute("SELECT status FROM batch_items WHERE batch_no = ? AND seq = ?",
                          (batch_no, seq)).fetchone()[0] != 0:
                continue
        if p.faults.slow_batch:
            time.sleep(p.faults.slow_batch)
        try:
            bill = validate_request(single, envelope.loads(item_json), warnings=[])
            with p.store.tx() as db:
                row = issue_one(p, ctx, db, single, bill)
                db.execute("UPDATE batch_items SET status = 1, bill_id = ? WHERE batch_no = ? AND seq = ?",
                           (row["id"], batch_no, seq))
        except BillingError as exc:
            with p.store.tx() as db:
                db.execute("UPDATE batch_items SET status = 2, err_msg = ? WHERE batch_no = ? AND seq = ?",
                           (f"{exc.code} {exc.message}", batch_no, seq))


def start_batch_worker(p: Platform) -> threading.Thread:
    """Start the batch worker thread; batches left unfinished by a previous run are queued again."""
    with p.store.tx() as db:
        pending = [r[0] for r in db.execute(
            "SELECT DISTINCT batch_no FROM batch_items WHERE status = 0 ORDER BY batch_no")]
    with p.batch_cv:
        p.batch_queue.extend(b for b in pending if b not in p.batch_queue)
    t = threading.Thread(target=batch_worker, args=(p,), name="finance-batch", daemon=True)
    t.start()
    return t
