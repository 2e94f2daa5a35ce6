"""Paper-number helpers shared by the paper, stock and red-flush handlers (spec §7, §8)."""

from __future__ import annotations

import sqlite3

from simulators.finance import errors as E
from simulators.finance.errors import SimError


def paper_stock_row(db: sqlite3.Connection, place: str, batch: str, no: int) -> sqlite3.Row | None:
    """The paper stock range of a point holding a number, if any."""
    return db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = ? AND bill_batch_code = ?"
                      " AND state = 'active' AND bgn_no <= ? AND end_no >= ?", (place, batch, no, no)).fetchone()


def use_paper(db: sqlite3.Connection, place: str, batch: str, no: str, bill_id: int | None, kind: str,
              now: str, bus_date_time: str, operator: str) -> None:
    """Record the use of a paper number (exchange, red paper) at a point.

    :raises SimError: E3008 when the number is not in the point's paper stock or already used.
    """
    if not no.isdigit() or paper_stock_row(db, place, batch, int(no)) is None:
        raise SimError(E.PAPER_NOT_USABLE, f"纸质票据号码{batch}/{no}不在开票点{place}的库存中")
    if db.execute("SELECT 1 FROM paper_bills WHERE p_bill_batch_code = ? AND CAST(p_bill_no AS INTEGER) = ?",
                  (batch, int(no))).fetchone():
        raise SimError(E.PAPER_NOT_USABLE, f"纸质票据号码{batch}/{no}已使用或已作废")
    db.execute("INSERT INTO paper_bills (p_bill_batch_code, p_bill_no, place_code, bill_id, kind, state,"
               " create_time, bus_date_time, operator) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
               (batch, no, place, bill_id, kind, now, bus_date_time, operator))


def paper_of(db: sqlite3.Connection, bill_id: int) -> sqlite3.Row | None:
    """The valid exchanged paper bill of an e-bill, if any."""
    return db.execute("SELECT * FROM paper_bills WHERE bill_id = ? AND kind = 'exchange' AND state = 1",
                      (bill_id,)).fetchone()


def used_numbers(db: sqlite3.Connection, batch: str, bgn: int, end: int) -> list[int]:
    """Paper numbers of a batch in [bgn, end] already used or voided, ascending."""
    return [r[0] for r in db.execute(
        "SELECT CAST(p_bill_no AS INTEGER) AS n FROM paper_bills WHERE p_bill_batch_code = ?"
        " AND CAST(p_bill_no AS INTEGER) BETWEEN ? AND ? ORDER BY n", (batch, bgn, end))]


def free_ranges(db: sqlite3.Connection, row: sqlite3.Row) -> list[tuple[int, int]]:
    """Unused sub-ranges of a paper stock range."""
    out: list[tuple[int, int]] = []
    start = row["bgn_no"]
    for n in used_numbers(db, row["bill_batch_code"], row["bgn_no"], row["end_no"]):
        if n > start:
            out.append((start, n - 1))
        start = n + 1
    if start <= row["end_no"]:
        out.append((start, row["end_no"]))
    return out


def merge_paper_rows(db: sqlite3.Connection, place: str, batch: str) -> None:
    """Join neighbouring paper stock rows of a holder (unit ``''`` or a point) and batch, so that a
    range moved back and forth can be moved, voided or returned again as one (issue 18 §2)."""
    rows = db.execute("SELECT * FROM stock WHERE kind = 'P' AND place_code = ? AND bill_batch_code = ?"
                      " AND state = 'active' ORDER BY bgn_no", (place, batch)).fetchall()
    prev = None
    for row in rows:
        if prev is not None and prev["end_no"] + 1 == row["bgn_no"] and prev["bill_code"] == row["bill_code"]:
            db.execute("UPDATE stock SET end_no = ? WHERE id = ?", (row["end_no"], prev["id"]))
            db.execute("DELETE FROM stock WHERE id = ?", (row["id"],))
            prev = db.execute("SELECT * FROM stock WHERE id = ?", (prev["id"],)).fetchone()
            continue
        prev = row
