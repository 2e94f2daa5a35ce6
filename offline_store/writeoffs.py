"""Write-offs (冲红) of emergency bills queued behind their upload (issue 7 §7).

A cashier may red-flush an emergency bill before the server knows it. The request is then kept
here: the journal row is marked ``writeoff = 'queued'`` and the ``writeOffEBill`` request goes
into the outbox (kind :data:`WRITEOFF_KIND`, idempotency key ``wo:<terminal>:<code>:<no>``) in
the same transaction. The bill's own upload item was written when the bill was issued, so the
write-off item always has the higher outbox id: it is delivered after the upload (the server then
queues it behind the bill's carry-forward, docs/EMERGENCY.md §8).

Marks: ``queued`` -> ``sent`` (the server accepted it, red answer still pending) -> ``done`` (red
answer recorded) | ``held`` (the bill's upload ended in a conflict or rejection: not sent, shown
for a person to decide) | ``refused`` (the server refused the write-off, with its code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offline_store import outbox
from offline_store.db import Database, from_json, to_json

WRITEOFF_KIND = "emergency_writeoff"
QUEUED, SENT, DONE, HELD, REFUSED = "queued", "sent", "done", "held", "refused"


@dataclass(frozen=True, slots=True)
class WriteOffMark:
    """The write-off state of one emergency bill."""

    seq: int
    bus_no: str
    bill_batch_code: str
    bill_no: str
    bill_state: str  # the journal state of the bill (issued / uploaded / conflict / rejected)
    state: str | None
    result: Any
    at: str | None


def writeoff_key(terminal_id: str, bill_batch_code: str, bill_no: str) -> str:
    """The write-off's idempotency key (one write-off per bill)."""
    return f"wo:{terminal_id}:{bill_batch_code}:{bill_no}"


def mark_of(db: Database, bus_no: str) -> WriteOffMark | None:
    """The write-off mark of an emergency bill (None when the busNo is not in the journal)."""
    r = db.one("SELECT seq, bus_no, bill_batch_code, bill_no, state, writeoff, writeoff_result, writeoff_at"
               " FROM journal WHERE bus_no = ?", (bus_no,))
    if r is None:
        return None
    return WriteOffMark(r["seq"], r["bus_no"], r["bill_batch_code"], r["bill_no"], r["state"], r["writeoff"],
                        from_json(r["writeoff_result"]), r["writeoff_at"])


def queue(db: Database, bus_no: str, key: str, request: dict[str, Any], at: str) -> int:
    """Mark the bill and queue its ``writeOffEBill`` request in one transaction; returns the outbox
    id. Queuing the same bill twice keeps the first request (UNIQUE idempotency key)."""
    with db.atomic():
        db.execute("UPDATE journal SET writeoff = ?, writeoff_at = ? WHERE bus_no = ? AND writeoff IS NULL",
                   (QUEUED, at, bus_no))
        return outbox.enqueue(db, WRITEOFF_KIND, bus_no, key, request, at)


def set_mark(db: Database, bus_no: str, state: str, result: Any, at: str) -> None:
    """Record a write-off outcome (answer, refusal or hold reason) on the journal row."""
    db.execute("UPDATE journal SET writeoff = ?, writeoff_result = ?, writeoff_at = ? WHERE bus_no = ?",
               (state, to_json(result), at, bus_no))


def with_state(db: Database, state: str) -> list[WriteOffMark]:
    """Bills whose write-off is in ``state``, in journal order."""
    rows = db.all("SELECT bus_no FROM journal WHERE writeoff = ? ORDER BY seq", (state,))
    return [m for m in (mark_of(db, r["bus_no"]) for r in rows) if m is not None]


def count(db: Database, state: str) -> int:
    """How many bills have their write-off in ``state``."""
    return int(db.scalar("SELECT COUNT(*) FROM journal WHERE writeoff = ?", (state,)))
