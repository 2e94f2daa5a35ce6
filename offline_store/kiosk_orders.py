"""Kiosk orders: the durable record of the kiosk's money path (migration 0004).

An order is inserted before the payment call; :func:`advance` moves its state forward only from
the state the caller saw (a compare-and-set, so a resumed order and a live flow can never both
move it) and logs the move in the same transaction. Amounts are integer fen.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from offline_store.db import Database, from_json, to_json
from offline_store.errors import NotFoundError, StoreError

UNFINISHED = ("created", "paid", "settled", "billed", "refunding")


@dataclass(frozen=True, slots=True)
class KioskOrder:
    """One stored kiosk order (patient id only: names and ID numbers stay in the HIS)."""

    order_no: str
    flow: str
    subject: str
    operation: str
    params: dict[str, Any]
    patient_id: str
    amount_fen: int
    pay_method: str
    pay_channel: str
    transaction_id: str
    state: str
    settlements: list[str]
    bills: list[dict[str, Any]]
    refund_no: str
    message: str
    result: dict[str, Any]
    day: str
    created_at: str
    updated_at: str


def _order(r: sqlite3.Row) -> KioskOrder:
    return KioskOrder(r["order_no"], r["flow"], r["subject"], r["operation"], from_json(r["params"]), r["patient_id"],
                      r["amount_fen"], r["pay_method"], r["pay_channel"], r["transaction_id"], r["state"],
                      list(from_json(r["settlements"])), list(from_json(r["bills"])), r["refund_no"], r["message"],
                      dict(from_json(r["result"])), r["day"], r["created_at"], r["updated_at"])


def create(db: Database, *, order_no: str, flow: str, subject: str, operation: str, params: dict[str, Any],
           patient_id: str, amount_fen: int, pay_method: str, day: str, at: str) -> KioskOrder:
    """Insert a new order in state ``created`` (committed when this returns)."""
    with db.atomic():
        db.execute("INSERT INTO kiosk_orders(order_no, flow, subject, operation, params, patient_id, amount_fen, "
                   "pay_method, day, created_at, updated_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (order_no, flow, subject, operation, to_json(params), patient_id, amount_fen, pay_method, day, at, at))
        db.execute("INSERT INTO kiosk_order_log(order_no, from_state, to_state, note, at) VALUES(?, '', 'created', '', ?)",
                   (order_no, at))
    return get(db, order_no)


def get(db: Database, order_no: str) -> KioskOrder:
    """One order. :raises NotFoundError: unknown number."""
    row = db.one("SELECT * FROM kiosk_orders WHERE order_no = ?", (order_no,))
    if row is None:
        raise NotFoundError(f"自助机订单不存在：{order_no}")
    return _order(row)


_JSON = ("settlements", "bills", "result", "params")
_FIELDS = ("pay_channel", "transaction_id", "refund_no", "message", *_JSON)


def advance(db: Database, order_no: str, from_state: str, to_state: str, at: str, note: str = "",
            **fields: Any) -> KioskOrder:
    """Move ``order_no`` from ``from_state`` to ``to_state`` and set ``fields`` (JSON ones encoded),
    in one transaction with its log line. ``from_state == to_state`` only updates fields.

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
        cur = db.execute(f"UPDATE kiosk_orders SET {', '.join(sets)} WHERE order_no = ? AND state = ?",
                         (*values, order_no, from_state))
        if cur.rowcount != 1:
            raise StoreError(f"自助机订单{order_no}已不在{from_state}状态")
        if from_state != to_state:
            db.execute("INSERT INTO kiosk_order_log(order_no, from_state, to_state, note, at) VALUES(?, ?, ?, ?, ?)",
                       (order_no, from_state, to_state, note, at))
    return get(db, order_no)


def unfinished(db: Database) -> list[KioskOrder]:
    """Orders not yet printed / refunded / failed, oldest first."""
    marks = ", ".join("?" * len(UNFINISHED))
    return [_order(r) for r in db.all(f"SELECT * FROM kiosk_orders WHERE state IN ({marks}) ORDER BY created_at, "
                                      "order_no", UNFINISHED)]


def of_day(db: Database, day: str | None = None) -> list[KioskOrder]:
    """Orders of one day (``yyyy-mm-dd``), or all, newest first."""
    if day is None:
        return [_order(r) for r in db.all("SELECT * FROM kiosk_orders ORDER BY created_at DESC, order_no DESC")]
    return [_order(r) for r in db.all("SELECT * FROM kiosk_orders WHERE day = ? ORDER BY created_at DESC, "
                                      "order_no DESC", (day,))]


def history(db: Database, order_no: str) -> list[tuple[str, str, str]]:
    """The order's moves: (from, to, note), oldest first."""
    return [(r["from_state"], r["to_state"], r["note"]) for r in
            db.all("SELECT * FROM kiosk_order_log WHERE order_no = ? ORDER BY id", (order_no,))]


def next_seq(db: Database, day: str) -> int:
    """A per-day sequence for order numbers (kept in kv, committed before use)."""
    key = f"kiosk_order_seq:{day}"
    with db.atomic():
        n = int(db.get_value(key, 0)) + 1
        db.set_value(key, n)
    return n


def store_salt(db: Database) -> str:
    """Four random characters chosen once per store (part of every order number)."""
    with db.atomic():
        salt = db.get_value("kiosk_order_salt")
        if not salt:
            alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
            salt = "".join(secrets.choice(alphabet) for _ in range(4))
            db.set_value("kiosk_order_salt", salt)
    return str(salt)


def add_survey(db: Database, answers: dict[str, str], comment: str, at: str) -> int:
    """Store one survey answer sheet."""
    cur = db.execute("INSERT INTO kiosk_survey(answers, comment, at) VALUES(?, ?, ?)", (to_json(answers), comment, at))
    assert cur.lastrowid is not None
    return cur.lastrowid


def survey_summary(db: Database) -> dict[str, dict[str, int]]:
    """Question key -> option -> count (the control centre's 满意度汇总)."""
    out: dict[str, dict[str, int]] = {}
    for r in db.all("SELECT answers FROM kiosk_survey"):
        for key, option in dict(from_json(r["answers"])).items():
            out.setdefault(key, {}).setdefault(option, 0)
            out[key][option] += 1
    return out
