"""Audit rows: who (user or caller), which caller/terminal, when, what, before and after.

Written through the same connection as the change, so both commit or neither does; the
store's audit guard (store/db.py) refuses to commit an audited change without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert

from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps
from sync_server.store.schema import audit_log


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``actor`` is a user name, the caller appid, or ``server`` for background work."""

    actor: str
    caller: str | None = None
    terminal: str | None = None


SERVER = Actor("server")


# Built once and executed with parameters: cheaper than .values(...) on every call (hot path).
_INSERT = insert(audit_log)


def audit_row(at: str, who: Actor, action: str, entity: str, entity_id: object,
              before: Any = None, after: Any = None) -> dict[str, Any]:
    """One ``audit_log`` row (the one builder for :func:`audit` and bulk writers, issue 13 §4).

    :param at: the time stamp (ts17) — bulk writers stamp a whole batch with one.
    """
    return {
        "at": at, "actor": who.actor, "caller": who.caller, "terminal": who.terminal,
        "action": action, "entity": entity, "entity_id": None if entity_id is None else str(entity_id),
        "before_json": None if before is None else dumps(before),
        "after_json": None if after is None else dumps(after),
    }


def audit(conn: Connection, clock: Clock, who: Actor, action: str, entity: str, entity_id: object,
          before: Any = None, after: Any = None) -> None:
    """Write one audit row in the caller's transaction."""
    conn.execute(_INSERT, audit_row(ts17(clock.now()), who, action, entity, entity_id, before, after))


def audit_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write rows made by :func:`audit_row` with one multi-row INSERT in the caller's transaction."""
    if rows:
        conn.execute(_INSERT, rows)
