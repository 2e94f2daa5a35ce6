"""Piece mechanics of the bill stock (issue 18 §2): lock, find, carve, merge, journal.

Every function runs inside the caller's write transaction. The invariants (docs/STOCK.md):

* the pieces of a lot cover exactly its numbers, once each (carve and merge keep the cover);
* no two pieces of one batch overlap: a new lot is refused when any piece of the batch overlaps
  it, checked under the stock lock — on SQLite the write transaction itself (``BEGIN IMMEDIATE``
  serialises writers), on PostgreSQL the ``settings`` row STOCK_LOCK read ``FOR UPDATE``;
* neighbouring pieces of one lot in the same state, place and terminal are merged, so a refused
  or undone operation leaves the same pieces it found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from sync_server.store.db import inserted_id
from sync_server.store.schema import settings
from sync_server.store.stock_schema import STOCK_LOCK, stock_lots, stock_moves, stock_pieces

#: The columns that must agree for two neighbouring pieces to merge.
_SAME = ("lot_id", "state", "place_code", "terminal_id")


def lock(conn: Connection) -> None:
    """Take the stock lock for the rest of the transaction (PostgreSQL; SQLite's writer lock is
    already held by ``write_tx``)."""
    if conn.dialect.name != "postgresql":
        return
    got = conn.execute(select(settings.c.value).where(settings.c.name == STOCK_LOCK).with_for_update()).scalar()
    if got is None:  # a database made by create_all without migration 0016's row
        conn.execute(insert(settings).values(name=STOCK_LOCK, value="0"))
        conn.execute(select(settings.c.value).where(settings.c.name == STOCK_LOCK).with_for_update())


def overlapping(conn: Connection, batch: str, bgn: int, end: int) -> dict[str, Any] | None:
    """A piece of ``batch`` sharing a number with [bgn, end], if any."""
    row = conn.execute(select(stock_pieces).where(and_(
        stock_pieces.c.bill_batch_code == batch, stock_pieces.c.bgn_no <= end,
        stock_pieces.c.end_no >= bgn)).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def containing(conn: Connection, batch: str, bgn: int, end: int) -> dict[str, Any] | None:
    """The one piece holding all of [bgn, end], if any."""
    row = conn.execute(select(stock_pieces).where(and_(
        stock_pieces.c.bill_batch_code == batch, stock_pieces.c.bgn_no <= bgn,
        stock_pieces.c.end_no >= end))).mappings().first()
    return dict(row) if row is not None else None


def add_lot(conn: Connection, values: dict[str, Any], now: str) -> int:
    """A new lot and its one piece in the store; the lot's id."""
    lot_id = inserted_id(conn.execute(insert(stock_lots).values(**values)))
    conn.execute(insert(stock_pieces).values(
        lot_id=lot_id, bill_code=values["bill_code"], bill_batch_code=values["bill_batch_code"],
        bgn_no=values["bgn_no"], end_no=values["end_no"], state="store", place_code=None, terminal_id=None,
        busy=None, updated_at=now))
    return lot_id


def carve(conn: Connection, piece: dict[str, Any], bgn: int, end: int, now: str) -> int:
    """Split ``piece`` so that [bgn, end] is a piece of its own (same attributes); its id."""
    keep = {k: piece[k] for k in ("lot_id", "bill_code", "bill_batch_code", "state", "place_code",
                                  "terminal_id", "busy")}
    if (piece["bgn_no"], piece["end_no"]) == (bgn, end):
        return int(piece["id"])
    conn.execute(delete(stock_pieces).where(stock_pieces.c.id == piece["id"]))
    middle = 0
    for a, b in ((piece["bgn_no"], bgn - 1), (bgn, end), (end + 1, piece["end_no"])):
        if a <= b:
            new_id = inserted_id(conn.execute(insert(stock_pieces).values(**keep, bgn_no=a, end_no=b,
                                                                           updated_at=now)))
            if (a, b) == (bgn, end):
                middle = new_id
    return middle


def set_piece(conn: Connection, piece_id: int, now: str, **values: Any) -> None:
    """Change one piece's state / holder / busy mark."""
    conn.execute(update(stock_pieces).where(stock_pieces.c.id == piece_id).values(**values, updated_at=now))


def merge(conn: Connection, lot_id: int, now: str) -> None:
    """Merge neighbouring pieces of a lot that agree in state, place and terminal (none busy)."""
    rows = [dict(r) for r in conn.execute(select(stock_pieces).where(stock_pieces.c.lot_id == lot_id)
                                          .order_by(stock_pieces.c.bgn_no)).mappings()]
    run: list[dict[str, Any]] = []

    def flush() -> None:
        if len(run) > 1:
            conn.execute(delete(stock_pieces).where(stock_pieces.c.id.in_([r["id"] for r in run[1:]])))
            conn.execute(update(stock_pieces).where(stock_pieces.c.id == run[0]["id"])
                         .values(end_no=run[-1]["end_no"], updated_at=now))

    for row in rows:
        prev = run[-1] if run else None
        if (prev is not None and prev["end_no"] + 1 == row["bgn_no"] and prev["busy"] is None
                and row["busy"] is None and all(prev[k] == row[k] for k in _SAME)):
            run.append(row)
            continue
        flush()
        run = [row]
    flush()


def record_move(conn: Connection, values: dict[str, Any]) -> int:
    """One journal row; its id."""
    return inserted_id(conn.execute(insert(stock_moves).values(**values)))


def move_by_request(conn: Connection, request_id: str) -> dict[str, Any] | None:
    """The journal row of a request, if it was done."""
    row = conn.execute(select(stock_moves).where(stock_moves.c.request_id == request_id)).mappings().first()
    return dict(row) if row is not None else None


def lot_width(conn: Connection, lot_id: int) -> int:
    """Digits of a lot's printed numbers."""
    return int(conn.execute(select(stock_lots.c.width).where(stock_lots.c.id == lot_id)).scalar_one())
