"""The emergency bill journal and the online-bill record: durable, ordered, hash-chained.

Each emergency bill row holds the full issuing request, the number and check code printed, the
SM2 signature, and its link in the SM3 hash chain (``prev_hash`` -> ``hash``; ``seed`` names the
online acknowledgement the chain restarted from, fiskaly SIGN FR, offline_rules.md §1.3/§6.5).
The hashing itself is done by workflows; this module only stores and reads.

States: ``issued`` (waiting for upload) -> ``uploaded`` (the server holds it) | ``conflict`` (the
server kept another bill for the busNo; this number is voided there, never silently) |
``rejected`` (refused with a code; shown to a person).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_core.money import from_fen, to_fen
from offline_store.db import Database, from_json, to_json

CHAIN_HEAD = "chain_head"
CHAIN_SEED = "chain_seed"


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One emergency bill as committed."""

    seq: int
    bus_no: str
    method: str
    bill_type: str
    request: dict[str, Any]
    place_code: str
    block_id: int
    bill_batch_code: str
    bill_no: str
    random: str
    total_amt: Decimal
    issue_time: str
    terminal_id: str
    sign_value: str
    prev_hash: str
    seed: dict[str, Any] | None
    hash: str
    in_doubt: bool
    state: str
    result: Any
    uploaded_at: str | None


def _entry(r: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        r["seq"], r["bus_no"], r["method"], r["bill_type"], from_json(r["request"]), r["place_code"],
        r["block_id"], r["bill_batch_code"], r["bill_no"], r["random"], from_fen(r["total_fen"]),
        r["issue_time"], r["terminal_id"], r["sign_value"], r["prev_hash"], from_json(r["seed"]), r["hash"],
        bool(r["in_doubt"]), r["state"], from_json(r["result"]), r["uploaded_at"])


def insert(db: Database, *, bus_no: str, method: str, bill_type: str, request: dict[str, Any],
           place_code: str, block_id: int, bill_batch_code: str, bill_no: str, random: str,
           total_amt: Decimal, issue_time: str, terminal_id: str, sign_value: str, prev_hash: str,
           seed: dict[str, Any] | None, hash: str, in_doubt: bool) -> int:
    """Append a bill and move the chain head to its hash (inside the caller's transaction)."""
    cur = db.execute(
        "INSERT INTO journal(bus_no, method, bill_type, request, place_code, block_id, bill_batch_code, bill_no,"
        " random, total_fen, issue_time, terminal_id, sign_value, prev_hash, seed, hash, in_doubt)"
        " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (bus_no, method, bill_type, to_json(request), place_code, block_id, bill_batch_code, bill_no, random,
         to_fen(total_amt), issue_time, terminal_id, sign_value, prev_hash,
         None if seed is None else to_json(seed), hash, int(in_doubt)))
    db.set_value(CHAIN_HEAD, hash)
    db.set_value(CHAIN_SEED, None)
    assert cur.lastrowid is not None
    return cur.lastrowid


def by_bus_no(db: Database, bus_no: str) -> JournalEntry | None:
    """The emergency bill of a busNo, or None."""
    row = db.one("SELECT * FROM journal WHERE bus_no = ?", (bus_no,))
    return None if row is None else _entry(row)


def by_seq(db: Database, seq: int) -> JournalEntry | None:
    """The emergency bill with journal sequence ``seq``, or None."""
    row = db.one("SELECT * FROM journal WHERE seq = ?", (seq,))
    return None if row is None else _entry(row)


def entries(db: Database, state: str | None = None, limit: int = -1) -> list[JournalEntry]:
    """Bills in journal order (optionally of one state)."""
    if state is None:
        rows = db.all("SELECT * FROM journal ORDER BY seq LIMIT ?", (limit,))
    else:
        rows = db.all("SELECT * FROM journal WHERE state = ? ORDER BY seq LIMIT ?", (state, limit))
    return [_entry(r) for r in rows]


@dataclass(frozen=True, slots=True)
class PendingStats:
    """What the limits are measured on: emergency bills not yet held by the server."""

    count: int
    total_amt: Decimal
    oldest_issue_time: str | None


def pending_stats(db: Database) -> PendingStats:
    """Count, total and oldest issue time of bills still ``issued`` (not uploaded)."""
    row = db.one("SELECT COUNT(*) AS n, COALESCE(SUM(total_fen), 0) AS fen, MIN(issue_time) AS oldest"
                 " FROM journal WHERE state = 'issued'")
    assert row is not None
    return PendingStats(row["n"], from_fen(row["fen"]), row["oldest"])


def set_state(db: Database, seq: int, state: str, result: Any, at: str) -> None:
    """Record the server's answer for a bill."""
    db.execute("UPDATE journal SET state = ?, result = ?, uploaded_at = ? WHERE seq = ?",
               (state, to_json(result), at, seq))


def chain_head(db: Database) -> tuple[str | None, dict[str, Any] | None]:
    """``(head hash, seed)``: the hash the next bill links to and, when the chain restarted from an
    online acknowledgement, that acknowledgement (None when the head is the previous journal row)."""
    return db.get_value(CHAIN_HEAD), db.get_value(CHAIN_SEED)


def set_online_seed(db: Database, head: str, seed: dict[str, Any]) -> None:
    """An online bill was acknowledged: the next emergency bill links to it (fiskaly's rule)."""
    db.set_value(CHAIN_HEAD, head)
    db.set_value(CHAIN_SEED, seed)


def record_online(db: Database, *, bus_no: str, method: str, request: dict[str, Any], response: dict[str, Any],
                  total_amt: Decimal, at: str) -> None:
    """Remember an online bill by busNo (local idempotency for online issuing)."""
    db.execute("INSERT INTO online_bills(bus_no, method, request, response, bill_batch_code, bill_no, total_fen,"
               " created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(bus_no) DO NOTHING",
               (bus_no, method, to_json(request), to_json(response), str(response.get("billBatchCode", "")),
                str(response.get("billNo", "")), to_fen(total_amt), at))


def online_by_bus_no(db: Database, bus_no: str) -> dict[str, Any] | None:
    """``{"method", "request", "response"}`` of an online bill, or None."""
    row = db.one("SELECT * FROM online_bills WHERE bus_no = ?", (bus_no,))
    if row is None:
        return None
    return {"method": row["method"], "request": from_json(row["request"]), "response": from_json(row["response"])}
