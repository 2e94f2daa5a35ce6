"""Read API of the bill stock (issue 18 §2; docs/STOCK.md "Read API"): what the stock screens
and the reports (库存结余, 库存不足预警, 入库/分发/作废情况, 领用存) read. Nothing here writes.

Every function takes an open connection (``read_tx``) and answers plain dicts with wire-style
camelCase keys and numbers as printed (zero padded to the lot's width), so the terminal API can
answer them unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Integer, and_, case, cast, func, select

from sync_server.store.schema import paper_bills, stock_ranges
from sync_server.store.stock_schema import stock_lots, stock_moves, stock_pieces, stock_thresholds

#: Holder name of the finance office's store in answers (place_code "" in thresholds).
STORE = ""


def fmt(n: int, width: int) -> str:
    """A number as printed: zero padded to the lot's width."""
    return str(n).zfill(width)


def _widths(conn: Connection) -> dict[int, int]:
    return {r.id: r.width for r in conn.execute(select(stock_lots.c.id, stock_lots.c.width))}


def _move_sums(conn: Connection, before_day: str | None = None) -> dict[tuple[int, str, str | None], int]:
    q = select(stock_moves.c.lot_id, stock_moves.c.action, stock_moves.c.from_state,
               func.sum(stock_moves.c.count)).group_by(
        stock_moves.c.lot_id, stock_moves.c.action, stock_moves.c.from_state)
    if before_day is not None:
        q = q.where(stock_moves.c.day < before_day)
    return {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(q)}


def lot_balances(conn: Connection, bill_code: str | None = None) -> list[dict[str, Any]]:
    """库存结余 per lot (range as received): the balance equation of docs/STOCK.md.

    ``received`` (opening or stock-in) ``- distributed`` (net of recalls) ``- voided`` (from the
    store) ``- returned = balance``; ``store`` is the count of the lot's pieces in the store, which
    must equal ``balance`` (``ok``). ``held`` is what windows and kiosks hold, ``voidedHeld`` what
    they voided.
    """
    sums = _move_sums(conn)
    pieces: dict[tuple[int, str], int] = {
        (r[0], r[1]): int(r[2]) for r in conn.execute(
            select(stock_pieces.c.lot_id, stock_pieces.c.state,
                   func.sum(stock_pieces.c.end_no - stock_pieces.c.bgn_no + 1))
            .group_by(stock_pieces.c.lot_id, stock_pieces.c.state))}
    q = select(stock_lots).order_by(stock_lots.c.bill_code, stock_lots.c.bill_batch_code, stock_lots.c.bgn_no)
    if bill_code:
        q = q.where(stock_lots.c.bill_code == bill_code)
    out: list[dict[str, Any]] = []
    for lot in conn.execute(q).mappings():
        lid = lot["id"]
        received = lot["end_no"] - lot["bgn_no"] + 1
        distributed = sums.get((lid, "distribute", "store"), 0) - sums.get((lid, "recall", "distributed"), 0)
        voided = sums.get((lid, "void", "store"), 0)
        returned = sums.get((lid, "return", "store"), 0)
        balance = received - distributed - voided - returned
        store = pieces.get((lid, "store"), 0)
        out.append({
            "lotId": lid, "origin": lot["origin"], "billCode": lot["bill_code"], "billName": lot["bill_name"],
            "billBatchCode": lot["bill_batch_code"], "billBgnNo": fmt(lot["bgn_no"], lot["width"]),
            "billEndNo": fmt(lot["end_no"], lot["width"]), "receivedAt": lot["received_at"],
            "received": received, "distributed": distributed, "voided": voided, "returned": returned,
            "balance": balance, "store": store, "held": pieces.get((lid, "distributed"), 0),
            "voidedHeld": sums.get((lid, "void", "distributed"), 0), "ok": balance == store,
        })
    return out


