"""Audit rows: who (user or caller), which caller/terminal, when, what, before and after.

Written through the same connection as the change, so both commit or neither does; the
store's audit guard (store/db.py) refuses to commit an audited change without one.

Tamper-evident (issue 14): every row carries ``prev_hash`` and its SM3 ``row_hash``
(store/audit_hash.py), computed in the writing transaction from the chain head row
(the ``settings`` row AUDIT_HEAD), which is read ``FOR UPDATE`` on PostgreSQL so that appends of several server
processes are serialised; on SQLite the writer lock (``BEGIN IMMEDIATE``) does the same.
:func:`verify_chain` walks the chain (``python -m sync_server admin audit verify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps
from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.schema import AUDIT_HEAD, audit_log, settings


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: ``actor`` is a user name, the caller appid, or ``server`` for background work."""

    actor: str
    caller: str | None = None
    terminal: str | None = None


SERVER = Actor("server")


# Built once and executed with parameters: cheaper than .values(...) on every call (hot path).
_INSERT = insert(audit_log)
_HEAD = select(settings.c.value).where(settings.c.name == AUDIT_HEAD)
#: (read head, move head) per dialect: [SQLite (qmark), PostgreSQL (format, row locked)]
_RAW = (
    ("SELECT value FROM settings WHERE name = ?", "UPDATE settings SET value = ? WHERE name = ?"),
    ("SELECT value FROM settings WHERE name = %s FOR UPDATE", "UPDATE settings SET value = %s WHERE name = %s"),
)


def _chain(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Link ``rows`` onto the chain head (locked until commit on PostgreSQL) and move the head.

    Read each time rather than cached per transaction: a savepoint that rolls back an audit row
    also rolls back the head, and a cached head would then fork the chain.
    """
    read, write = _RAW[conn.dialect.name == "postgresql"]
    # driver-level SQL: two statements per audited transaction, on the hot path of every bill
    head = conn.exec_driver_sql(read, (AUDIT_HEAD,)).scalar()
    if head is None:  # a database made by create_all without migration 0007's head row
        conn.execute(insert(settings).values(name=AUDIT_HEAD, value=GENESIS))
        head = GENESIS
    for row in rows:
        row["prev_hash"] = head
        head = row["row_hash"] = row_digest(head, row)
    conn.exec_driver_sql(write, (head, AUDIT_HEAD))


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
    row = audit_row(ts17(clock.now()), who, action, entity, entity_id, before, after)
    _chain(conn, [row])
    conn.execute(_INSERT, row)


def audit_many(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write rows made by :func:`audit_row` with one multi-row INSERT in the caller's transaction."""
    if rows:
        _chain(conn, rows)
        conn.execute(_INSERT, rows)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of :func:`verify_chain`: rows checked, and the first broken row (id, reason)."""

    rows: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when every row links to the one before and its hash matches its content."""
        return self.broken_id is None


def verify_chain(conn: Connection, batch: int = 5000) -> ChainReport:
    """Walk the audit log in id order; the first row whose ``prev_hash`` does not name the row
    before, or whose ``row_hash`` does not match its content, is broken. A head that is not the
    last row's hash means rows were removed from the end."""
    prev, last_id, count, seen = GENESIS, 0, 0, 0
    while True:
        rows = conn.execute(select(audit_log).where(audit_log.c.id > last_id).order_by(audit_log.c.id)
                            .limit(batch)).mappings().all()
        for row in rows:
            count += 1
            if row["prev_hash"] != prev:
                return ChainReport(count, row["id"], "prev_hash 与上一行的 row_hash 不符（行被删除、插入或改动）")
            if row["row_hash"] != row_digest(prev, row):
                return ChainReport(count, row["id"], "row_hash 与本行内容不符（行被改动）")
            prev, seen = row["row_hash"], row["id"]
        if len(rows) < batch:
            break
        last_id = rows[-1]["id"]
    head = conn.execute(_HEAD).scalar()
    if (head or GENESIS) != prev:
        return ChainReport(count, seen, "链头与最后一行不符（末尾的审计行被删除）")
    return ChainReport(count)
