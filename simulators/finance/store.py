"""The simulator's own SQLite database (stdlib sqlite3) and its first-start demo seed.

One connection guarded by a lock: every request runs as one serialised transaction, which is
what makes number allocation, duplicate-busNo checks and the hash chain race-free without any
further locking. WAL keeps readers of the file (the chain verify command) out of the way.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_core.clock import Clock, date10, ts17

SCHEMA = """
CREATE TABLE IF NOT EXISTS callers (appid TEXT PRIMARY KEY, key TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS places (place_code TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS caller_places (appid TEXT NOT NULL, place_code TEXT NOT NULL,
    PRIMARY KEY (appid, place_code));
-- kind: E online e-bill numbers, EP emergency-reservable pool, EB reserved emergency block,
-- P paper numbers, V prepayment voucher numbers; FP the finance bureau's paper pool that
-- applications draw on, PA approved numbers awaiting 入库确认, PR numbers returned (申退) and
-- PV unit stock voided (issue 18 §2). place_code '' = held by the unit.
CREATE TABLE IF NOT EXISTS stock (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, place_code TEXT NOT NULL, bill_code TEXT NOT NULL,
    bill_name TEXT NOT NULL, bill_batch_code TEXT NOT NULL, bgn_no INTEGER NOT NULL,
    end_no INTEGER NOT NULL, next_no INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'active',
    created TEXT NOT NULL, operator TEXT NOT NULL DEFAULT '', remark TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS stock_place ON stock (kind, place_code);
CREATE TABLE IF NOT EXISTS stock_moves (
    id INTEGER PRIMARY KEY, day TEXT NOT NULL, direction TEXT NOT NULL, place_code TEXT NOT NULL,
    bill_code TEXT NOT NULL, bill_name TEXT NOT NULL, bill_batch_code TEXT NOT NULL,
    bgn_no INTEGER NOT NULL, end_no INTEGER NOT NULL, bill_type TEXT NOT NULL, operator TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emergency_returns (
    id INTEGER PRIMARY KEY, place_code TEXT NOT NULL, bill_batch_code TEXT NOT NULL,
    bgn_no INTEGER NOT NULL, end_no INTEGER NOT NULL, reason TEXT NOT NULL, time TEXT NOT NULL);
-- doc: bill | voucher; kind: blue | red.
CREATE TABLE IF NOT EXISTS bills (
    id INTEGER PRIMARY KEY, doc TEXT NOT NULL, kind TEXT NOT NULL, method TEXT NOT NULL,
    bill_code TEXT NOT NULL, bill_name TEXT NOT NULL, bill_batch_code TEXT NOT NULL,
    bill_no TEXT NOT NULL, random TEXT NOT NULL, bus_no TEXT NOT NULL, bus_type TEXT NOT NULL,
    bus_date_time TEXT NOT NULL, place_code TEXT NOT NULL, appid TEXT NOT NULL, payer TEXT NOT NULL,
    total_amt TEXT NOT NULL, create_time TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 1,
    is_scarlet INTEGER NOT NULL DEFAULT 0, red_id INTEGER, blue_id INTEGER,
    is_prt_paper INTEGER NOT NULL DEFAULT 0, is_arrears TEXT NOT NULL DEFAULT '',
    arrears_date TEXT NOT NULL DEFAULT '', account_state INTEGER NOT NULL DEFAULT 0,
    emergency INTEGER NOT NULL DEFAULT 0, terminal_id TEXT NOT NULL DEFAULT '',
    sign_value TEXT NOT NULL DEFAULT '', card_type TEXT NOT NULL DEFAULT '',
    card_no TEXT NOT NULL DEFAULT '', id_card_no TEXT NOT NULL DEFAULT '',
    patient_id TEXT NOT NULL DEFAULT '', list_count INTEGER NOT NULL DEFAULT 0,
    list_batch INTEGER NOT NULL DEFAULT 0, consumed_by INTEGER, reason TEXT NOT NULL DEFAULT '',
    operator TEXT NOT NULL DEFAULT '', base_url TEXT NOT NULL DEFAULT '', data_json TEXT NOT NULL,
    UNIQUE (bill_batch_code, bill_no));
CREATE UNIQUE INDEX IF NOT EXISTS bills_busno ON bills (doc, bus_no) WHERE kind = 'blue';
CREATE INDEX IF NOT EXISTS bills_create ON bills (create_time);
CREATE TABLE IF NOT EXISTS bill_items (
    bill_id INTEGER NOT NULL, kind TEXT NOT NULL, seq INTEGER NOT NULL, item_json TEXT NOT NULL,
    PRIMARY KEY (bill_id, kind, seq));
CREATE TABLE IF NOT EXISTS paper_bills (
    id INTEGER PRIMARY KEY, p_bill_batch_code TEXT NOT NULL, p_bill_no TEXT NOT NULL,
    place_code TEXT NOT NULL, bill_id INTEGER, kind TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 1,
    create_time TEXT NOT NULL, bus_date_time TEXT NOT NULL DEFAULT '', void_time TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '', operator TEXT NOT NULL DEFAULT '',
    UNIQUE (p_bill_batch_code, p_bill_no));
CREATE TABLE IF NOT EXISTS batches (
    batch_no TEXT PRIMARY KEY, appid TEXT NOT NULL, method TEXT NOT NULL, created TEXT NOT NULL,
    base_url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_no TEXT NOT NULL, seq INTEGER NOT NULL, bus_no TEXT NOT NULL, status INTEGER NOT NULL,
    err_msg TEXT NOT NULL DEFAULT '', bill_id INTEGER, item_json TEXT NOT NULL,
    PRIMARY KEY (batch_no, seq));
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY, bill_id INTEGER NOT NULL, notice_type TEXT NOT NULL,
    notice_value TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chain (
    seq INTEGER PRIMARY KEY, bill_id INTEGER NOT NULL UNIQUE, entry_kind TEXT NOT NULL,
    content_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, link_hash TEXT NOT NULL, time TEXT NOT NULL);
-- 票据申领 (issue 18 §2, our extension): state applied | approved | rejected | confirmed;
-- ranges_json: the numbers issued on approval (stock kind PA until confirmed, then P at the unit).
CREATE TABLE IF NOT EXISTS stock_applies (
    apply_no TEXT PRIMARY KEY, appid TEXT NOT NULL, bill_code TEXT NOT NULL, count INTEGER NOT NULL,
    applicant TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', state TEXT NOT NULL,
    opinion TEXT NOT NULL DEFAULT '', ranges_json TEXT NOT NULL DEFAULT '[]', applied TEXT NOT NULL,
    decided TEXT NOT NULL DEFAULT '', confirmed TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY, received TEXT NOT NULL, finished TEXT NOT NULL, appid TEXT NOT NULL,
    method TEXT NOT NULL, noise TEXT NOT NULL, bus_no TEXT NOT NULL, result TEXT NOT NULL,
    message TEXT NOT NULL, dropped INTEGER NOT NULL DEFAULT 0, elapsed_ms REAL NOT NULL);
"""

#: Demo account (documented in docs/FINANCE_SIMULATOR.md; the sync server defaults to it).
DEMO_APPID = "DEMOHOSP01"
DEMO_KEY = "demo-finance-key-2026"
DEMO_NAME = "演示医院（财政电子票据平台调用方）"
#: A second caller granted only billing point 001, to exercise "not granted" refusals.
LIMITED_APPID = "DEMOLIMIT02"
LIMITED_KEY = "demo-limited-key-2026"
DEMO_PLACES = {"001": "门诊收费处", "002": "住院收费处", "003": "自助服务机", "004": "体检中心", "005": "财务科"}

E_BILL_CODE, E_BILL_NAME, E_BATCH = "0601", "医疗收费电子票据", "44060226"
P_BILL_CODE, P_BILL_NAME, P_BATCH = "0602", "医疗收费票据（机打）", "44060126"
V_BILL_CODE, V_BILL_NAME, V_BATCH = "0701", "预交金电子凭证", "44070126"
#: Per billing point i (1..5): online numbers i*1e6+1 .. +500000, emergency pool i*1e6+900001 ..
#: +999999, paper i*10000+1 .. +1000 at the point; unit paper 900001 .. 999999 for billStockOut.
ONLINE_SIZE, POOL_START, POOL_SIZE, PAPER_SIZE = 500_000, 900_001, 99_999, 1000


@dataclass(frozen=True)
class Caller:
    """A platform account: appid, signing key, granted billing points."""

    appid: str
    key: str
    name: str
    places: frozenset[str]


class Store:
    """The database file ``DIR/finance.sqlite3`` behind one lock."""

    def __init__(self, data_dir: Path, clock: Clock) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "finance.sqlite3"
        self.clock = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._callers: dict[str, Caller] = {}
        if self._db.execute("SELECT COUNT(*) FROM callers").fetchone()[0] == 0:
            self._seed()
        self._load_callers()

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

    def caller(self, appid: str) -> Caller | None:
        """A registered caller, or None."""
        return self._callers.get(appid)

    def _load_callers(self) -> None:
        grants: dict[str, set[str]] = {}
        for row in self._db.execute("SELECT appid, place_code FROM caller_places"):
            grants.setdefault(row["appid"], set()).add(row["place_code"])
        self._callers = {
            r["appid"]: Caller(r["appid"], r["key"], r["name"], frozenset(grants.get(r["appid"], ())))
            for r in self._db.execute("SELECT appid, key, name FROM callers")
        }

    def _seed(self) -> None:
        """First start: the demo hospital's callers, billing points and stock; DIR/demo.json."""
        now = self.clock.now()
        created, day = ts17(now), date10(now)
        with self.tx() as db:
            db.execute("INSERT INTO callers VALUES (?, ?, ?)", (DEMO_APPID, DEMO_KEY, DEMO_NAME))
            db.execute("INSERT INTO callers VALUES (?, ?, ?)", (LIMITED_APPID, LIMITED_KEY, "演示受限调用方"))
            for i, (code, name) in enumerate(DEMO_PLACES.items(), start=1):
                db.execute("INSERT INTO places VALUES (?, ?)", (code, name))
                db.execute("INSERT INTO caller_places VALUES (?, ?)", (DEMO_APPID, code))
                base = i * 1_000_000
                rows = [
                    ("E", E_BILL_CODE, E_BILL_NAME, E_BATCH, base + 1, base + ONLINE_SIZE),
                    ("EP", E_BILL_CODE, E_BILL_NAME, E_BATCH, base + POOL_START, base + POOL_START + POOL_SIZE - 1),
                    ("P", P_BILL_CODE, P_BILL_NAME, P_BATCH, i * 10000 + 1, i * 10000 + PAPER_SIZE),
                    ("V", V_BILL_CODE, V_BILL_NAME, V_BATCH, base + 1, base + ONLINE_SIZE),
                ]
                for kind, bcode, bname, batch, bgn, end in rows:
                    db.execute(
                        "INSERT INTO stock (kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no,"
                        " end_no, next_no, created, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '初始库存')",
                        (kind, code, bcode, bname, batch, bgn, end, bgn, created))
                    if kind in ("E", "P"):
                        db.execute(
                            "INSERT INTO stock_moves (day, direction, place_code, bill_code, bill_name,"
                            " bill_batch_code, bgn_no, end_no, bill_type, operator)"
                            " VALUES (?, 'out', ?, ?, ?, ?, ?, ?, ?, '初始库存')",
                            (day, code, bcode, bname, batch, bgn, end, "1" if kind == "E" else "2"))
            db.execute("INSERT INTO caller_places VALUES (?, ?)", (LIMITED_APPID, "001"))
            db.execute(
                "INSERT INTO stock (kind, place_code, bill_code, bill_name, bill_batch_code, bgn_no, end_no,"
                " next_no, created, operator) VALUES ('P', '', ?, ?, ?, 900001, 999999, 900001, ?, '单位库存')",
                (P_BILL_CODE, P_BILL_NAME, P_BATCH, created))
        demo = {
            "callers": [{"appid": DEMO_APPID, "key": DEMO_KEY, "name": DEMO_NAME},
                        {"appid": LIMITED_APPID, "key": LIMITED_KEY, "name": "演示受限调用方（仅001）"}],
            "placeCodes": list(DEMO_PLACES),
            "places": [{"placeCode": c, "name": n} for c, n in DEMO_PLACES.items()],
            "billBatchCode": E_BATCH,
            "paperBillBatchCode": P_BATCH,
            "voucherBatchCode": V_BATCH,
        }
        (self.data_dir / "demo.json").write_text(json.dumps(demo, ensure_ascii=False, indent=2), encoding="utf-8")


def row_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    """A row as a plain dict (None stays None)."""
    return dict(row) if row is not None else None
