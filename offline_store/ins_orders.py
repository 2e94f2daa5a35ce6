"""Insured settlement orders: the durable record of the insured flow (migration 0005).

An order is inserted before the first call to the server; :func:`advance` moves it only from the
state the caller saw (compare-and-set: a resumed order and a live flow can never both move it) and
logs the move in the same transaction. Amounts are integer fen. Only the person's insurance number
is kept in columns; the certificate number 2201 needs stays in ``params``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from offline_store.db import Database, from_json, to_json
from offline_store.errors import NotFoundError, StoreError

#: States an order is not finished in (resume picks them up).
UNFINISHED = ("created", "registered", "pre_settled", "paying", "paid", "settling", "settled", "billed",
              "refunding", "cancelling")


@dataclass(frozen=True, slots=True)
class InsOrder:
    """One stored insured order."""

    order_no: str
    desk: str
    visit: str
    psn_no: str
    params: dict[str, Any]
    settlement_id: int | None
    medfee_fen: int
    fund_fen: int
    account_fen: int
    cash_fen: int
    cash_channel: str
    cash_trade_no: str
    setl_id: str
    bus_no: str
    bill: dict[str, Any]
    voucher: str
    steps: list[str]
    state: str
    message: str
    day: str
    created_at: str
    updated_at: str


def _order(r: sqlite3.Row) -> InsOrder:
    return InsOrder(r["order_no"], r["desk"], r["visit"], r["psn_no"], dict(from_json(r["params"])), r["settlement_id"],
                    r["medfee_fen"], r["fund_fen"], r["account_fen"], r["cash_fen"], r["cash_channel"],
                    r["cash_trade_no"], r["setl_id"], r["bus_no"], dict(from_json(r["bill"])), r["voucher"],
                    list(from_json(r["steps"])), r["state"], r["message"], r["day"], r["created_at"], r["updated_at"])


def create(db: Database, *, order_no: str, desk: str, visit: str, psn_no: str, params: dict[str, Any], bus_no: str,
           day: str, at: str) -> InsOrder:
    """Insert a new order in state ``created`` (committed when this returns)."""
    with db.atomic():
        db.execute("INSERT INTO ins_orders(order_no, desk, visit, psn_no, params, bus_no, day, created_at, updated_at) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)", (order_no, desk, visit, psn_no, to_json(params), bus_no, day, at, at))
        db.execute("INSERT INTO ins_order_log(order_no, from_state, to_state, note, at) VALUES(?, '', 'created', '', ?)",
                   (order_no, at))
    return get(db, order_no)


def get(db: Database, order_no: str) -> InsOrder:
    """One order. :raises NotFoundError: unknown number."""
    row = db.one("SELECT * FROM ins_orders WHERE order_no = ?", (order_no,))
    if row is None:
        raise NotFoundError(f"医保结算单不存在：{order_no}")
    return _order(row)


def by_settlement(db: Database, settlement_id: int) -> InsOrder | None:
    """The order of a server settlement record, if this terminal made it."""
    row = db.one("SELECT * FROM ins_orders WHERE settlement_id = ?", (settlement_id,))
    return None if row is None else _order(row)


_JSON = ("params", "bill", "steps")
_FIELDS = ("settlement_id", "medfee_fen", "fund_fen", "account_fen", "cash_fen", "cash_channel", "cash_trade_no",
           "setl_id", "voucher", "message", *_JSON)


def advance(db: Database, order_no: str, from_state: str, to_state: str, at: str, note: str = "",
            **fields: Any) -> InsOrder:
    """Move ``order_no`` from ``from_state`` to ``to_state`` and set ``fields`` (JSON ones encoded)
    in one transaction with its log line; ``from_state == to_state`` only updates fields.

    :raises StoreError: the order is no longer in ``from_state`` (someone else moved it).
    """
    unknown = set(fields) - set(_FIELDS)
    if unknown:
        raise ValueError(f"unknown order fields {sorted(unknown)}")
    sets = ["state = ?", "updated_at = ?"]
    values: list[Any] = [to_state, at]
    for name, value in fields.items():
        sets.append(f"{name} = ?")
        values.append(to_json(value) if name in _JSON else value)
    with db.atomic():
        cur = db.execute(f"UPDATE ins_orders SET {', '.join(sets)} WHERE order_no = ? AND state = ?",
                         (*values, order_no, from_state))
        if cur.rowcount != 1:
            raise StoreError(f"医保结算单{order_no}已不在{from_state}状态")
        if from_state != to_state or note:
            db.execute("INSERT INTO ins_order_log(order_no, from_state, to_state, note, at) VALUES(?, ?, ?, ?, ?)",
                       (order_no, from_state, to_state, note[:500], at))
    return get(db, order_no)


def unfinished(db: Database, desk: str | None = None) -> list[InsOrder]:
    """Orders not done / cancelled / abandoned, oldest first (of one desk kind, or all)."""
    marks = ", ".join("?" * len(UNFINISHED))
    sql = f"SELECT * FROM ins_orders WHERE state IN ({marks})"
    params: tuple[Any, ...] = UNFINISHED
    if desk is not None:
        sql += " AND desk = ?"
        params = (*UNFINISHED, desk)
    return [_order(r) for r in db.all(sql + " ORDER BY created_at, order_no", params)]


def of_day(db: Database, day: str) -> list[InsOrder]:
    """Orders of one day (``yyyy-mm-dd``), newest first."""
    return [_order(r) for r in db.all("SELECT * FROM ins_orders WHERE day = ? ORDER BY created_at DESC, order_no DESC",
                                      (day,))]


def history(db: Database, order_no: str) -> list[tuple[str, str, str]]:
    """The order's moves: (from, to, note), oldest first."""
    return [(r["from_state"], r["to_state"], r["note"]) for r in
            db.all("SELECT * FROM ins_order_log WHERE order_no = ? ORDER BY id", (order_no,))]


def next_seq(db: Database, day: str) -> int:
    """A per-day sequence for order numbers (kept in kv, committed before use)."""
    key = f"ins_order_seq:{day}"
    with db.atomic():
        n = int(db.get_value(key, 0)) + 1
        db.set_value(key, n)
    return n
