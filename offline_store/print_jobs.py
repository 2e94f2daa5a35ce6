"""Print jobs: the document to print and whether it came out.

A job is written in the same transaction as the bill it prints (write before print). The
printer is driven only after the commit: ``pending`` -> ``printing`` (committed before the first
byte goes out) -> ``done`` | ``failed``. A job found ``printing`` or ``failed`` after a restart
may or may not have come out, so it is printed again marked as a reprint (补打).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from offline_store.db import Database, from_json, to_json
from offline_store.errors import NotFoundError

UNFINISHED = ("pending", "printing", "failed")


@dataclass(frozen=True, slots=True)
class PrintJobRecord:
    """A stored print job. ``document`` holds what the template needs to rebuild the job."""

    id: int
    kind: str
    ref: str
    document: dict[str, Any]
    state: str
    attempts: int
    printed_count: int
    last_error: str | None


def _job(r: sqlite3.Row) -> PrintJobRecord:
    return PrintJobRecord(r["id"], r["kind"], r["ref"], from_json(r["document"]), r["state"], r["attempts"],
                          r["printed_count"], r["last_error"])


def create(db: Database, kind: str, ref: str, document: dict[str, Any], at: str) -> int:
    """Record a job to print (inside the bill's transaction)."""
    cur = db.execute("INSERT INTO print_jobs(kind, ref, document, created_at) VALUES(?, ?, ?, ?)",
                     (kind, ref, to_json(document), at))
    assert cur.lastrowid is not None
    return cur.lastrowid


def get(db: Database, job_id: int) -> PrintJobRecord:
    """One job by id."""
    row = db.one("SELECT * FROM print_jobs WHERE id = ?", (job_id,))
    if row is None:
        raise NotFoundError(f"打印任务不存在：{job_id}")
    return _job(row)


def for_ref(db: Database, ref: str) -> list[PrintJobRecord]:
    """Jobs of one bill (by busNo), oldest first."""
    return [_job(r) for r in db.all("SELECT * FROM print_jobs WHERE ref = ? ORDER BY id", (ref,))]


def unfinished(db: Database) -> list[PrintJobRecord]:
    """Jobs not known to have printed, oldest first."""
    return [_job(r) for r in db.all("SELECT * FROM print_jobs WHERE state IN ('pending', 'printing', 'failed')"
                                    " ORDER BY id")]


def mark_printing(db: Database, job_id: int) -> None:
    """About to send bytes to the printer (committed first, so a crash shows up as 'printing')."""
    db.execute("UPDATE print_jobs SET state = 'printing', attempts = attempts + 1 WHERE id = ?", (job_id,))


def mark_done(db: Database, job_id: int, at: str) -> None:
    """The printer took the whole job."""
    db.execute("UPDATE print_jobs SET state = 'done', printed_at = ?, printed_count = printed_count + 1,"
               " last_error = NULL WHERE id = ?", (at, job_id))


def mark_failed(db: Database, job_id: int, error: str) -> None:
    """The printer failed (paper out, offline ...); the job waits for a reprint."""
    db.execute("UPDATE print_jobs SET state = 'failed', last_error = ? WHERE id = ?", (error, job_id))


def reopen(db: Database, job_id: int) -> None:
    """Ask for another copy of a printed job (a reprint requested by a person)."""
    db.execute("UPDATE print_jobs SET state = 'pending' WHERE id = ?", (job_id,))
