"""The payment simulator's own SQLite database (stdlib sqlite3) and its first-start demo seed.

One connection behind one lock: each request is one serialised transaction, which is what makes
"same out_trade_no -> the same order" and "never refund more than was paid" race-free. Times are
stored as epoch seconds of the simulator's clock (so a test's manual clock drives expiry and late
success); amounts are integer fen.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS merchants (
    mch_id TEXT PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL,
    -- fee rates in parts per million of the amount, per channel (0.6 % = 6000)
    fee_wechat INTEGER NOT NULL, fee_alipay INTEGER NOT NULL, fee_unionpay INTEGER NOT NULL);
-- trade_type NATIVE (主扫: the patient scans code_url) | MICROPAY (被扫: the kiosk scans auth_code).
-- state NOTPAY | USERPAYING | SUCCESS | CLOSED | PAYERROR | REVOKED | REFUND.
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, mch_id TEXT NOT NULL, out_trade_no TEXT NOT NULL, trade_type TEXT NOT NULL,
    channel TEXT NOT NULL, pay_channel TEXT NOT NULL DEFAULT '', total_fee INTEGER NOT NULL,
    body TEXT NOT NULL, notify_url TEXT NOT NULL DEFAULT '', state TEXT NOT NULL,
    transaction_id TEXT NOT NULL DEFAULT '', auth_code TEXT NOT NULL DEFAULT '', code_url TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL, expire_at REAL NOT NULL, paid_at REAL, closed_at REAL,
    pay_at REAL, pay_after_queries INTEGER, queries INTEGER NOT NULL DEFAULT 0,
    plan_json TEXT NOT NULL DEFAULT '{}', err_code TEXT NOT NULL DEFAULT '', err_msg TEXT NOT NULL DEFAULT '',
    channel_err_code TEXT NOT NULL DEFAULT '', payer TEXT NOT NULL DEFAULT '',
    UNIQUE (mch_id, out_trade_no));
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY, mch_id TEXT NOT NULL, order_id INTEGER NOT NULL, out_refund_no TEXT NOT NULL,
    refund_id TEXT NOT NULL, refund_fee INTEGER NOT NULL, reason TEXT NOT NULL, state TEXT NOT NULL,
    created REAL NOT NULL, success_at REAL, UNIQUE (mch_id, out_refund_no));
-- asynchronous payment notifications: POSTed (signed) to the order's notify_url until answered SUCCESS
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, url TEXT NOT NULL, payload_json TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending',
    delivered_at REAL, last_error TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS nonces (
    mch_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (mch_id, nonce));
CREATE TABLE IF NOT EXISTS faces (
    phone TEXT PRIMARY KEY, name TEXT NOT NULL, id_card_no TEXT NOT NULL, patient_id TEXT NOT NULL,
    embedding BLOB NOT NULL, enrolled_at REAL NOT NULL);
-- fault knobs: 'next' (the next order's plan), 'refund_fail', 'down', 'notify_retry' ...
CREATE TABLE IF NOT EXISTS knobs (name TEXT PRIMARY KEY, value_json TEXT NOT NULL);
-- plans set for one out_trade_no before (or after) its order is created
CREATE TABLE IF NOT EXISTS plans (mch_id TEXT NOT NULL, out_trade_no TEXT NOT NULL, plan_json TEXT NOT NULL,
    PRIMARY KEY (mch_id, out_trade_no));
"""

#: The demo merchant (docs/PAYMENT.md; DIR/demo.json on first start).
DEMO_MCH_ID = "1900000109"
DEMO_KEY = "demo-payment-key-2026-hmac-sha256"
DEMO_NAME = "演示医院（统一支付平台商户）"
#: A second merchant: its orders are invisible to the first (tests of merchant isolation).
OTHER_MCH_ID = "1900000110"
OTHER_KEY = "demo-payment-key-2026-other-merchant"
#: Fee rates (ppm): what hospitals commonly get for medical payments.
DEMO_FEES = {"wechat": 2000, "alipay": 2000, "unionpay": 1500}


class Store:
    """``DIR/payment.sqlite3`` behind one lock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "payment.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        if self._db.execute("SELECT COUNT(*) FROM merchants").fetchone()[0] == 0:
            self._seed()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One serialised write transaction; rolled back on any exception."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def merchant(self, mch_id: str) -> sqlite3.Row | None:
        """A registered merchant, or None."""
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(
                "SELECT * FROM merchants WHERE mch_id = ?", (mch_id,)).fetchone()
            return row

    def knob(self, db: sqlite3.Connection, name: str, default: Any = None) -> Any:
        """A knob's value (JSON), or ``default``."""
        row = db.execute("SELECT value_json FROM knobs WHERE name = ?", (name,)).fetchone()
        return default if row is None else json.loads(row["value_json"])

    def set_knob(self, db: sqlite3.Connection, name: str, value: Any) -> None:
        """Set (or with None, clear) a knob."""
        if value is None:
            db.execute("DELETE FROM knobs WHERE name = ?", (name,))
        else:
            db.execute("INSERT INTO knobs VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value_json ="
                       " excluded.value_json", (name, json.dumps(value, ensure_ascii=False)))

    def _seed(self) -> None:
        """First start: the demo merchants, and DIR/demo.json with their ids and keys."""
        with self.tx() as db:
            for mch, key, name in ((DEMO_MCH_ID, DEMO_KEY, DEMO_NAME), (OTHER_MCH_ID, OTHER_KEY, "演示第二商户")):
                db.execute("INSERT INTO merchants VALUES (?, ?, ?, ?, ?, ?)",
                           (mch, key, name, DEMO_FEES["wechat"], DEMO_FEES["alipay"], DEMO_FEES["unionpay"]))
        demo = {
            "merchants": [{"mch_id": DEMO_MCH_ID, "key": DEMO_KEY, "name": DEMO_NAME},
                          {"mch_id": OTHER_MCH_ID, "key": OTHER_KEY, "name": "演示第二商户"}],
            "sign_type": "HMAC-SHA256",
            "fee_ppm": DEMO_FEES,
        }
        path = self.data_dir / "demo.json"
        path.write_text(json.dumps(demo, ensure_ascii=False, indent=2), encoding="utf-8")
