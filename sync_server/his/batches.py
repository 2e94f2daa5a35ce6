"""Batch issuing (spec §4): recorded and answered at once, then issued item by item through the
normal issuing path (idempotent on busNo, same outage rules).

A batch runs in a thread of the context's owner (``batch-<batchNo>``, once at a time); at shutdown
it stops between items. A batch is durable: it is stored before the answer with the ``owner``
process that runs it, and the worker resumes every batch still ``pending`` whose owner died (or
whose thread in this process stopped) — after a crash or restart too, since each item is
idempotent on its busNo.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps, loads
from billing_core.errors import BillingError
from sync_server.bills.validation import validate
from sync_server.context import ServerContext
from sync_server.his.issuing import Issuer
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import batches

log = logging.getLogger(__name__)


def receive(ctx: ServerContext, who: Actor, method: str, data: dict[str, Any]) -> str:
    """Store a batch (a repeated batchNo is answered without a second run) and start it.

    ``data`` is validated (batchNo, 1 to 200 valid bills: billing_core's batch table)."""
    batch_no, items = data["batchNo"], data["eBillList"]
    with write_tx(ctx.engine) as conn:
        if conn.execute(select(batches.c.batch_no).where(batches.c.batch_no == str(batch_no))).first():
            return "成功"
        conn.execute(insert(batches).values(batch_no=str(batch_no), caller_appid=who.caller or who.actor,
                                            method=method, request_json=dumps(data), state="pending",
                                            owner=ctx.instance, created_at=ts17(ctx.clock.now())))
        audit(conn, ctx.clock, who, "batch_received", "batch", batch_no, None, {"count": len(items)})
    start(ctx, str(batch_no))
    return "成功"


def start(ctx: ServerContext, batch_no: str) -> bool:
    """Run a stored batch in a thread of the context's owner unless one already runs it (or the
    server is stopping); True when started."""
    return ctx.threads.start(f"batch-{batch_no}", _run, ctx, batch_no) is not None


def resume(ctx: ServerContext) -> int:
    """Start every pending batch nobody runs (worker cycle; after a restart): this process's own
    interrupted ones, and those of processes that died (taken over, audited)."""
    with read_tx(ctx.engine) as conn:
        pending = conn.execute(select(batches.c.batch_no, batches.c.owner, batches.c.caller_appid)
                               .where(batches.c.state == "pending")).all()
    started = 0
    for batch_no, owner, caller in pending:
        if owner != ctx.instance:
            if ctx.owner_alive(owner):
                continue  # a live sibling process runs it
            with write_tx(ctx.engine) as conn:
                owned = batches.c.owner == owner if owner is not None else batches.c.owner.is_(None)
                res = conn.execute(update(batches).where(batches.c.batch_no == batch_no, owned,
                                                         batches.c.state == "pending").values(owner=ctx.instance))
                if res.rowcount != 1:
                    continue
                audit(conn, ctx.clock, Actor("server", caller=caller), "batch_takeover", "batch", batch_no,
                      {"owner": owner}, {"owner": ctx.instance})
        started += start(ctx, batch_no)
    return started


def _run(ctx: ServerContext, batch_no: str) -> None:
    try:
        with read_tx(ctx.engine) as conn:
            row = conn.execute(select(batches).where(batches.c.batch_no == batch_no)).mappings().one()
        data = loads(row["request_json"])
        who = Actor(row["caller_appid"], caller=row["caller_appid"])
        single = methods.BATCH[row["method"]]
        issuer = Issuer(ctx)
        for item in data.get("eBillList") or []:
            if ctx.stop.is_set():  # shutting down: the batch stays pending, resumed at the next start
                log.info("batch %s left pending at shutdown", batch_no)
                return
            try:
                # read back from the store (JSON: amounts are strings again), so validated as it
                # re-enters; a bad item fails alone
                issuer.issue(single, validate(single, item), who, batch_no=batch_no)
            except BillingError as exc:  # the item fails alone (getBatchInvoiceEBill status 2)
                log.info("batch %s item %s failed: %s", batch_no, item.get("busNo"), exc)
        with write_tx(ctx.engine) as conn:
            conn.execute(update(batches).where(batches.c.batch_no == batch_no).values(state="done"))
            audit(conn, ctx.clock, who, "batch_done", "batch", batch_no, {"state": "pending"}, {"state": "done"})
    except Exception:  # noqa: BLE001 - stays pending; the worker resumes it
        log.exception("batch %s interrupted", batch_no)
