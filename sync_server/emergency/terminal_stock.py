"""Terminal emergency stock after hand-out: 申退 returns and revocation of a lost terminal's blocks.

* **申退** (``emergencyStockReturn``, docs/EMERGENCY.md §4): a terminal gives back the unused tail
  of a block it holds. The server checks the range against its records (a block of this
  terminal, no bill of the range uploaded yet), forwards it to the platform's
  ``emergencyStockReturn`` (spec §17, connectors/finance_ext.py) and records the range; the
  numbers are void for ever and refused on upload afterwards. A repeat of a recorded return
  answers success (the terminal re-sends when the answer was lost); the platform refusing a
  range as already returned is taken as done for the same reason.
* **Revocation** of a lost terminal: every active block it holds becomes ``revoked`` with the
  time; bills issued from it before that time are still accepted on upload, later ones refused
  (offline_rules.md §6.2: a number is never reused, a stolen device cannot keep billing). The
  terminal learns it from the heartbeat's ``revokedBlocks``. The unused numbers are NOT
  returned to the platform at once, because bills issued before the revocation may still be
  on their way; finance returns them after the upload deadline passed.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, insert, select, update

from billing_core.clock import ts17
from billing_core.envelope import dumps
from sync_server.connectors.errors import PlatformRejected
from sync_server.context import ServerContext
from sync_server.emergency import errors as ee
from sync_server.errors import RequestDataError
from sync_server.security.audit import Actor, audit
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.emergency_schema import stock_returns, stock_revocations, terminal_uploads
from sync_server.store.schema import stock_ranges

log = logging.getLogger(__name__)
_RETURN_FIELDS = ("placeCode", "billBatchCode", "billBgnNo", "billEndNo", "reason")


def stock_return(ctx: ServerContext, who: Actor, terminal: str, data: dict[str, Any]) -> str:
    """申退: return ``billBgnNo..billEndNo`` of a block held by ``terminal`` to the platform.

    :raises StockReturnError: not an unused range of one of the terminal's blocks (E5412).
    :raises PlatformUnreachable: the platform is down: nothing recorded, the terminal retries.
    """
    missing = [k for k in _RETURN_FIELDS if data.get(k) in (None, "")]
    if missing:
        raise RequestDataError(f"缺少必填字段：{'、'.join(missing)}")
    place, code = str(data["placeCode"]), str(data["billBatchCode"])
    bgn, end = str(data["billBgnNo"]), str(data["billEndNo"])
    if not (bgn.isdigit() and end.isdigit()) or int(bgn) > int(end):
        raise ee.StockReturnError(f"申退号段{bgn}-{end}不正确")
    with read_tx(ctx.engine) as conn:
        blocks = conn.execute(select(stock_ranges).where(and_(
            stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == terminal,
            stock_ranges.c.place_code == place, stock_ranges.c.bill_batch_code == code))).mappings().all()
        block = next((b for b in blocks if int(b["bgn_no"]) <= int(bgn) and int(end) <= int(b["end_no"])), None)
        if block is None:
            raise ee.StockReturnError(f"号段{code} {bgn}-{end}不在发放给终端{terminal}的开票点{place}应急号段内")
        bgn, end = bgn.zfill(len(block["bgn_no"])), end.zfill(len(block["bgn_no"]))
        done = conn.execute(select(stock_returns.c.id).where(and_(
            stock_returns.c.range_id == block["id"], stock_returns.c.bgn_no == bgn,
            stock_returns.c.end_no == end))).first()
        if done is not None:
            return "成功（该号段已申退）"
        used = conn.execute(select(terminal_uploads.c.bill_no).where(and_(
            terminal_uploads.c.bill_batch_code == code, terminal_uploads.c.bill_no >= bgn,
            terminal_uploads.c.bill_no <= end))).first()
        if used is not None:
            raise ee.StockReturnError(f"号段{bgn}-{end}中的票号{used[0]}已开具并上传，不能申退")
    reason = str(data["reason"])[:200]
    try:
        answer: Any = ctx.upstream.ext.emergency_stock_return(place, code, bgn, end, reason)
    except PlatformRejected as exc:
        if "已退回" not in exc.message:
            raise ee.StockReturnError(f"财政平台拒绝申退：{exc.code} {exc.message}") from None
        answer = f"{exc.code} {exc.message}"  # returned earlier, our record was lost with a crash
    with write_tx(ctx.engine) as conn:
        rid = inserted_id(conn.execute(insert(stock_returns).values(
            range_id=block["id"], holder=terminal, place_code=place, bill_batch_code=code, bgn_no=bgn, end_no=end,
            reason=reason, platform_answer=dumps(answer), at=ts17(ctx.clock.now()))))
        audit(conn, ctx.clock, who, "emergency_stock_return", "stock_range", block["id"], None,
              {"return_id": rid, "bill_batch_code": code, "bgn_no": bgn, "end_no": end, "reason": reason})
    return "成功"


def revoke(ctx: ServerContext, terminal: str, reason: str, operator: str) -> list[dict[str, str]]:
    """Revoke every active block held by ``terminal`` (lost or stolen); the revoked blocks.

    :raises RevocationError: the terminal holds no active block (E5413).
    """
    now = ts17(ctx.clock.now())
    who = Actor(operator)
    with write_tx(ctx.engine) as conn:
        rows = conn.execute(select(stock_ranges).where(and_(
            stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == terminal,
            stock_ranges.c.state == "active"))).mappings().all()
        if not rows:
            raise ee.RevocationError(f"终端{terminal}没有可收回的应急号段")
        for r in rows:
            conn.execute(update(stock_ranges).where(stock_ranges.c.id == r["id"]).values(state="revoked"))
            conn.execute(insert(stock_revocations).values(range_id=r["id"], holder=terminal, revoked_at=now,
                                                          reason=reason[:250], operator=operator))
            audit(conn, ctx.clock, who, "emergency_stock_revoke", "stock_range", r["id"], {"state": "active"},
                  {"state": "revoked", "revoked_at": now, "reason": reason[:200], "holder": terminal})
    log.warning("emergency blocks of terminal %s revoked by %s: %s", terminal, operator, reason)
    return [{"billBatchCode": r["bill_batch_code"], "billBgnNo": r["bgn_no"], "billEndNo": r["end_no"]}
            for r in rows]


def revoked_blocks(ctx: ServerContext, terminal: str) -> list[dict[str, str]]:
    """The terminal's revoked blocks (heartbeat ``revokedBlocks``)."""
    with read_tx(ctx.engine) as conn:
        rows = conn.execute(select(stock_ranges.c.bill_batch_code, stock_ranges.c.bgn_no, stock_ranges.c.end_no)
                            .where(and_(stock_ranges.c.kind == "emergency_terminal",
                                        stock_ranges.c.holder == terminal, stock_ranges.c.state == "revoked"))).all()
    return [{"billBatchCode": c, "billBgnNo": b, "billEndNo": e} for c, b, e in rows]


def unused_numbers(ctx: ServerContext, terminal: str) -> int:
    """Numbers of the terminal's active blocks not yet seen in an upload nor returned (upper bound
    of what it may still issue: the server's own view when no heartbeat reported a figure)."""
    with read_tx(ctx.engine) as conn:
        blocks = conn.execute(select(stock_ranges).where(and_(
            stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == terminal,
            stock_ranges.c.state == "active"))).mappings().all()
        total = 0
        for b in blocks:
            size = int(b["end_no"]) - int(b["bgn_no"]) + 1
            seen = conn.execute(select(terminal_uploads.c.id).where(and_(
                terminal_uploads.c.bill_batch_code == b["bill_batch_code"],
                terminal_uploads.c.bill_no >= b["bgn_no"], terminal_uploads.c.bill_no <= b["end_no"]))).all()
            back = sum(int(r["end_no"]) - int(r["bgn_no"]) + 1 for r in conn.execute(
                select(stock_returns).where(stock_returns.c.range_id == b["id"])).mappings())
            total += max(size - len(seen) - back, 0)
    return total
