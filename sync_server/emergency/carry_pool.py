"""Parallel delivery of carry-forward items (``uploadEmergencyEBill``; issue 7 benchmark).

Delivering one item at a time is too slow for a terminal handing over thousands of bills at once
(each call waits a few ms for the platform). After an upload, and whenever the outbox worker finds
due carry-forwards (it leaves them to this pool), :func:`kick_carry_pool` starts (once per server
process) a loop that takes due ``carry_forward`` items through the outbox's rules —
``outbox.due`` (head item of each busNo group, so per-bill order holds) and ``outbox.claim_many``
(a lease: no item is sent twice at the same time, and a killed process's leases are released at
restart) — sends their ``uploadEmergencyEBill`` calls on a few threads (a pipeline: more items
are claimed while earlier ones are in flight), and settles the accepted ones in batches, one
transaction each (bill ``carry = done``, audit row, item done). A refused upload takes the
worker's own path (``carry.deliver_carry_forward``: lookup, same bill, or conflict: platform bill kept,
number voided, conflict reported); an unreachable platform stops the pool: the items back off,
and the worker kicks the pool again when they fall due.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps, loads
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.emergency.carry import deliver_carry_forward
from sync_server.outbox import queue as outbox
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import audit_log, bills
from sync_server.store.schema import outbox as outbox_table

log = logging.getLogger(__name__)
CARRY = "carry_forward"  # the outbox kind this pool delivers
THREADS = 4
ROUND = 100  # at most this many items claimed and not yet answered
SETTLE = 50  # accepted items settled per transaction
_running: dict[int, threading.Thread] = {}
_guard = threading.Lock()


def kick_carry_pool(ctx: ServerContext) -> None:
    """Start the pool for ``ctx`` unless it is already running."""
    with _guard:
        t = _running.get(id(ctx))
        if t is not None and t.is_alive():
            return
        t = threading.Thread(target=_run, args=(ctx,), name="carry-pool", daemon=True)
        _running[id(ctx)] = t
        t.start()


def _due(ctx: ServerContext, limit: int) -> list[dict[str, Any]]:
    with read_tx(ctx.engine) as conn:
        # only carry-forward heads: other kinds (changes, notices) stay with the worker
        return outbox.due(conn, time.time(), limit, kinds=(CARRY,))


def _claim_all(ctx: ServerContext, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Take the lease on every item in one transaction; the ones we got."""
    with write_tx(ctx.engine) as conn:
        taken = outbox.claim_many(conn, items, time.time())
    got = [i for i in items if i["id"] in taken]
    for item in got:
        item["attempts"] = int(item["attempts"]) + 1  # as the lease did in the row
    return got


def _send(ctx: ServerContext, item: dict[str, Any]) -> tuple[str, Any]:
    """The platform call only: ("ok", answer) | ("rejected", exc) | ("unreachable", exc)."""
    try:
        return "ok", ctx.upstream.call(methods.UPLOAD_EMERGENCY_EBILL, loads(item["payload_json"]),
                                       idem_key=item["idem_key"])
    except PlatformRejected as exc:
        return "rejected", exc
    except PlatformUnreachable as exc:
        return "unreachable", exc
    except Exception as exc:  # noqa: BLE001 - kept for the worker's backoff
        log.exception("carry-forward %s failed", item["idem_key"])
        return "unreachable", PlatformUnreachable(str(exc))


def _settle_ok(ctx: ServerContext, done: list[tuple[dict[str, Any], Any]]) -> None:
    """Mark carried bills and finish their items: one transaction for the whole round."""
    if not done:
        return
    now = ts17(ctx.clock.now())
    with write_tx(ctx.engine) as conn:
        wanted = {(p["billBatchCode"], p["billNo"]): (item, ans) for item, ans in done
                  for p in [loads(item["payload_json"])]}
        rows = conn.execute(select(bills.c.id, bills.c.bill_batch_code, bills.c.bill_no, bills.c.caller_appid)
                            .where(bills.c.bill_no.in_(sorted({k[1] for k in wanted})))).all()
        ids = {(c, n): (bid, who) for bid, c, n, who in rows if (c, n) in wanted}
        if ids:
            conn.execute(update(bills).where(bills.c.id == bindparam("b_id")).values(
                carry="done", in_doubt=0, updated_at=now), [{"b_id": bid} for bid, _ in ids.values()])
            conn.execute(insert(audit_log), [
                {"at": now, "actor": "server", "caller": None, "terminal": who, "action": "carry_forward",
                 "entity": "bill", "entity_id": str(bid), "before_json": dumps({"carry": "pending"}),
                 "after_json": dumps({"carry": "done", "bill_batch_code": k[0], "bill_no": k[1],
                                      "platformCreateTime": (wanted[k][1] or {}).get("createTime", "")
                                      if isinstance(wanted[k][1], dict) else ""})}
                for k, (bid, who) in ids.items()])
        conn.execute(update(outbox_table).where(outbox_table.c.id == bindparam("o_id")).values(
            state="done", done_at=now), [{"o_id": item["id"]} for item, _ in done])


def _slow_path(ctx: ServerContext, item: dict[str, Any]) -> None:
    """A refused upload: the worker's own delivery (lookup, same bill, or conflict settled)."""
    try:
        deliver_carry_forward(ctx, item, loads(item["payload_json"]))
    except PlatformUnreachable as exc:
        with write_tx(ctx.engine) as conn:
            outbox.retry_later(conn, item, exc.message, ctx.config.outbox_max_backoff)
    except outbox.DeadLetter as exc:
        with write_tx(ctx.engine) as conn:
            outbox.finish(conn, ctx.clock, item["id"], "dead", str(exc))
        log.error("carry-forward %s refused for good: %s", item["idem_key"], exc)


def _run(ctx: ServerContext) -> None:
    """Keep ``THREADS`` calls in flight until nothing carry-forward is due (or the platform is down).

    A pipeline, not rounds: the next items are claimed while earlier ones are still being sent,
    and accepted ones are settled in batches of ``SETTLE`` — so the platform is never left idle
    while this process waits for the slowest call of a round or writes the round's results.
    Claimed items wait at most ~``ROUND`` calls before they are sent, far inside their lease.
    """
    inflight: dict[Future[tuple[str, Any]], dict[str, Any]] = {}
    accepted: list[tuple[dict[str, Any], Any]] = []
    down = False
    with ThreadPoolExecutor(THREADS, thread_name_prefix="carry") as pool:
        while not ctx.stop.is_set():
            if not down and len(inflight) < ROUND // 2:
                for item in _claim_all(ctx, _due(ctx, ROUND - len(inflight))):
                    inflight[pool.submit(_send, ctx, item)] = item
            if not inflight:
                break
            finished, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in finished:
                item = inflight.pop(fut)
                kind, got = fut.result()
                if kind == "ok":
                    accepted.append((item, got))
                elif kind == "rejected":
                    _slow_path(ctx, item)
                else:
                    with write_tx(ctx.engine) as conn:
                        outbox.retry_later(conn, item, got.message, ctx.config.outbox_max_backoff)
                    # platform down: send nothing more; the items back off and the worker kicks
                    # the pool again when they fall due
                    down = down or not got.in_doubt
            if len(accepted) >= SETTLE or not inflight:
                _settle_ok(ctx, accepted)
                accepted = []
        # stopping: wait for the calls in flight and record what the platform accepted (anything
        # else keeps its lease until it expires or the restart releases it)
        accepted += [(item, got) for fut, item in inflight.items() for kind, got in [fut.result()] if kind == "ok"]
    _settle_ok(ctx, accepted)