def pieces(conn: Connection, *, state: str | None = None, place_code: str | None = None,
           bill_code: str | None = None) -> list[dict[str, Any]]:
    """Every piece (contiguous range in one state and place), in number order."""
    widths = _widths(conn)
    q = select(stock_pieces).order_by(stock_pieces.c.bill_batch_code, stock_pieces.c.bgn_no)
    if state:
        q = q.where(stock_pieces.c.state == state)
    if place_code is not None:
        q = q.where(stock_pieces.c.place_code == place_code)
    if bill_code:
        q = q.where(stock_pieces.c.bill_code == bill_code)
    return [{"pieceId": p["id"], "lotId": p["lot_id"], "billCode": p["bill_code"],
             "billBatchCode": p["bill_batch_code"], "billBgnNo": fmt(p["bgn_no"], widths.get(p["lot_id"], 10)),
             "billEndNo": fmt(p["end_no"], widths.get(p["lot_id"], 10)), "count": p["end_no"] - p["bgn_no"] + 1,
             "state": p["state"], "placeCode": p["place_code"], "terminalId": p["terminal_id"],
             "busy": p["busy"]} for p in conn.execute(q).mappings()]


def _used(conn: Connection, batch: str, bgn: int, end: int) -> int:
    """Paper numbers of a range the server has seen used (exchanged, reprinted, voided blank)."""
    n = cast(paper_bills.c.p_bill_no, Integer)
    return int(conn.execute(select(func.count()).where(and_(
        paper_bills.c.p_bill_batch_code == batch, n >= bgn, n <= end))).scalar_one())


def holdings(conn: Connection, place_code: str | None = None) -> list[dict[str, Any]]:
    """What each billing point / terminal holds per bill kind: ``held`` numbers distributed to it,
    ``used`` of them (paper bills the server recorded), ``remaining``."""
    acc: dict[tuple[str, str, str], dict[str, Any]] = {}
    for p in pieces(conn, state="distributed", place_code=place_code):
        key = (p["placeCode"] or "", p["terminalId"] or "", p["billCode"])
        row = acc.setdefault(key, {"placeCode": key[0], "terminalId": key[1], "billCode": key[2],
                                   "held": 0, "used": 0, "ranges": []})
        row["held"] += p["count"]
        row["used"] += _used(conn, p["billBatchCode"], int(p["billBgnNo"]), int(p["billEndNo"]))
        row["ranges"].append({k: p[k] for k in ("billBatchCode", "billBgnNo", "billEndNo", "count")})
    for row in acc.values():
        row["remaining"] = row["held"] - row["used"]
    return [acc[k] for k in sorted(acc)]


def moves(conn: Connection, day_from: str, day_to: str, *, actions: Iterable[str] = (),
          place_code: str | None = None, bill_code: str | None = None) -> list[dict[str, Any]]:
    """The journal between two days (yyyy-MM-dd, inclusive): 入库 (opening, in), 分发 (distribute,
    recall), 作废 (void), 申退 (return)."""
    widths = _widths(conn)
    q = select(stock_moves).where(and_(stock_moves.c.day >= day_from, stock_moves.c.day <= day_to))
    acts = tuple(actions)
    if acts:
        q = q.where(stock_moves.c.action.in_(acts))
    if place_code is not None:
        q = q.where(stock_moves.c.place_code == place_code)
    if bill_code:
        q = q.where(stock_moves.c.bill_code == bill_code)
    return [{"moveId": m["id"], "action": m["action"], "day": m["day"], "at": m["at"], "lotId": m["lot_id"],
             "billCode": m["bill_code"], "billBatchCode": m["bill_batch_code"],
             "billBgnNo": fmt(m["bgn_no"], widths.get(m["lot_id"], 10)),
             "billEndNo": fmt(m["end_no"], widths.get(m["lot_id"], 10)), "count": m["count"],
             "fromState": m["from_state"], "placeCode": m["place_code"], "terminalId": m["terminal_id"],
             "applyId": m["apply_id"], "operator": m["operator"], "reason": m["reason"]}
            for m in conn.execute(q.order_by(stock_moves.c.id)).mappings()]


#: How each journal action changes the store's balance (领用存).
_STORE_SIGN = {"opening": 1, "in": 1, "distribute": -1, "recall": 1, "return": -1}


