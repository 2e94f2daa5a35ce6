"""Parallel delivery of carry-forward items after a terminal upload (issue 7 benchmark).

The outbox worker delivers one item at a time: fine for the server's own emergency bills, too
slow for a terminal handing over thousands at once (each ``uploadEmergencyEBill`` waits ~6 ms
for the platform). After an upload, :func:`kick_carry_pool` starts (once per server process) a
few threads that deliver due ``carry_forward`` items through the very same path as the worker
— ``outbox.due`` (head item of each busNo group, so per-bill order holds), ``outbox.claim``
(a lease: the worker and the pool never send one item twice at the same time) and
``delivery.deliver`` (platform conflicts settled as for server bills) — until none is due, then
stop. Items given up or unreachable are left to the worker's backoff.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import and_, select

from sync_server.connectors.errors import PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.services import outbox
from sync_server.services.delivery import DeadLetter, deliver
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import outbox as outbox_table

log = logging.getLogger(__name__)
THREADS = 4
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
        items = outbox.due(conn, time.time(), limit)
        if not items:
            return []
        # only carry-forward heads: other kinds (changes, notices) stay with the worker
        ids = {r[0] for r in conn.execute(select(outbox_table.c.id).where(and_(
            outbox_table.c.id.in_([i["id"] for i in items]), outbox_table.c.kind == "carry_forward")))}
    return [i for i in items if i["id"] in ids]


def _one(ctx: ServerContext, item: dict[str, Any]) -> bool:
    """Deliver one item; False when the platform is unreachable (stop the round)."""
    with write_tx(ctx.engine) as conn:
        if not outbox.claim(conn, item, time.time()):
            return True
    item["attempts"] = int(item["attempts"]) + 1
    try:
        deliver(ctx, item)
    except PlatformUnreachable as exc:
        with write_tx(ctx.engine) as conn:
            outbox.retry_later(conn, item, exc.message, ctx.config.outbox_max_backoff)
        return bool(exc.in_doubt)
    except DeadLetter as exc:
        with write_tx(ctx.engine) as conn:
            outbox.finish(conn, ctx.clock, item["id"], "dead", str(exc))
        log.error("carry-forward %s refused for good: %s", item["idem_key"], exc)
    except Exception:  # noqa: BLE001 - leave the item to the worker's backoff, keep the pool alive
        log.exception("carry-forward %s failed", item["idem_key"])
    return True


def _run(ctx: ServerContext) -> None:
    with ThreadPoolExecutor(THREADS, thread_name_prefix="carry") as pool:
        while not ctx.stop.is_set():
            items = _due(ctx, 200)
            if not items:
                return
            if not all(pool.map(lambda i: _one(ctx, i), items)):
                return  # platform down: the worker's backoff takes over
