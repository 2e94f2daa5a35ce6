"""Delivering a carry-forward (the outbox kind ``carry_forward``) to the platform.

Carry-forward (spec §17 uploadEmergencyEBill) of an emergency bill: accepted -> the bill is
carried (``carry = done``, no longer in doubt). Refused -> ask getEBillByBusNo: the same number
means it was already carried; another bill means a **conflict** — the platform's bill is kept
(recorded as the live bill of the busNo), the emergency number is voided with a reason, the
conflict is recorded for the report and a corrected notice is queued (issue 4 §4).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps, loads
from sync_server.bills.records import by_id, by_number, mark_issued, public
from sync_server.bills.state import TRANSITIONS, born, move, try_move
from sync_server.context import ServerContext
from sync_server.outbox import queue as outbox
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import inserted_id, write_tx
from sync_server.store.schema import bills, conflicts, paper_bills, red_bills
from sync_server.store.schema import outbox as outbox_t

log = logging.getLogger(__name__)


def deliver_carry_forward(ctx: ServerContext, item: dict[str, Any], payload: dict[str, Any]) -> None:
    """Deliver one carry-forward; the platform outcome comes from the connector
    (``ext.carry_forward``: upload once, a refusal resolved by getEBillByBusNo).

    :raises PlatformUnreachable: no answer (the outbox retries later, with the same key);
        :raises DeadLetter: refused, and the platform holds no bill for the busNo.
    """
    out = ctx.upstream.ext.carry_forward(payload, idem_key=item["idem_key"])
    why = f"{out.error.code} {out.error.message}" if out.error is not None else ""
    if out.kind == "refused":
        raise outbox.DeadLetter(why)
    if out.kind == "conflict":
        assert out.payload is not None
        _conflict(ctx, item, payload, out.payload, why)
        return
    answer = out.payload
    with write_tx(ctx.engine) as conn:
        row = _bill_of(conn, payload)
        # a bill already carried (a repeated delivery) or voided is left alone: try_move refuses it
        if row is not None and try_move(conn, TRANSITIONS["carry_done"], row["id"],
                                        values={"updated_at": ts17(ctx.clock.now())}):
            before = public(row)
            audit(conn, ctx.clock, SERVER, "carry_forward", "bill", row["id"], before,
                  public(by_id(conn, row["id"])) | {"platformCreateTime": (answer or {}).get("createTime", "")})
        outbox.finish(conn, ctx.clock, item["id"])


def _bill_of(conn: Any, payload: dict[str, Any]) -> Any:
    return by_number(conn, payload["billBatchCode"], payload["billNo"])


def _conflict(ctx: ServerContext, item: dict[str, Any], payload: dict[str, Any], found: dict[str, Any],
              why: str) -> None:
    bill = payload["bill"]
    now = ts17(ctx.clock.now())
    with write_tx(ctx.engine) as conn:
        row = _bill_of(conn, payload)
        if row is None:
            outbox.finish(conn, ctx.clock, item["id"], "dead", "emergency bill not in local records")
            return
        before = public(row)
        reason = (f"应急票据结转冲突：平台已为业务流水号{bill['busNo']}开具票据"
                  f"{found.get('billBatchCode')}-{found.get('billNo')}，应急票号作废")
        move(conn, TRANSITIONS["carry_conflict_void"], row["id"],
             values={"busno_live": None, "void_reason": reason[:250], "updated_at": now})
        audit(conn, ctx.clock, SERVER, "carry_forward_conflict_void", "bill", row["id"], before,
              public(by_id(conn, row["id"])))
        new_id = inserted_id(conn.execute(insert(bills).values(
            bus_no=row["bus_no"], busno_live=row["bus_no"], method=row["method"], bus_type=row["bus_type"],
            bus_date_time=row["bus_date_time"], place_code=row["place_code"], caller_appid=row["caller_appid"],
            **born("claim"), total_amt=row["total_amt"],
            payer=row["payer"], card_type=row["card_type"], card_no=row["card_no"], payee=row["payee"],
            request_json=row["request_json"],
            created_at=now, updated_at=now)))
        mark_issued(conn, ctx.clock, SERVER, int(new_id), found, action="adopt_platform_bill")
        _retarget(ctx, conn, item, row, int(new_id), found)
        contact = [{"noticeType": "1201", "noticeValue": bill["tel"]}] if bill.get("tel") else []
        if bill.get("email"):
            contact.append({"noticeType": "1202", "noticeValue": bill["email"]})
        cid = inserted_id(conn.execute(insert(conflicts).values(
            bill_id=row["id"], bus_no=row["bus_no"], emergency_batch_code=row["bill_batch_code"],
            emergency_no=row["bill_no"], platform_batch_code=found.get("billBatchCode"),
            platform_no=found.get("billNo"), detail=dumps({"reason": reason, "platform": why}),
            notice="queued" if contact else "no_contact", at=now)))
        audit(conn, ctx.clock, SERVER, "conflict_reported", "conflict", cid, None,
              {"bus_no": row["bus_no"], "emergency_no": row["bill_no"], "platform_no": found.get("billNo")})
        if contact:
            outbox.enqueue(conn, ctx.clock, group=f"notice:{row['bus_no']}", kind="notice",
                           method=methods.SEND_BILL_NOTICE,
                           payload={"billBatchCode": found.get("billBatchCode"), "billNo": found.get("billNo"),
                                    "noticeList": contact}, idem_key=f"notice:{found.get('billBatchCode')}:"
                                                                     f"{found.get('billNo')}")
        outbox.finish(conn, ctx.clock, item["id"], "done", f"conflict: {why}"[:500])
        log.warning("carry-forward conflict for busNo %s: emergency %s voided, platform bill %s kept",
                    row["bus_no"], row["bill_no"], found.get("billNo"))


def _retarget(ctx: ServerContext, conn: Any, item: dict[str, Any], voided: Any, new_id: int,
              found: dict[str, Any]) -> None:
    """Changes the HIS made to the emergency bill (write-off, paper ...) still waiting behind its
    carry-forward now apply to the platform's bill that is kept: their queued requests and their
    local effects (red bill, paper, flags) move to it, so none is lost or sent for a void number."""
    code, no = found.get("billBatchCode"), found.get("billNo")
    waiting = conn.execute(select(outbox_t).where((outbox_t.c.group_key == voided["bus_no"])
                                                  & (outbox_t.c.state == "pending") & (outbox_t.c.id != item["id"]))
                           ).mappings().all()
    for w in waiting:
        payload = loads(w["payload_json"])
        data = payload.get("data") or {}
        if data.get("billBatchCode") == voided["bill_batch_code"] and data.get("billNo") == voided["bill_no"]:
            data["billBatchCode"], data["billNo"] = code, no
            payload["billId"] = new_id
            conn.execute(update(outbox_t).where(outbox_t.c.id == w["id"]).values(payload_json=dumps(payload)))
    conn.execute(update(red_bills).where(red_bills.c.bill_id == voided["id"]).values(bill_id=new_id))
    conn.execute(update(paper_bills).where(paper_bills.c.bill_id == voided["id"]).values(bill_id=new_id))
    flags = {k: voided[k] for k in ("is_scarlet", "is_prt_paper", "p_bill_batch_code", "p_bill_no")}
    if any(flags.values()):
        before = public(by_id(conn, new_id))
        move(conn, TRANSITIONS["inherit_changes"], new_id,
             values={"p_bill_batch_code": flags["p_bill_batch_code"], "p_bill_no": flags["p_bill_no"]},
             is_scarlet=flags["is_scarlet"], is_prt_paper=flags["is_prt_paper"])
        audit(conn, ctx.clock, SERVER, "conflict_changes_moved", "bill", new_id, before,
              public(by_id(conn, new_id)))
