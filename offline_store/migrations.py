"""Named schema migrations (sqlite-utils ``Migrations``, set ``offline_store``), applied in order
when the store is opened and recorded in ``_sqlite_migrations``.

Each migration runs inside one transaction with its record, so a crash leaves the schema either
before or after it. Never edit or rename a released migration: add a new one.

Money is stored as integer fen (``*_fen`` columns) and requests as JSON text whose amounts are
Decimal strings (billing_core.envelope.dumps), never floats (DESIGN.md §6 "Offline store").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import sqlite_utils
from sqlite_utils.migrations import Migrations

from offline_store.errors import MigrationError


class Database(Protocol):
    """What migrations need of :class:`offline_store.db.Database` (which runs them when it opens:
    a protocol here instead of an import keeps the two modules free of a cycle)."""

    utils: sqlite_utils.Database
    _lock: threading.RLock

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

# Issue 7 §7: a write-off (冲红) of an emergency bill the server does not hold yet is queued on
# the terminal behind the bill's upload. The mark lives on the journal row (the window shows it);
# the request itself is an outbox item (kind ``emergency_writeoff``) written in the same transaction.
# writeoff: NULL (none) | queued | sent (the server holds it, red answer pending) | done | held
# (the bill's upload ended in a conflict / rejection: a person decides) | refused.
_M003 = """
ALTER TABLE journal ADD COLUMN writeoff TEXT
    CHECK (writeoff IS NULL OR writeoff IN ('queued', 'sent', 'done', 'held', 'refused'));
