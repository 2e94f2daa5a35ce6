"""The insurance simulator's SQLite database (stdlib sqlite3): schema, one serialised transaction
per request, knobs and id counters.

Amounts are integer fen; times are the simulator clock's CST text (``yyyy-MM-dd HH:mm:ss``).
One connection behind one lock: each request is one transaction, which is what makes "msgid used
once" and "one valid settlement per visit" race-free.
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
CREATE TABLE IF NOT EXISTS institutions (
    fixmedins_code TEXT PRIMARY KEY, fixmedins_name TEXT NOT NULL, paasid TEXT NOT NULL,
    pass_token TEXT NOT NULL, admdvs TEXT NOT NULL, hosp_lv TEXT NOT NULL DEFAULT '03');
CREATE TABLE IF NOT EXISTS persons (
    psn_no TEXT PRIMARY KEY, psn_cert_type TEXT NOT NULL, certno TEXT NOT NULL UNIQUE, psn_name TEXT NOT NULL,
    gend TEXT NOT NULL, naty TEXT NOT NULL, brdy TEXT NOT NULL, card_no TEXT NOT NULL, card_sn TEXT NOT NULL,
    ec_token TEXT NOT NULL, emp_name TEXT NOT NULL DEFAULT '');
-- one row per insutype of a person; balc (fen) is the personal account of that insutype
CREATE TABLE IF NOT EXISTS insurances (
    psn_no TEXT NOT NULL, insutype TEXT NOT NULL, psn_type TEXT NOT NULL, psn_insu_stas TEXT NOT NULL,
    psn_insu_date TEXT NOT NULL, paus_insu_date TEXT, cvlserv_flag TEXT NOT NULL, insuplc_admdvs TEXT NOT NULL,
    balc INTEGER NOT NULL, PRIMARY KEY (psn_no, insutype));
CREATE TABLE IF NOT EXISTS identities (
    psn_no TEXT NOT NULL, psn_idet_type TEXT NOT NULL, psn_type_lv TEXT NOT NULL, memo TEXT NOT NULL,
    begntime TEXT NOT NULL, endtime TEXT);
-- the year's accumulations per (person, insutype, kind otp|ipt): deductible used and fund paid (fen)
CREATE TABLE IF NOT EXISTS accumulations (
    psn_no TEXT NOT NULL, year TEXT NOT NULL, insutype TEXT NOT NULL, kind TEXT NOT NULL,
    deductible_used INTEGER NOT NULL DEFAULT 0, fund_paid INTEGER NOT NULL DEFAULT 0,
    medfee INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (psn_no, year, insutype, kind));
CREATE TABLE IF NOT EXISTS signins (
    sign_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, opter_no TEXT NOT NULL, mac TEXT NOT NULL,
    ip TEXT NOT NULL, sign_time TEXT NOT NULL, signed_out TEXT);
-- every msgid received past the envelope check; state ok|fail|reversed; effect_json for 2601
CREATE TABLE IF NOT EXISTS messages (
    fixmedins_code TEXT NOT NULL, msgid TEXT NOT NULL, infno TEXT NOT NULL, psn_no TEXT NOT NULL DEFAULT '',
    received TEXT NOT NULL, state TEXT NOT NULL, err_msg TEXT NOT NULL DEFAULT '',
    effect_json TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (fixmedins_code, msgid));
-- visits: kind otp (2201) | ipt (2401); state open|discharged|cancelled
CREATE TABLE IF NOT EXISTS visits (
    mdtrt_id TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL,
    kind TEXT NOT NULL, ipt_otp_no TEXT NOT NULL, med_type TEXT NOT NULL DEFAULT '', begntime TEXT NOT NULL,
    endtime TEXT, mdtrt_cert_type TEXT NOT NULL, mdtrt_cert_no TEXT NOT NULL, state TEXT NOT NULL,
    msgid TEXT NOT NULL, info_json TEXT NOT NULL DEFAULT '{}', diseinfo_json TEXT NOT NULL DEFAULT '[]',
    dscg_json TEXT NOT NULL DEFAULT '{}');
-- fee lines: state up (unsettled) | settled | cancelled; amounts fen, split by the engine on upload
CREATE TABLE IF NOT EXISTS fees (
    id INTEGER PRIMARY KEY, mdtrt_id TEXT NOT NULL, feedetl_sn TEXT NOT NULL, chrg_bchno TEXT NOT NULL,
    med_list_codg TEXT NOT NULL, medins_list_codg TEXT NOT NULL, fee_ocur_time TEXT NOT NULL,
    cnt TEXT NOT NULL, pric TEXT NOT NULL, amount INTEGER NOT NULL, fulamt_ownpay INTEGER NOT NULL,
    overlmt INTEGER NOT NULL, preselfpay INTEGER NOT NULL, inscp INTEGER NOT NULL, lv TEXT NOT NULL,
    selfpay_prop TEXT NOT NULL, pric_uplmt TEXT, state TEXT NOT NULL, setl_id TEXT NOT NULL DEFAULT '',
    msgid TEXT NOT NULL, detail_json TEXT NOT NULL);
-- settlements and their cancellations (refd_setl_flag 1, negative amounts, orig_setl_id set)
CREATE TABLE IF NOT EXISTS settlements (
    setl_id TEXT PRIMARY KEY, medins_setl_id TEXT NOT NULL, fixmedins_code TEXT NOT NULL, infno TEXT NOT NULL,
    mdtrt_id TEXT NOT NULL, psn_no TEXT NOT NULL, insutype TEXT NOT NULL, kind TEXT NOT NULL,
    med_type TEXT NOT NULL, clr_type TEXT NOT NULL, setl_optins TEXT NOT NULL, setl_time TEXT NOT NULL,
    mid_setl_flag TEXT NOT NULL DEFAULT '0', refd_setl_flag TEXT NOT NULL DEFAULT '0',
    orig_setl_id TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, year TEXT NOT NULL,
    medfee INTEGER NOT NULL, fund INTEGER NOT NULL, acct INTEGER NOT NULL, cash INTEGER NOT NULL,
    dedc INTEGER NOT NULL, setlinfo_json TEXT NOT NULL, setldetail_json TEXT NOT NULL,
    UNIQUE (fixmedins_code, medins_setl_id));
-- catalogues (1301-1319): one row per (list_type, code, ver); the newest ver of a code wins
CREATE TABLE IF NOT EXISTS catalogue (
    list_type TEXT NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, lv TEXT NOT NULL,
    selfpay_prop TEXT NOT NULL, pric_uplmt TEXT, spec TEXT NOT NULL DEFAULT '', ver TEXT NOT NULL,
    vali_flag TEXT NOT NULL DEFAULT '1', PRIMARY KEY (list_type, code, ver));
CREATE TABLE IF NOT EXISTS files (
    file_qury_no TEXT PRIMARY KEY, fixmedins_code TEXT NOT NULL, filename TEXT NOT NULL, content BLOB NOT NULL,
    created TEXT NOT NULL, dld_endtime TEXT NOT NULL);
-- everything else uploaded (4101 lists, filings, departments ...): key is the business key
CREATE TABLE IF NOT EXISTS uploads (
    id INTEGER PRIMARY KEY, fixmedins_code TEXT NOT NULL, infno TEXT NOT NULL, ukey TEXT NOT NULL,
    state TEXT NOT NULL, payload_json TEXT NOT NULL, created TEXT NOT NULL, msgid TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vouchers (
    id INTEGER PRIMARY KEY, fixmedins_code TEXT NOT NULL, setl_id TEXT NOT NULL, bill_code TEXT NOT NULL,
    bill_no TEXT NOT NULL, state TEXT NOT NULL, upload_count INTEGER NOT NULL, payload_json TEXT NOT NULL,
    file_sha256 TEXT NOT NULL, file_type TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,
    UNIQUE (fixmedins_code, bill_code, bill_no));
CREATE TABLE IF NOT EXISTS nonces (paasid TEXT NOT NULL, nonce TEXT NOT NULL, seen REAL NOT NULL,
    PRIMARY KEY (paasid, nonce));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS knobs (name TEXT PRIMARY KEY, value_json TEXT NOT NULL);
"""


class Store:
    """``DIR/insurance.sqlite3`` behind one lock."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "insurance.sqlite3"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

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


def knob(db: sqlite3.Connection, name: str, default: Any = None) -> Any:
    """A knob's value (JSON), or ``default``."""
    row = db.execute("SELECT value_json FROM knobs WHERE name = ?", (name,)).fetchone()
    return default if row is None else json.loads(row["value_json"])


def set_knob(db: sqlite3.Connection, name: str, value: Any) -> None:
    """Set (or with None, clear) a knob."""
    if value is None:
        db.execute("DELETE FROM knobs WHERE name = ?", (name,))
    else:
        db.execute("INSERT INTO knobs VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value_json ="
                   " excluded.value_json", (name, json.dumps(value, ensure_ascii=False)))


def next_serial(db: sqlite3.Connection, name: str) -> int:
    """The next value of a persistent counter (1, 2, ...)."""
    db.execute("INSERT INTO counters VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1", (name,))
    return int(db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])
