"""The outbox: work for the server, written in the same transaction as the business write.

Every entry has an idempotency key (UNIQUE here, and sent to the server, which is UNIQUE on it
too), so a re-send after a cut link is answered "already have it" instead of doing it twice
(offline_rules.md §6.6; Odoo #40567). Entries are delivered in id order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from offline_store.db import Database, from_json, to_json


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One unit of work for the server."""

    id: int
    kind: str
    ref: str
    idem_key: str
    payload: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None


def _item(r: sqlite3.Row) -> OutboxItem:
    return OutboxItem(r["id"], r["kind"], r["ref"], r["idem_key"], from_json(r["payload"]), r["state"],
                      r["attempts"], r["last_error"])


def enqueue(db: Database, kind: str, ref: str, idem_key: str, payload: dict[str, Any], at: str) -> int:
    """Queue work; enqueuing the same idempotency key twice keeps the first entry."""
    db.execute("INSERT INTO outbox(kind, ref, idem_key, payload, created_at) VALUES(?, ?, ?, ?, ?)"
               " ON CONFLICT(idem_key) DO NOTHING", (kind, ref, idem_key, to_json(payload), at))
    value = db.scalar("SELECT id FROM outbox WHERE idem_key = ?", (idem_key,))
    return int(value)


def pending(db: Database, kind: str | None = None, limit: int = -1) -> list[OutboxItem]:
    """Undelivered entries in delivery order."""
    if kind is None:
        rows = db.all("SELECT * FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?", (limit,))
    else:
        rows = db.all("SELECT * FROM outbox WHERE state = 'pending' AND kind = ? ORDER BY id LIMIT ?",
                      (kind, limit))
    return [_item(r) for r in rows]


def latest(db: Database, kind: str, ref: str) -> OutboxItem | None:
    """The newest entry of ``kind`` for ``ref`` in any state (e.g. the write-off request of a bill)."""
    row = db.one("SELECT * FROM outbox WHERE kind = ? AND ref = ? ORDER BY id DESC LIMIT 1", (kind, ref))
    return None if row is None else _item(row)


def count_pending(db: Database, kind: str | None = None) -> int:
    """How many entries wait for delivery."""
    if kind is None:
        return int(db.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending'"))
    return int(db.scalar("SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind = ?", (kind,)))


def mark_done(db: Database, item_id: int, at: str) -> None:
    """The server acknowledged the entry."""
    db.execute("UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1 WHERE id = ?", (at, item_id))


def mark_failed(db: Database, item_id: int, error: str, at: str) -> None:
    """The server refused the entry for good (shown to a person, never retried silently)."""
    db.execute("UPDATE outbox SET state = 'failed', last_error = ?, done_at = ?, attempts = attempts + 1"
               " WHERE id = ?", (error, at, item_id))


def note_attempt(db: Database, item_id: int, error: str) -> None:
    """A delivery attempt failed transiently (link down); the entry stays pending."""
    db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", (error, item_id))
