"""The server's own emergency stock and local issuing (spec §17, issue 4 §4).

Numbers come from blocks reserved on the platform with ``emergencyStockOut`` while it is
reachable; a number is taken with one atomic ``UPDATE ... RETURNING`` inside the bill's
transaction, so it is used once or not at all (a rolled-back transaction gives it back before
anyone saw it). The check code, the QR payload (billing_core.qr_payload) and an SM2 signature
over the canonical bill are made here; the bill is then carried forward with
``uploadEmergencyEBill`` by the outbox.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqlalchemy import Connection, Integer, and_, cast, func, insert, select, text

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps
from sync_server.bills.records import mark_issued
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.errors import EmergencyStockError
from sync_server.outbox import queue as outbox
from sync_server.security import signing
from sync_server.security.audit import SERVER, Actor, audit
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.schema import stock_ranges

log = logging.getLogger(__name__)
SERVER_TERMINAL_ID = "SYNC-SERVER"


def available(conn: Connection, place_code: str, kind: str = "emergency_server") -> int:
    """Unused numbers left in the active blocks of a billing point."""
    total = conn.execute(select(func.coalesce(func.sum(
        cast(stock_ranges.c.end_no, Integer) - stock_ranges.c.next_no + 1), 0))
        .where(and_(stock_ranges.c.place_code == place_code, stock_ranges.c.kind == kind,
                    stock_ranges.c.state == "active"))).scalar_one()
    return max(int(total), 0)


def take_number(conn: Connection, place_code: str) -> tuple[str, str, str | None]:
    """Take the next emergency number of the billing point: (billBatchCode, billNo, billCode)."""
    blocks = conn.execute(select(stock_ranges).where(and_(
        stock_ranges.c.place_code == place_code, stock_ranges.c.kind == "emergency_server",
        stock_ranges.c.state == "active")).order_by(stock_ranges.c.id)).mappings().all()
    for block in blocks:
        end = int(block["end_no"])
        got = conn.execute(text(
            "UPDATE stock_ranges SET next_no = next_no + 1 WHERE id = :id AND next_no <= :end RETURNING next_no"),
            {"id": block["id"], "end": end}).scalar()
        if got is not None:
            number = int(got) - 1
            return block["bill_batch_code"], str(number).zfill(len(block["bgn_no"])), block["bill_code"]
    raise EmergencyStockError(f"开票点{place_code}应急票据库存不足，无法应急开票")


def issue_locally(ctx: ServerContext, conn: Connection, who: Actor, bill_id: int, method: str,
                  data: dict[str, Any], *, in_doubt: bool, sign_value: str | None = None) -> dict[str, Any]:
    """Issue the claimed bill from emergency stock and queue its carry-forward (same transaction).

    :param sign_value: the SM2 signature made before the transaction (signing needs no number,
        and the store's write lock should not wait for it); made here when not given.
    """
    code, no, _bill_code = take_number(conn, data["placeCode"])
    now = ctx.clock.now()
    random = secrets.token_hex(3)
    sign_value = sign_value or signing.sign_bill(ctx, data)
    # billQRCode is derived from the stored fields when answered (records.issue_answer), so the
    # PNG is not made while the write lock is held.
    answer = {"billBatchCode": code, "billNo": no, "random": random, "createTime": ts17(now),
              "pictureUrl": f"{ctx.config.public_url.rstrip('/')}/notice/{code}/{no}/{random}",
              "pictureNetUrl": ""}
    mark_issued(conn, ctx.clock, who, bill_id, answer, emergency=True, in_doubt=in_doubt,
                sign_value=sign_value, action="issue_emergency")
    outbox.enqueue(conn, ctx.clock, group=data["busNo"], kind="carry_forward", method=methods.UPLOAD_EMERGENCY_EBILL,
                   payload={"billType": methods.ISSUE[method].bill_type, "bill": data, "billBatchCode": code,
                            "billNo": no, "random": random, "issueTime": ts17(now), "terminalId": SERVER_TERMINAL_ID,
                            "signValue": sign_value},
                   idem_key=f"cf:{code}:{no}")
    return answer


def block_row(ctx: ServerContext, place_code: str, got: dict[str, Any], *, kind: str,
              holder: str | None) -> dict[str, Any]:
    """The ``stock_ranges`` row of a block the platform reserved (emergencyStockOut answer)."""
    return {"place_code": place_code, "bill_code": got.get("billCode"), "bill_batch_code": got["billBatchCode"],
            "bgn_no": got["billBgnNo"], "end_no": got["billEndNo"], "next_no": int(got["billBgnNo"]),
            "kind": kind, "holder": holder, "state": "active",
            "reserved_at": got.get("reserveTime") or ts17(ctx.clock.now())}


def top_up(ctx: ServerContext, place_code: str) -> bool:
    """Reserve another emergency block for ``place_code`` when it runs low; True if one was added."""
    cfg = ctx.config
    with read_tx(ctx.engine) as conn:
        left = available(conn, place_code)
    if left >= cfg.emergency_low_water:
        return False
    try:
        got = ctx.upstream.ext.emergency_stock_out(place_code, cfg.emergency_block_size, "sync_server",
                                                   remark="同步服务器应急库存")
    except (PlatformUnreachable, PlatformRejected) as exc:
        log.info("emergency stock top-up for %s failed: %s", place_code, exc)
        return False
    row = block_row(ctx, place_code, got, kind="emergency_server", holder=None)
    with write_tx(ctx.engine) as conn:
        new_id = inserted_id(conn.execute(insert(stock_ranges).values(**row)))
        audit(conn, ctx.clock, SERVER, "emergency_stock_out", "stock_range", new_id, None,
              {k: row[k] for k in ("place_code", "bill_batch_code", "bgn_no", "end_no")})
    return True


def hand_out(ctx: ServerContext, who: Actor, place_code: str, count: int, holder: str) -> dict[str, Any]:
    """Reserve a block on the platform for a terminal (issue 7 uses this) and record it."""
    got = ctx.upstream.ext.emergency_stock_out(place_code, count, holder, remark=f"终端{holder}应急库存")
    row = block_row(ctx, place_code, got, kind="emergency_terminal", holder=holder)
    with write_tx(ctx.engine) as conn:
        new_id = inserted_id(conn.execute(insert(stock_ranges).values(**row)))
        audit(conn, ctx.clock, who, "emergency_stock_hand_out", "stock_range", new_id, None, dumps(row))
    return {"placeCode": place_code, "billCode": row["bill_code"], "billBatchCode": row["bill_batch_code"],
            "billBgnNo": row["bgn_no"], "billEndNo": row["end_no"], "reserveTime": row["reserved_at"]}


