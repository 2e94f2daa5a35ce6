"""年结: closing a year's numbering (issue 18 §5; docs/STOCK.md "Year-end").

**The bill's issue date decides its year.** A bill belongs to the year of its issue time
(``bills.create_time``, yyyyMMddHHmmssSSS China time; for an emergency bill the time printed on
it, ``issueTime``, never the time it reached the server or the platform). So an emergency block
reserved before 31 December and used across midnight yields bills of both years, each carried
forward with the number and time printed; a bill issued offline at 23:58 and uploaded after
midnight is a bill of the old year.

:func:`year_summary` answers, for a year: the bills issued in it by origin and carry-forward
state, the emergency blocks that span the year's end (bills of this year and the next from one
block), what terminals still report pending, and the paper-stock 领用存 of the year.

:func:`close_year` closes the year once nothing of it can still arrive, and refuses (E5952,
naming what is open) while:

* the server's clock is still in that year;
* an emergency bill issued in that year is not carried forward (``carry`` pending) or is in doubt;
* a terminal holding an emergency block was last heard of before the year ended (it may hold
  bills of the year offline), or reports pending uploads issued in that year.

The closure is recorded (``settings`` row ``year_closed:<year>`` with its summary) and audited;
closing again answers the recorded summary.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, select

from billing_core.clock import ts17
from sync_server.context import ServerContext
from sync_server.security.audit import Actor, audit
from sync_server.stock.errors import StockInputError, YearEndError
from sync_server.stock.stock_read import ledger
from sync_server.store.db import read_tx, write_tx
from sync_server.store.emergency_schema import terminal_status
from sync_server.store.schema import bills, settings, stock_ranges

CENT = Decimal("0.01")
#: Bill origins whose number came from emergency stock (carried forward).
EMERGENCY_ORIGINS = ("emergency", "terminal")


def closed_key(year: int) -> str:
    """The ``settings`` row recording a closed year."""
    return f"year_closed:{year}"


def check_year(value: Any) -> int:
    """A four-digit year (E5941 otherwise)."""
    text = str(value or "").strip()
    if len(text) != 4 or not text.isdigit() or not 2000 <= int(text) <= 2999:
        raise StockInputError("年度（year）必须是四位数字年份")
    return int(text)


def _in_year(column: Any, year: int) -> Any:
    # ts17 strings sort as times: [yyyy0101..., (yyyy+1)0101...)
    return and_(column >= f"{year}0101000000000", column < f"{year + 1}0101000000000")


def year_summary(conn: Any, year: int) -> dict[str, Any]:
    """What the year holds (module docstring); read only."""
    by_origin: dict[str, dict[str, Any]] = {}
    for origin, carry, in_doubt, count, amount in conn.execute(
            select(bills.c.origin, bills.c.carry, bills.c.in_doubt, func.count(), func.sum(bills.c.total_amt))
            .where(and_(_in_year(bills.c.create_time, year), bills.c.state == "issued"))
            .group_by(bills.c.origin, bills.c.carry, bills.c.in_doubt)):
        row = by_origin.setdefault(origin, {"count": 0, "amount": "0.00", "carryPending": 0, "inDoubt": 0})
        row["count"] += int(count)
        row["amount"] = str((Decimal(row["amount"]) + Decimal(amount or 0)).quantize(CENT))
        if carry == "pending":
            row["carryPending"] += int(count)
        if in_doubt:
            row["inDoubt"] += int(count)
    # emergency bills of this year and the next: which blocks gave numbers to both
    spanning = conn.execute(select(bills.c.bill_batch_code, bills.c.bill_no, bills.c.create_time).where(and_(
        bills.c.origin.in_(EMERGENCY_ORIGINS), bills.c.create_time >= f"{year}0101000000000",
        bills.c.create_time < f"{year + 2}0101000000000"))).all()
    blocks: dict[int, dict[str, Any]] = {}
    ranges = conn.execute(select(stock_ranges).where(stock_ranges.c.kind.in_(
        ("emergency_server", "emergency_terminal")))).mappings().all()
    for code, no, created in spanning:
        for b in ranges:
            if b["bill_batch_code"] == code and int(b["bgn_no"]) <= int(no) <= int(b["end_no"]):
                row = blocks.setdefault(b["id"], {"rangeId": b["id"], "kind": b["kind"], "holder": b["holder"],
                                                  "placeCode": b["place_code"], "billBatchCode": code,
                                                  "billBgnNo": b["bgn_no"], "billEndNo": b["end_no"],
                                                  "thisYear": 0, "nextYear": 0})
                row["thisYear" if created[:4] == str(year) else "nextYear"] += 1
                break
    pending = [{"terminalId": t["terminal_id"], "pendingUploads": t["pending_uploads"] or 0,
                "oldestPending": t["oldest_pending"], "lastSeen": t["last_seen"]}
               for t in conn.execute(select(terminal_status)).mappings()
               if (t["pending_uploads"] or 0) > 0 and (t["oldest_pending"] or "9") < f"{year + 1}"]
    return {"year": year, "bills": by_origin,
            "spanningBlocks": [b for b in blocks.values() if b["thisYear"] and b["nextYear"]],
            "terminalsPending": pending,
            "paperLedger": ledger(conn, f"{year}-01-01", f"{year}-12-31")}


def _open_items(conn: Any, year: int, summary: dict[str, Any]) -> list[str]:
    """What keeps the year open, in Chinese (empty: it can be closed)."""
    problems: list[str] = []
    for origin in EMERGENCY_ORIGINS:
        row = summary["bills"].get(origin)
        if row and row["carryPending"]:
            problems.append(f"{year}年开具的应急票据尚有{row['carryPending']}张未结转到财政平台")
    doubt = sum(r["inDoubt"] for r in summary["bills"].values())
    if doubt:
        problems.append(f"{year}年开具的票据尚有{doubt}张结果待确认（in doubt）")
    holders = {r[0] for r in conn.execute(select(stock_ranges.c.holder).where(and_(
        stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.state == "active")))}
    seen = {t["terminal_id"]: t for t in conn.execute(select(terminal_status)).mappings()}
    for holder in sorted(h for h in holders if h):
        st = seen.get(holder)
        if st is None or st["last_seen"] < f"{year + 1}0101000000000":
            problems.append(f"终端{holder}持有应急号段，年末后尚未上报（可能有未上传的{year}年应急票据）")
    for t in summary["terminalsPending"]:
        problems.append(f"终端{t['terminalId']}尚有{t['pendingUploads']}张应急票据未上传（最早开具于{t['oldestPending']}）")
    return problems


def close_year(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Close ``year`` (module docstring); the closure's summary."""
    year = check_year(data.get("year"))
    now = ts17(ctx.clock.now())
    with write_tx(ctx.engine) as conn:
        done = conn.execute(select(settings.c.value).where(settings.c.name == closed_key(year))).scalar()
        if done is not None:
            return dict(json.loads(done))
        if now[:4] <= str(year):
            raise YearEndError(f"{year}年尚未结束（服务器时间{now[:4]}-{now[4:6]}-{now[6:8]}），不能年结")
        summary = year_summary(conn, year)
        problems = _open_items(conn, year, summary)
        if problems:
            raise YearEndError(f"{year}年不能年结：" + "；".join(problems))
        closed = {**summary, "closed": True, "closedAt": now, "closedBy": who.actor}
        conn.execute(insert(settings).values(name=closed_key(year), value=json.dumps(closed, ensure_ascii=False)))
        audit(conn, ctx.clock, who, "year_close", "year", year, None,
              {"year": year, "bills": summary["bills"], "spanningBlocks": len(summary["spanningBlocks"])})
    return closed


def year_end(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """``stockYearEnd``: the year's summary (``close`` false) or its closure (``close`` true)."""
    if data.get("close") in (True, "1", "true"):
        return close_year(ctx, who, data)
    year = check_year(data.get("year"))
    with read_tx(ctx.engine) as conn:
        done = conn.execute(select(settings.c.value).where(settings.c.name == closed_key(year))).scalar()
        summary = year_summary(conn, year)
        summary["closed"] = done is not None
        summary["openItems"] = [] if done is not None else _open_items(conn, year, summary)
    return summary