ALTER TABLE journal ADD COLUMN writeoff_result TEXT;
ALTER TABLE journal ADD COLUMN writeoff_at TEXT
"""

# Issue 15 §4: the kiosk's money path. An order is written before the payment call and its state
# only moves forward (workflows.kiosk.checkout); the log keeps every move for recovery and audit.
# Amounts are fen; params/settlements/bills/result are JSON text. Survey answers stay local until
# the control centre collects them.
_M004 = """
CREATE TABLE kiosk_orders (
    order_no TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    subject TEXT NOT NULL,
    operation TEXT NOT NULL,
    params TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
    pay_method TEXT NOT NULL CHECK (pay_method IN ('prepayment', 'qr', 'code', 'cash', 'none')),
    pay_channel TEXT NOT NULL DEFAULT '',
    transaction_id TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'created'
        CHECK (state IN ('created', 'paid', 'settled', 'billed', 'printed', 'refunding', 'refunded', 'failed')),
    settlements TEXT NOT NULL DEFAULT '[]',
    bills TEXT NOT NULL DEFAULT '[]',
    refund_no TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{}',
    day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX kiosk_orders_state ON kiosk_orders(state);
CREATE INDEX kiosk_orders_day ON kiosk_orders(day);
CREATE TABLE kiosk_order_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no TEXT NOT NULL REFERENCES kiosk_orders(order_no),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE TABLE kiosk_survey (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answers TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
)
"""

# Issue 16 §4: the insured settlement flow (workflows.insurance.flow). An order is written before
# the first call and every step (cash paid, settled, billed, voucher queued, each cancel step) is
# recorded before the next one, so a crash resumes instead of charging or settling twice. Amounts
# in fen; params / bill / steps are JSON text.
_M005 = """
CREATE TABLE ins_orders (
    order_no TEXT PRIMARY KEY,
    desk TEXT NOT NULL,
    visit TEXT NOT NULL CHECK (visit IN ('outpatient', 'inpatient')),
    psn_no TEXT NOT NULL,
    params TEXT NOT NULL,
    settlement_id INTEGER,
    medfee_fen INTEGER NOT NULL DEFAULT 0 CHECK (medfee_fen >= 0),
    fund_fen INTEGER NOT NULL DEFAULT 0,
    account_fen INTEGER NOT NULL DEFAULT 0 CHECK (account_fen >= 0),
    cash_fen INTEGER NOT NULL DEFAULT 0 CHECK (cash_fen >= 0),
    cash_channel TEXT NOT NULL DEFAULT '',
    cash_trade_no TEXT NOT NULL DEFAULT '',
    setl_id TEXT NOT NULL DEFAULT '',
    bus_no TEXT NOT NULL,
    bill TEXT NOT NULL DEFAULT '{}',
    voucher TEXT NOT NULL DEFAULT '',
    steps TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'created'
        CHECK (state IN ('created', 'registered', 'pre_settled', 'paying', 'paid', 'settling', 'settled',
                         'billed', 'done', 'refunding', 'abandoned', 'cancelling', 'cancelled')),
    message TEXT NOT NULL DEFAULT '',
    day TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ins_orders_state ON ins_orders(state);
CREATE INDEX ins_orders_day ON ins_orders(day);
CREATE UNIQUE INDEX ins_orders_bus_no ON ins_orders(bus_no);
CREATE TABLE ins_order_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no TEXT NOT NULL REFERENCES ins_orders(order_no),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
)
"""

#: (name, script) in application order. Names are recorded; never rename or edit one.
SCRIPTS: list[tuple[str, str]] = [
    ("0001_initial", _M001),
    ("0002_journal_state_index", _M002),
    ("0003_journal_writeoff_queue", _M003),
    ("0004_kiosk_orders", _M004),
    ("0005_ins_orders", _M005),
]


def _statements(sql: str) -> list[str]:
    # Statement by statement: sqlite3's executescript() would COMMIT the migration's transaction.
    return [part.strip() for part in sql.split(";") if part.strip()]


def _migration(script: str) -> Callable[[sqlite_utils.Database], None]:
    def run(db: sqlite_utils.Database) -> None:
        for statement in _statements(script):
            db.execute(statement)
    return run


MIGRATIONS = Migrations("offline_store")
for _name, _script in SCRIPTS:
    MIGRATIONS(name=_name)(_migration(_script))


#: The table the first released stores (before sqlite-utils, Nov 2026) recorded their migrations in.
LEGACY_TABLE = "_migrations"


def adopt_legacy_records(db: Database, migrations: Migrations = MIGRATIONS) -> list[str]:
    """Copy the migrations a store of the first releases recorded in ``_migrations`` into
    ``_sqlite_migrations``; returns the names adopted.

    Those stores hold the same named migrations (``0001_initial``, ``0002_journal_state_index``,
    unchanged since), only recorded in their own table: without this, opening one re-ran
    ``0001_initial`` over its tables and failed (tests/integration/upgrade). The legacy table is
    kept (a rollback to such a version still finds its records).
    """
    utils = db.utils
    if not utils[LEGACY_TABLE].exists():
        return []
    known = {m.name for m in migrations.pending(utils)}
    legacy = [str(r[0]) for r in utils.execute(f"SELECT name FROM {LEGACY_TABLE} ORDER BY rowid").fetchall()]
    adopt = [name for name in legacy if name in known]
    if not adopt:
        return []
    with db._lock, utils.atomic():
        migrations.ensure_migrations_table(utils)
        for name in adopt:
            utils[migrations.migrations_table].insert(  # type: ignore[union-attr]
                {"migration_set": migrations.name, "name": name, "applied_at": "adopted from _migrations"})
    return adopt


def apply_migrations(db: Database, migrations: Migrations = MIGRATIONS,
                     stop_before: str | None = None) -> list[str]:
    """Apply every pending migration; returns the names applied now.

    Records of a first-release store are adopted first (:func:`adopt_legacy_records`).

    :param stop_before: leave this migration and later ones pending (upgrade tests).
    """
    if migrations is MIGRATIONS:
        try:
            adopt_legacy_records(db, migrations)
        except Exception as exc:
            raise MigrationError(f"本地数据库升级失败（{exc}）") from exc
    names = [m.name for m in migrations.pending(db.utils)]
    if stop_before in names:
        names = names[: names.index(stop_before)]
    try:
        with db._lock:
            migrations.apply(db.utils, stop_before=stop_before)
    except Exception as exc:
        raise MigrationError(f"本地数据库升级失败（{exc}）") from exc
    return names


def applied_migrations(db: Database) -> list[str]:
    """Names of the migrations recorded in the database, in order."""
    return [m.name for m in MIGRATIONS.applied(db.utils)]