def ledger(conn: Connection, day_from: str, day_to: str) -> list[dict[str, Any]]:
    """领用存 of the store per bill kind between two days: ``opening`` balance before ``day_from``,
    ``received`` (期初 + 入库), ``distributed`` (net of recalls), ``voided`` (from the store),
    ``returned`` and ``closing`` = opening + received - distributed - voided - returned."""
    def signed(action: str, from_state: str | None) -> int:
        if action == "void":
            return -1 if from_state == "store" else 0
        return _STORE_SIGN[action]

    rows: dict[str, dict[str, int]] = {}
    q = select(stock_moves.c.bill_code, stock_moves.c.action, stock_moves.c.from_state, stock_moves.c.day,
               stock_moves.c.count).where(stock_moves.c.day <= day_to)
    for code, action, from_state, day, count in conn.execute(q):
        r = rows.setdefault(code, {"opening": 0, "received": 0, "distributed": 0, "voided": 0, "returned": 0})
        if day < day_from:
            r["opening"] += signed(action, from_state) * count
        elif action in ("opening", "in"):
            r["received"] += count
        elif action == "distribute":
            r["distributed"] += count
        elif action == "recall":
            r["distributed"] -= count
        elif action == "void" and from_state == "store":
            r["voided"] += count
        elif action == "return":
            r["returned"] += count
    return [{"billCode": c, **r, "closing": r["opening"] + r["received"] - r["distributed"] - r["voided"]
             - r["returned"]} for c, r in sorted(rows.items())]


def thresholds(conn: Connection) -> list[dict[str, Any]]:
    """Every low-stock threshold (``placeCode`` "" = the store; ``terminalId`` "" = whole point)."""
    return [{"placeCode": t.place_code, "terminalId": t.terminal_id, "billCode": t.bill_code,
             "minCount": t.min_count} for t in conn.execute(select(stock_thresholds).order_by(
                 stock_thresholds.c.place_code, stock_thresholds.c.terminal_id, stock_thresholds.c.bill_code))]


def warnings(conn: Connection) -> list[dict[str, Any]]:
    """库存不足预警: every threshold whose holder has fewer numbers left than its minimum."""
    store_left: dict[str, int] = {}
    for p in pieces(conn, state="store"):
        store_left[p["billCode"]] = store_left.get(p["billCode"], 0) + p["count"]
    held = holdings(conn)
    out: list[dict[str, Any]] = []
    for t in thresholds(conn):
        if t["placeCode"] == STORE:
            left = store_left.get(t["billCode"], 0)
        else:
            left = sum(h["remaining"] for h in held if h["placeCode"] == t["placeCode"]
                       and h["billCode"] == t["billCode"]
                       and (t["terminalId"] == "" or h["terminalId"] == t["terminalId"]))
        if left < t["minCount"]:
            where = "财务库房" if t["placeCode"] == STORE else f"开票点{t['placeCode']}" + (
                f"终端{t['terminalId']}" if t["terminalId"] else "")
            out.append({**t, "remaining": left,
                        "message": f"{where}票据（{t['billCode']}）剩余{left}张，低于预警值{t['minCount']}张"})
    return out


def emergency_view(conn: Connection) -> list[dict[str, Any]]:
    """Emergency stock (issue 7, built in sync_server/stock and sync_server/emergency) in the same
    view: every block, its holder (terminal appid; None = the server), used and left numbers."""
    used = case((stock_ranges.c.next_no > cast(stock_ranges.c.end_no, Integer),
                 cast(stock_ranges.c.end_no, Integer) - cast(stock_ranges.c.bgn_no, Integer) + 1),
                else_=stock_ranges.c.next_no - cast(stock_ranges.c.bgn_no, Integer))
    q = select(stock_ranges, used.label("used")).order_by(stock_ranges.c.place_code, stock_ranges.c.id)
    return [{"rangeId": r["id"], "kind": r["kind"], "placeCode": r["place_code"], "holder": r["holder"],
             "billBatchCode": r["bill_batch_code"], "billBgnNo": r["bgn_no"], "billEndNo": r["end_no"],
             "state": r["state"], "used": int(r["used"]),
             "left": int(r["end_no"]) - int(r["bgn_no"]) + 1 - int(r["used"]) if r["state"] == "active" else 0}
            for r in conn.execute(q).mappings()]
