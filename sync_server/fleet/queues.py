"""The outbox as people see it: the carry-forward queue, the dead items (refused for good by the
platform, or given up) and the two actions on a dead item — **retry** (back to pending, due now,
attempts reset) and **resolve** (handled outside the system, with a reason; state ``resolved``,
never sent). Both are conditional on the item still being dead and are audited with before and
after in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update

from billing_core.clock import Clock, ts17
from sync_server.fleet.errors import OutboxItemError, ReasonRequiredError
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import outbox

_BRIEF = (outbox.c.id, outbox.c.group_key, outbox.c.kind, outbox.c.method, outbox.c.state, outbox.c.attempts,
          outbox.c.last_error, outbox.c.created_at, outbox.c.done_at, outbox.c.next_at)


def dead_count(conn: Connection) -> int:
    """How many outbox items are dead (the alert banner of every page)."""
    return int(conn.execute(select(func.count()).select_from(outbox).where(outbox.c.state == "dead")).scalar_one())


def dead_items(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Dead items, newest first."""
    return [dict(r) for r in conn.execute(select(*_BRIEF).where(outbox.c.state == "dead")
                                          .order_by(outbox.c.id.desc()).limit(limit)).mappings()]


def carry_queue(conn: Connection, limit: int = 200) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Carry-forwards still pending (oldest first) and counts of carry-forwards per state."""
    rows = [dict(r) for r in conn.execute(select(*_BRIEF).where(and_(outbox.c.kind == "carry_forward",
                                                                      outbox.c.state == "pending"))
                                          .order_by(outbox.c.id).limit(limit)).mappings()]
    counts = {state: int(n) for state, n in conn.execute(
        select(outbox.c.state, func.count()).where(outbox.c.kind == "carry_forward").group_by(outbox.c.state))}
    return rows, counts


def _dead(conn: Connection, item_id: int) -> dict[str, Any]:
    row = conn.execute(select(*_BRIEF).where(outbox.c.id == item_id)).mappings().first()
    if row is None or row["state"] != "dead":
        raise OutboxItemError(f"外发任务{item_id}不存在或不是失败（死信）状态")
    return dict(row)


def retry(engine: Engine, clock: Clock, who: Actor, item_id: int) -> None:
    """Send a dead item again: pending, due at once, attempts from zero (the worker takes it)."""
    with write_tx(engine) as conn:
        row = _dead(conn, item_id)
        changed = conn.execute(update(outbox).where(and_(outbox.c.id == item_id, outbox.c.state == "dead"))
                               .values(state="pending", next_at=0.0, attempts=0, done_at=None)).rowcount
        if changed != 1:
            raise OutboxItemError(f"外发任务{item_id}不存在或不是失败（死信）状态")
        audit(conn, clock, who, "outbox_retry", "outbox", item_id,
              {"state": "dead", "attempts": row["attempts"], "lastError": row["last_error"]},
              {"state": "pending", "method": row["method"], "group": row["group_key"]})


def resolve(engine: Engine, clock: Clock, who: Actor, item_id: int, reason: str) -> None:
    """Mark a dead item handled by hand (never sent again), with the reason."""
    reason = reason.strip()[:200]
    if not reason:
        raise ReasonRequiredError("手工处理原因（reason）必填")
    with write_tx(engine) as conn:
        row = _dead(conn, item_id)
        note = json.dumps({"resolvedBy": who.actor, "reason": reason, "lastError": row["last_error"]},
                          ensure_ascii=False)[:500]
        changed = conn.execute(update(outbox).where(and_(outbox.c.id == item_id, outbox.c.state == "dead"))
                               .values(state="resolved", done_at=ts17(clock.now()), last_error=note)).rowcount
        if changed != 1:
            raise OutboxItemError(f"外发任务{item_id}不存在或不是失败（死信）状态")
        audit(conn, clock, who, "outbox_resolve", "outbox", item_id,
              {"state": "dead", "lastError": row["last_error"]}, {"state": "resolved", "reason": reason})


def dead_total(engine: Engine) -> int:
    """:func:`dead_count` in its own read transaction."""
    with read_tx(engine) as conn:
        return dead_count(conn)
