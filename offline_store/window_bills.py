"""The cashier window's marks on the bills of this terminal, and the bill list queries and 日结 read.

The bill itself — full request, number, check code, emergency state — is written by the issuing
workflow into ``online_bills`` / ``journal`` (one record of every bill, issue 7 §1). A cashier
window needs a few more facts about each bill for its queries and the daily report (issue 8 §3,
§4, §6): the bill kind shown in lists, paper exchanged / reprinted / voided, red-flushed, notice
printed or pushed. They live in ``window_bills``, keyed by busNo, beside the workflow's tables.

Its schema is a named migration set of its own (``offline_store.window``, recorded in the same
``_sqlite_migrations`` table), applied by :func:`ensure_schema` when a window opens the store:
the headless terminal runtime and the kiosk never carry the table they do not use.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils.migrations import Migrations

from offline_store.db import Database, from_json, to_json
from offline_store.migrations import _migration, apply_migrations

_W001 = """
CREATE TABLE window_bills (
    bus_no TEXT PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'normal' CHECK (state IN ('normal', 'red')),
    paper_batch_code TEXT NOT NULL DEFAULT '',
    paper_no TEXT NOT NULL DEFAULT '',
    voided_papers TEXT NOT NULL DEFAULT '[]',
    reprint_reason TEXT NOT NULL DEFAULT '',
    red_batch_code TEXT NOT NULL DEFAULT '',
    red_bill_no TEXT NOT NULL DEFAULT '',
    red_reason TEXT NOT NULL DEFAULT '',
    red_random TEXT NOT NULL DEFAULT '',
    red_create_time TEXT NOT NULL DEFAULT '',
    notice_printed INTEGER NOT NULL DEFAULT 0,
    notice_sent TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE INDEX online_bills_created ON online_bills(created_at);
CREATE INDEX journal_issue_time ON journal(issue_time)
"""

#: (name, script) of the window's set, in order; never rename or edit a released one.
SCRIPTS: list[tuple[str, str]] = [("0001_window_bills", _W001)]

WINDOW_MIGRATIONS = Migrations("offline_store.window")
for _name, _script in SCRIPTS:
    WINDOW_MIGRATIONS(name=_name)(_migration(_script))

#: Columns a window may set (everything but the key and the timestamp).
MARKS = ("kind", "state", "paper_batch_code", "paper_no", "voided_papers", "reprint_reason", "red_batch_code",
         "red_bill_no", "red_reason", "red_random", "red_create_time", "notice_printed", "notice_sent")


def ensure_schema(db: Database) -> list[str]:
    """Apply the window's migrations (idempotent); returns the names applied now."""
    return apply_migrations(db, WINDOW_MIGRATIONS)


def set_marks(db: Database, bus_no: str, marks: dict[str, Any], at: str) -> None:
    """Insert or update the marks of one bill (unknown keys are refused)."""
    bad = set(marks) - set(MARKS)
    if bad:
        raise ValueError(f"unknown window_bills columns: {sorted(bad)}")
    values = {k: (to_json(v) if k == "voided_papers" else int(v) if k == "notice_printed" else v)
              for k, v in marks.items()}
    cols = ["bus_no", *values, "updated_at"]
    updates = ", ".join(f"{k} = excluded.{k}" for k in [*values, "updated_at"])
    db.execute(f"INSERT INTO window_bills({', '.join(cols)}) VALUES({', '.join('?' * len(cols))})"
               f" ON CONFLICT(bus_no) DO UPDATE SET {updates}", (bus_no, *values.values(), at))


_W = ", ".join(f"w.{m}" for m in MARKS)
_ONLINE = ("SELECT 'online' AS mode, o.bus_no, o.method, o.request, o.response AS answer, o.created_at AS at,"
           " NULL AS carry_state, NULL AS e_batch, NULL AS e_no, NULL AS e_random, NULL AS writeoff_state,"
           f" NULL AS writeoff_result, {_W}"
           " FROM online_bills o LEFT JOIN window_bills w ON w.bus_no = o.bus_no")
_EMERGENCY = ("SELECT 'emergency' AS mode, j.bus_no, j.method, j.request, NULL AS answer, j.issue_time AS at,"
              " j.state AS carry_state, j.bill_batch_code AS e_batch, j.bill_no AS e_no, j.random AS e_random,"
              " j.writeoff AS writeoff_state, j.writeoff_result,"
              f" {_W} FROM journal j LEFT JOIN window_bills w ON w.bus_no = j.bus_no")


def _row(r: Any) -> dict[str, Any]:
    d = dict(r)
    d["request"] = from_json(r["request"])
    if r["mode"] == "online":
        d["answer"] = from_json(r["answer"]) or {}
    else:
        d["answer"] = {"billBatchCode": r["e_batch"], "billNo": r["e_no"], "random": r["e_random"],
                       "createTime": r["at"]}
    d["writeoff_result"] = from_json(r["writeoff_result"])
    d["voided_papers"] = from_json(r["voided_papers"]) if r["voided_papers"] else []
    d["notice_printed"] = bool(r["notice_printed"])
    return d


def bills(db: Database, *, at_from: str = "", at_to: str = "", bus_no: str = "",
          number: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """Every bill of this terminal (online and emergency) with its window marks, oldest first.

    :param at_from: / :param at_to: ts17 bounds (inclusive prefix compare) on the local record time.
    :param bus_no: only this busNo; :param number: only this ``(billBatchCode, billNo)``.
    :returns: dicts with ``mode``, ``bus_no``, ``method``, ``request``, ``answer`` (billBatchCode,
        billNo, random, createTime), ``carry_state`` (emergency: issued / uploaded / conflict /
        rejected), ``writeoff_state`` / ``writeoff_result`` (emergency: a write-off queued behind the
        upload, offline_store.writeoffs) and the :data:`MARKS` columns (None where the window never marked the bill).
    """
    out: list[dict[str, Any]] = []
    for base, key, col in ((_ONLINE, "o", "created_at"), (_EMERGENCY, "j", "issue_time")):
        where, params = [], []
        if at_from:
            where.append(f"{key}.{col} >= ?")
            params.append(at_from)
        if at_to:
            where.append(f"{key}.{col} <= ?")
            params.append(at_to)
        if bus_no:
            where.append(f"{key}.bus_no = ?")
            params.append(bus_no)
        if number:
            where.append(f"{key}.bill_batch_code = ? AND {key}.bill_no = ?")
            params.extend(number)
        sql = base + (" WHERE " + " AND ".join(where) if where else "")
        out.extend(_row(r) for r in db.all(sql, params))
    out.sort(key=lambda d: (d["at"], d["answer"].get("billNo", "")))
    return out
