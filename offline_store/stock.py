"""Emergency stock blocks (应急库存): contiguous number ranges the server reserved for this terminal.

A number is taken inside the caller's transaction together with the journal row that uses it,
so a crash before the commit gives the number back (it was never printed) and a crash after it
leaves the bill in the journal: no number is lost and none is used twice (offline_rules.md §6.1).
A block being returned (申退) or revoked is never issued from again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from offline_store.db import Database
from offline_store.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class Block:
    """One emergency stock block."""

    id: int
    place_code: str
    bill_code: str
    bill_batch_code: str
    bgn_no: int
    end_no: int
    next_no: int
    width: int
    state: str

    @property
    def remaining(self) -> int:
        """Numbers not yet used (0 unless the block is active)."""
        return self.end_no - self.next_no + 1 if self.state == "active" else 0

    def number(self, n: int) -> str:
        """Bill number ``n`` as printed (zero-padded to the block's width)."""
        return str(n).zfill(self.width)


@dataclass(frozen=True, slots=True)
class TakenNumber:
    """A number taken from a block (not yet committed until the caller's transaction is)."""

    block_id: int
    bill_code: str
    bill_batch_code: str
    bill_no: str


def _block(r: sqlite3.Row) -> Block:
    return Block(r["id"], r["place_code"], r["bill_code"], r["bill_batch_code"], r["bgn_no"],
                 r["end_no"], r["next_no"], r["width"], r["state"])


def add_block(db: Database, place_code: str, bill_batch_code: str, bgn_no: str, end_no: str,
              received_at: str, bill_code: str = "") -> Block:
    """Record a block handed out by the server; receiving the same block twice is a no-op."""
    with db.atomic():
        db.execute(
            "INSERT INTO stock_blocks(place_code, bill_code, bill_batch_code, bgn_no, end_no, next_no, width,"
            " received_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(bill_batch_code, bgn_no) DO NOTHING",
            (place_code, bill_code, bill_batch_code, int(bgn_no), int(end_no), int(bgn_no), len(bgn_no), received_at))
        row = db.one("SELECT * FROM stock_blocks WHERE bill_batch_code = ? AND bgn_no = ?",
                      (bill_batch_code, int(bgn_no)))
    assert row is not None
    return _block(row)


def blocks(db: Database, place_code: str | None = None) -> list[Block]:
    """Every block (optionally of one billing point), oldest first."""
    if place_code is None:
        rows = db.all("SELECT * FROM stock_blocks ORDER BY id")
    else:
        rows = db.all("SELECT * FROM stock_blocks WHERE place_code = ? ORDER BY id", (place_code,))
    return [_block(r) for r in rows]


def get_block(db: Database, block_id: int) -> Block:
    """One block by id."""
    row = db.one("SELECT * FROM stock_blocks WHERE id = ?", (block_id,))
    if row is None:
        raise NotFoundError(f"应急号段不存在：{block_id}")
    return _block(row)


def remaining(db: Database, place_code: str | None = None) -> int:
    """Unused numbers in active blocks."""
    return sum(b.remaining for b in blocks(db, place_code))


def take_number(db: Database, place_code: str) -> TakenNumber | None:
    """Take the next number of the oldest active block of ``place_code``; None when none is left.

    Must run inside ``db.atomic()`` together with the write that uses the number.
    """
    if not db.in_transaction:
        raise RuntimeError("take_number must run inside db.atomic()")
    row = db.one("SELECT * FROM stock_blocks WHERE place_code = ? AND state = 'active' AND next_no <= end_no"
                 " ORDER BY id LIMIT 1", (place_code,))
    if row is None:
        return None
    block = _block(row)
    n = block.next_no
    state = "exhausted" if n == block.end_no else "active"
    db.execute("UPDATE stock_blocks SET next_no = ?, state = ? WHERE id = ?", (n + 1, state, block.id))
    return TakenNumber(block.id, block.bill_code, block.bill_batch_code, block.number(n))


def begin_return(db: Database, block_id: int, reason: str) -> tuple[str, str] | None:
    """Stop issuing from a block and note the unused range to give back (申退).

    Returns ``(billBgnNo, billEndNo)`` of the unused numbers, or None when nothing is unused.
    The block stays ``returning`` until :func:`finish_return`, so a failed request is retried and
    the numbers are never issued in between.
    """
    with db.atomic():
        block = get_block(db, block_id)
        if block.state == "returning":
            assert block.next_no <= block.end_no
            return block.number(block.next_no), block.number(block.end_no)
        if block.state != "active" or block.next_no > block.end_no:
            return None
        db.execute("UPDATE stock_blocks SET state = 'returning', return_from = next_no, return_reason = ?"
                   " WHERE id = ?", (reason, block_id))
        return block.number(block.next_no), block.number(block.end_no)


def finish_return(db: Database, block_id: int) -> None:
    """The server accepted the return: the block's unused numbers are void for ever."""
    db.execute("UPDATE stock_blocks SET state = 'returned' WHERE id = ? AND state = 'returning'", (block_id,))


def returning(db: Database) -> list[Block]:
    """Blocks whose return request has not been acknowledged yet."""
    return [_block(r) for r in db.all("SELECT * FROM stock_blocks WHERE state = 'returning' ORDER BY id")]


def revoke(db: Database, bill_batch_code: str, bgn_no: str, end_no: str) -> int:
    """The server revoked a block (lost terminal): stop issuing from it; returns blocks touched."""
    cur = db.execute("UPDATE stock_blocks SET state = 'revoked' WHERE bill_batch_code = ? AND bgn_no = ?"
                     " AND end_no = ? AND state IN ('active', 'returning')",
                     (bill_batch_code, int(bgn_no), int(end_no)))
    return cur.rowcount
