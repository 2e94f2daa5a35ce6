"""The outbox: work for the platform written in the same transaction as the business change.

Items are delivered in id order within their ``group_key`` (the busNo of the bill they concern),
so a write-off queued after an emergency bill waits for that bill's carry-forward. Each item has
a unique idempotency key, sent with the delivery; a delivery is claimed by moving ``next_at``
forward (a lease), so a second worker or a restarted process never sends the same item twice at
the same time, and handlers check the platform's state before re-sending a change that may have
been applied (issue 4 §6).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps
from sync_server.store.db import inserted_id
from sync_server.store.schema import outbox

LEASE_SECONDS = 10.0
MAX_BACKOFF = 30.0
# Every kind of item: carry-forwards (uploadEmergencyEBill, sent by the carry pool), state changes
# (write-offs, paper actions... in order behind their bill), notices (sendBillNotice), and the
# insurance settlement vouchers (4901 / 4905 to the voucher centre, sync_server/insurance/vouchers.py).
KINDS = ("carry_forward", "change", "notice", "ins_voucher")


def epoch(clock: Clock) -> float:
    """The outbox's time (``next_at``, leases, backoff): epoch seconds of the context's clock.

    Wall-clock, not monotonic, because the rows are shared between processes (a server and a
    separate ``python -m sync_server worker``; a restarted process), which a monotonic reading is
    not; from the context's clock, so one clock rules business time and scheduling alike.
    """
    return clock.now().timestamp()


class DeadLetter(Exception):
    """The platform refused the item for good; it is kept with the reason, not retried."""


def enqueue(conn: Connection, clock: Clock, *, group: str, kind: str, method: str, payload: dict[str, Any],
            idem_key: str) -> int:
    """Queue one delivery in the caller's transaction; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")  # the worker and pool would never send it
    return inserted_id(conn.execute(insert(outbox).values(
        group_key=group, kind=kind, method=method, payload_json=dumps(payload), idem_key=idem_key,
        state="pending", attempts=0, next_at=0.0, created_at=ts17(clock.now()))))


def has_pending(conn: Connection, group: str) -> bool:
    """True when the group (busNo) still has undelivered items (later changes must queue behind)."""
    return conn.execute(select(func.count()).select_from(outbox).where(
        and_(outbox.c.group_key == group, outbox.c.state == "pending"))).scalar_one() > 0


def due(conn: Connection, now: float, limit: int = 100,
        kinds: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The head item of each group whose time has come, oldest first (at most ``limit``).

    ``kinds``: only heads of these kinds (the carry pool takes ``carry_forward``, the worker
    the rest); an item of another kind still holds back the later items of its group.

    Pending items are read in id order a page at a time (indexes ``ix_outbox_state_id`` and
    ``ix_outbox_state_kind_id``, migration 0004), ids and groups only, and an item is kept when
    no older item of its group is still pending; full rows are read for the kept ones. The cost
    follows ``limit``, not the length of the queue (a GROUP BY over every pending row took
    ~20 ms with 10,000 carry-forwards queued, several times a second).
    """
    heads_found: list[int] = []
    after = 0
    page = max(2 * limit, 50)
    where = [outbox.c.state == "pending", outbox.c.next_at <= now]
    if kinds is not None:
        where.append(outbox.c.kind.in_(sorted(kinds)))
    while len(heads_found) < limit:
        rows = conn.execute(select(outbox.c.id, outbox.c.group_key).where(and_(*where, outbox.c.id > after))
                            .order_by(outbox.c.id).limit(page)).all()
        if not rows:
            break
        groups = sorted({g for _, g in rows})
        heads = dict(conn.execute(select(outbox.c.group_key, func.min(outbox.c.id)).where(and_(
            outbox.c.state == "pending", outbox.c.group_key.in_(groups))).group_by(outbox.c.group_key)).all())
        heads_found.extend(i for i, g in rows if heads.get(g) == i)
        if len(rows) < page:
            break
        after = rows[-1][0]
    if not heads_found:
        return []
    wanted = heads_found[:limit]
    found = {r["id"]: dict(r) for r in conn.execute(select(outbox).where(outbox.c.id.in_(wanted))).mappings()}
    return [found[i] for i in wanted if i in found]


def claim(conn: Connection, item: dict[str, Any], now: float) -> bool:
    """Take the lease on an item; False when another worker took it first."""
    res = conn.execute(update(outbox).where(and_(outbox.c.id == item["id"], outbox.c.state == "pending",
                                                 outbox.c.next_at == item["next_at"]))
                       .values(next_at=now + LEASE_SECONDS, attempts=outbox.c.attempts + 1))
    return res.rowcount == 1


def claim_many(conn: Connection, items: list[dict[str, Any]], now: float) -> set[int]:
    """Take the lease on every item still pending and due, in one statement; the ids taken.

    The same lease as :func:`claim` (an item leased by someone else has ``next_at`` in the future,
    one finished is no longer pending); one UPDATE ... RETURNING instead of a statement per item.
    """
    if not items:
        return set()
    res = conn.execute(update(outbox).where(and_(outbox.c.id.in_([i["id"] for i in items]),
                                                 outbox.c.state == "pending", outbox.c.next_at <= now))
                       .values(next_at=now + LEASE_SECONDS, attempts=outbox.c.attempts + 1)
                       .returning(outbox.c.id))
    return {int(r[0]) for r in res}


def finish(conn: Connection, clock: Clock, item_id: int, state: str = "done", error: str | None = None) -> None:
    """Mark an item delivered (``done``) or given up (``dead``, with the reason kept)."""
    conn.execute(update(outbox).where(outbox.c.id == item_id)
                 .values(state=state, done_at=ts17(clock.now()), last_error=error))


def retry_later(conn: Connection, item: dict[str, Any], error: str, max_backoff: float = MAX_BACKOFF, *,
                now: float | None = None) -> None:
    """Back off exponentially (0.5 s, 1 s, 2 s ... capped) before the next attempt.

    :param now: :func:`epoch` of the caller's clock (the server passes its context's); the
        system clock when not given (tools and tests without a context).
    """
    delay = min(max_backoff, 0.5 * (2 ** min(int(item["attempts"]), 8)))
    start = time.time() if now is None else now
    conn.execute(update(outbox).where(outbox.c.id == item["id"])
                 .values(next_at=start + delay, last_error=error[:500]))


def release_leases(conn: Connection) -> None:
    """After a restart: make every pending item due again (its previous lease died with the process)."""
    conn.execute(update(outbox).where(outbox.c.state == "pending").values(next_at=0.0))


def counts(conn: Connection) -> dict[str, int]:
    """Items per state (health endpoint, tests)."""
    rows = conn.execute(select(outbox.c.state, func.count()).group_by(outbox.c.state)).all()
    return {state: int(n) for state, n in rows}
