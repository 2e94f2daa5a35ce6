"""The SM3 hash chain every normal and red bill is appended to (seed 000 item 13, "源头上链").

Entry n stores ``content_hash = SM3(canonical immutable fields of the bill)`` and
``link_hash = SM3(link_hash(n-1) + content_hash)``. A red bill's content names its blue bill,
and the blue bill's 已冲红 flag (``is_scarlet``) must agree with the chain: verification fails
when any stored bill, any link, or any 冲红 mark was altered, removed or added off-chain.

Command line: ``python -m simulators.finance.chain verify DIR`` (exit 0 = intact, 1 = broken).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from billing_core.crypto import sm3_hex

GENESIS = "0" * 64
#: The columns fixed at issue time; later state (paper, 冲红, booking) is not hashed.
CONTENT_COLUMNS = (
    "doc", "kind", "method", "bill_batch_code", "bill_no", "random", "bus_no", "bus_type",
    "bus_date_time", "place_code", "payer", "total_amt", "create_time", "blue_id", "emergency",
    "terminal_id", "data_json",
)


def content_hash(bill: dict[str, Any] | sqlite3.Row, blue_key: str = "") -> str:
    """SM3 of the bill's immutable fields (``blue_key`` = "code/no" of the blue bill of a red one)."""
    record = {c: bill[c] for c in CONTENT_COLUMNS}
    record["blue"] = blue_key
    return sm3_hex(json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())


def append(db: sqlite3.Connection, bill_id: int, now: str) -> str:
    """Append a stored bill to the chain (inside the caller's transaction); returns the link."""
    bill = db.execute("SELECT * FROM bills WHERE id = ?", (bill_id,)).fetchone()
    blue_key = _blue_key(db, bill)
    prev = db.execute("SELECT link_hash FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    prev_hash = prev[0] if prev else GENESIS
    c_hash = content_hash(bill, blue_key)
    link = sm3_hex((prev_hash + c_hash).encode())
    db.execute(
        "INSERT INTO chain (bill_id, entry_kind, content_hash, prev_hash, link_hash, time) VALUES (?, ?, ?, ?, ?, ?)",
        (bill_id, bill["kind"], c_hash, prev_hash, link, now))
    return link


def _blue_key(db: sqlite3.Connection, bill: sqlite3.Row) -> str:
    if bill["blue_id"] is None:
        return ""
    blue = db.execute("SELECT bill_batch_code, bill_no FROM bills WHERE id = ?", (bill["blue_id"],)).fetchone()
    return f"{blue[0]}/{blue[1]}" if blue else "?"


def verify(db: sqlite3.Connection) -> list[str]:
    """Every problem found in the chain (empty list = intact)."""
    db.row_factory = sqlite3.Row
    problems: list[str] = []
    prev = GENESIS
    on_chain: set[int] = set()
    for entry in db.execute("SELECT * FROM chain ORDER BY seq"):
        seq = entry["seq"]
        if entry["prev_hash"] != prev:
            problems.append(f"第{seq}条：前序哈希不连续")
        bill = db.execute("SELECT * FROM bills WHERE id = ?", (entry["bill_id"],)).fetchone()
        if bill is None:
            problems.append(f"第{seq}条：票据记录已被删除（id={entry['bill_id']}）")
        else:
            if content_hash(bill, _blue_key(db, bill)) != entry["content_hash"]:
                problems.append(f"第{seq}条：票据 {bill['bill_batch_code']}/{bill['bill_no']} 内容被篡改")
            on_chain.add(bill["id"])
        if sm3_hex((entry["prev_hash"] + entry["content_hash"]).encode()) != entry["link_hash"]:
            problems.append(f"第{seq}条：链接哈希被篡改")
        prev = entry["link_hash"]
    for bill in db.execute("SELECT id, bill_batch_code, bill_no FROM bills"):
        if bill["id"] not in on_chain:
            problems.append(f"票据 {bill['bill_batch_code']}/{bill['bill_no']} 未上链")
    # 已冲红 marks must match the red bills on the chain (seed 000 item 13).
    reds = {r["blue_id"] for r in db.execute("SELECT blue_id FROM bills WHERE kind = 'red' AND blue_id IS NOT NULL")}
    for blue in db.execute("SELECT id, bill_batch_code, bill_no, is_scarlet FROM bills WHERE kind = 'blue'"):
        if bool(blue["is_scarlet"]) != (blue["id"] in reds):
            problems.append(f"票据 {blue['bill_batch_code']}/{blue['bill_no']} 的已冲红状态与红票不一致")
    return problems


def main(argv: list[str] | None = None) -> int:
    """``verify DIR``: print the result, exit 0 when intact and 1 when anything was altered."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "verify":
        print("用法: python -m simulators.finance.chain verify DIR", file=sys.stderr)
        return 2
    path = Path(args[1]) / "finance.sqlite3"
    if not path.exists():
        print(f"找不到数据库：{path}", file=sys.stderr)
        return 2
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        problems = verify(db)
        count = db.execute("SELECT COUNT(*) FROM chain").fetchone()[0]
    finally:
        db.close()
    if problems:
        for p in problems[:50]:
            print(p)
        print(f"哈希链校验失败：{len(problems)}处问题（共{count}条）")
        return 1
    print(f"哈希链完整：共{count}条")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
