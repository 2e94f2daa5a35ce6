"""The HIS simulator's state: one SQLite file (``his.sqlite3``) in its data directory.

Money is stored as integer fen; CHECK constraints make the database itself refuse a negative
prepayment balance, deposit or slot count, so no code path can overdraw an account. Every write
runs in ``BEGIN IMMEDIATE`` (one writer at a time: a settlement reads a balance and debits it
without a race). A restart on the same directory keeps everything; the schema version is recorded
in ``meta``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS patients (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, sex TEXT NOT NULL CHECK (sex IN ('男', '女')),
    birth TEXT NOT NULL, id_no TEXT NOT NULL UNIQUE, phone TEXT NOT NULL,
    ss_card TEXT UNIQUE, hospital_card TEXT UNIQUE, evoucher TEXT UNIQUE, address TEXT NOT NULL DEFAULT '',
    prepay_fen INTEGER NOT NULL DEFAULT 0 CHECK (prepay_fen >= 0), created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS departments (code TEXT PRIMARY KEY, name TEXT NOT NULL, location TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doctors (
    code TEXT PRIMARY KEY, dept_code TEXT NOT NULL REFERENCES departments(code), name TEXT NOT NULL,
    title TEXT NOT NULL, expert INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS slots (
    id INTEGER PRIMARY KEY, dept_code TEXT NOT NULL, doctor_code TEXT NOT NULL DEFAULT '', day TEXT NOT NULL,
    period TEXT NOT NULL, type TEXT NOT NULL CHECK (type IN ('普通', '专家', '急诊')),
    total INTEGER NOT NULL, remaining INTEGER NOT NULL CHECK (remaining >= 0 AND remaining <= total),
    UNIQUE (dept_code, doctor_code, day, period, type));
CREATE TABLE IF NOT EXISTS appointments (
    id INTEGER PRIMARY KEY, no TEXT UNIQUE, patient_id TEXT NOT NULL, slot_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    queue_no INTEGER, settlement_no TEXT, created_at TEXT NOT NULL, checked_in_at TEXT, cancelled_at TEXT);
CREATE TABLE IF NOT EXISTS charges (
    id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('prescription', 'exam')),
    title TEXT NOT NULL, dept_code TEXT NOT NULL, doctor_name TEXT NOT NULL, created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'settled', 'refunded')), settlement_no TEXT);
CREATE TABLE IF NOT EXISTS charge_lines (
    id INTEGER PRIMARY KEY, charge_id TEXT NOT NULL, line_no INTEGER NOT NULL, code TEXT NOT NULL,
    name TEXT NOT NULL, spec TEXT NOT NULL, unit TEXT NOT NULL, price_fen INTEGER NOT NULL CHECK (price_fen > 0),
    qty INTEGER NOT NULL CHECK (qty > 0), charge_code TEXT NOT NULL, charge_name TEXT NOT NULL,
    list_type TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inpatients (
    admission_no TEXT PRIMARY KEY, patient_id TEXT NOT NULL, dept_code TEXT NOT NULL, ward TEXT NOT NULL,
    bed TEXT NOT NULL, admitted_on TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('in', 'discharged')),
    deposit_fen INTEGER NOT NULL DEFAULT 0 CHECK (deposit_fen >= 0), discharged_on TEXT, settlement_no TEXT);
CREATE TABLE IF NOT EXISTS daily_fees (
    id INTEGER PRIMARY KEY, admission_no TEXT NOT NULL, day TEXT NOT NULL, code TEXT NOT NULL,
    name TEXT NOT NULL, spec TEXT NOT NULL, unit TEXT NOT NULL, price_fen INTEGER NOT NULL, qty INTEGER NOT NULL,
    charge_code TEXT NOT NULL, charge_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settlements (
    seq INTEGER PRIMARY KEY, no TEXT UNIQUE, kind TEXT NOT NULL, patient_id TEXT NOT NULL,
    admission_no TEXT, amount_fen INTEGER NOT NULL, pay_method TEXT NOT NULL, pay_channel TEXT NOT NULL,
    pay_ref TEXT NOT NULL, prepay_part_fen INTEGER NOT NULL DEFAULT 0, deposit_part_fen INTEGER NOT NULL DEFAULT 0,
    external_part_fen INTEGER NOT NULL DEFAULT 0, refund_due_fen INTEGER NOT NULL DEFAULT 0,
    insurance_part_fen INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('settled', 'reversed', 'reversal')),
    reversal_of TEXT, reversed_by TEXT, reason TEXT NOT NULL DEFAULT '', issuer TEXT NOT NULL,
    items_json TEXT NOT NULL, ebill_method TEXT, ebill_request_json TEXT,
    ebill_status TEXT NOT NULL DEFAULT 'none', ebill_json TEXT, appid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    appid TEXT NOT NULL, request_id TEXT NOT NULL, operation TEXT NOT NULL, body_hash TEXT NOT NULL,
    code TEXT NOT NULL, msg TEXT NOT NULL, answer_json TEXT, settlements_json TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, PRIMARY KEY (appid, request_id));
CREATE TABLE IF NOT EXISTS nonces (appid TEXT NOT NULL, nonce TEXT NOT NULL, ts INTEGER NOT NULL,
    PRIMARY KEY (appid, nonce));
CREATE INDEX IF NOT EXISTS slots_day ON slots (day, dept_code);
CREATE INDEX IF NOT EXISTS settlements_patient ON settlements (patient_id, seq);
CREATE INDEX IF NOT EXISTS charges_patient ON charges (patient_id, status);
CREATE INDEX IF NOT EXISTS fees_day ON daily_fees (admission_no, day);
"""


class Store:
    """Connections to the simulator's database (one per call; SQLite serialises the writers)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "his.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.tx() as db:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            # a data directory from before insured discharges (issue 17) gains the column
            if "insurance_part_fen" not in {r[1] for r in db.execute("PRAGMA table_info(settlements)")}:
                db.execute("ALTER TABLE settlements ADD COLUMN insurance_part_fen INTEGER NOT NULL DEFAULT 0")
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def connect(self) -> sqlite3.Connection:
        """A new autocommit connection with row access by name."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on error."""
        db = self.connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection (WAL: readers never wait for the writer)."""
        db = self.connect()
        try:
            yield db
        finally:
            db.close()

    def meta(self, key: str, default: str | None = None) -> str | None:
        """A value of the ``meta`` table."""
        with self.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row["value"]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the ``meta`` table."""
        with self.tx() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                       (key, value, value))


def loads(text: str | None) -> Any:
    """JSON column -> value (None stays None)."""
    return None if text is None else json.loads(text)


def dumps(value: Any) -> str:
    """Value -> compact JSON column (Chinese kept as is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
