"""Named schema migrations, applied in order at open and recorded in ``_migrations``.

sqlite-utils' ``Migrations`` idea: each migration has a stable name; the table records which
ran and when; each runs inside one transaction with its record, so a crash leaves the schema
either before or after it. Never edit a released migration: add a new one.

Money is stored as integer fen (``*_fen`` columns) and requests as JSON text whose amounts are
Decimal strings (billing_core.envelope.dumps), never floats (DESIGN.md §6 "Offline store").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from offline_store.errors import MigrationError

if TYPE_CHECKING:
    from offline_store.db import Database

_M001 = """
CREATE TABLE kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- 应急开票基础信息: charge items, billing points, pay channels, payers, refreshed from the server.
CREATE TABLE catalog (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    refreshed_at TEXT NOT NULL,
    PRIMARY KEY (kind, code)
);
-- Emergency stock blocks handed out by the server (emergencyStockOut, spec §17).
CREATE TABLE stock_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    place_code TEXT NOT NULL,
    bill_code TEXT NOT NULL DEFAULT '',
    bill_batch_code TEXT NOT NULL,
    bgn_no INTEGER NOT NULL,
    end_no INTEGER NOT NULL,
    next_no INTEGER NOT NULL,
    width INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'returning', 'returned', 'revoked', 'exhausted')),
    received_at TEXT NOT NULL,
    return_from INTEGER,
    return_reason TEXT,
    UNIQUE (bill_batch_code, bgn_no),
    CHECK (bgn_no <= end_no),
    CHECK (next_no BETWEEN bgn_no AND end_no + 1)
);
-- Online bills this terminal issued, by busNo: local idempotency for online issuing too.
CREATE TABLE online_bills (
    bus_no TEXT PRIMARY KEY,
    method TEXT NOT NULL,
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    bill_batch_code TEXT NOT NULL,
    bill_no TEXT NOT NULL,
    total_fen INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
-- The emergency bill journal: the legal record of every number handed to a patient offline.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bus_no TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL,
    bill_type TEXT NOT NULL,
    request TEXT NOT NULL,
    place_code TEXT NOT NULL,
    block_id INTEGER NOT NULL REFERENCES stock_blocks(id),
    bill_batch_code TEXT NOT NULL,
    bill_no TEXT NOT NULL,
    random TEXT NOT NULL,
    total_fen INTEGER NOT NULL,
    issue_time TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    sign_value TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    seed TEXT,
    hash TEXT NOT NULL UNIQUE,
    in_doubt INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'issued'
        CHECK (state IN ('issued', 'uploaded', 'conflict', 'rejected')),
    result TEXT,
    uploaded_at TEXT,
    UNIQUE (bill_batch_code, bill_no)
);
-- Work for the server, written in the same transaction as the business write.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    idem_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX outbox_pending ON outbox(state, id);
-- Print jobs: what to print and whether it came out, so a dead print is resumed as a reprint.
CREATE TABLE print_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    document TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'printing', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    printed_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    printed_at TEXT
);
CREATE INDEX print_jobs_ref ON print_jobs(ref)
"""

# Limits are measured on bills waiting for upload on every issue: index the state.
_M002 = """
CREATE INDEX journal_state ON journal(state, seq)
"""

#: (name, script) in application order. Names are recorded; never rename or edit one.
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", _M001),
    ("0002_journal_state_index", _M002),
]


def apply_migrations(db: Database, migrations: list[tuple[str, str]]) -> list[str]:
    """Apply every migration not yet recorded in ``_migrations``; returns the names applied now."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {row["name"] for row in db.all("SELECT name FROM _migrations")}
    applied: list[str] = []
    for name, script in migrations:
        if name in done:
            continue
        try:
            with db.atomic():
                db.executescript(script)
                db.execute("INSERT INTO _migrations(name, applied_at) VALUES(?, ?)",
                           (name, datetime.now(UTC).isoformat()))
        except Exception as exc:
            raise MigrationError(f"本地数据库升级失败：{name}（{exc}）") from exc
        applied.append(name)
    return applied


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations recorded in the database, in order."""
    return [row["name"] for row in db.all("SELECT name FROM _migrations ORDER BY rowid")]
