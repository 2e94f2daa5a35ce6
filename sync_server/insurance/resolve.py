"""Resolution of settlements whose outcome is unknown (issue 16 §3 acceptance): a 2207/2304 that
timed out, or whose process was SIGKILLed between the call and the answer.

The rule (spec pitfall 2): **check with 5203, reverse with 2601, never re-send.**

* 5203 by the visit (``psn_no`` + ``mdtrt_id``) lists the platform's settlements; the one whose
  ``medins_setl_id`` is our msgid is ours -> the row becomes ``settled`` with the platform's
  figures (exactly one settlement: the one the platform holds).
* none is ours -> 2601 with ``omsgid`` = our msgid, so a request still queued on the platform can
  never land later; a refusal of 2601 means there is nothing to reverse. The row goes back to
  ``pre_settled``: the operator may settle again (a new msgid).
* 5203 or 2601 unreachable -> the row stays ``in_doubt``; the worker tries again.

:func:`resolve_one` runs right after a request's in-doubt failure; :func:`resolve_pending`
runs in the worker's cycle (and so at every start): ``in_doubt`` rows nobody holds, and
``settling`` rows whose owner process is dead (SIGKILL) — taken over first, then resolved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select, update

from billing_core.clock import ts17
from sync_server.connectors.insurance import VISITS, InsuranceClient
from sync_server.connectors.insurance_envelope import Operator
from sync_server.connectors.insurance_errors import InsuranceRejected, InsuranceUnreachable
from sync_server.connectors.insurance_types import Settlement
from sync_server.context import ServerContext
from sync_server.insurance import records, state
from sync_server.insurance.journal import mark, masked_json
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.insurance_schema import ins_settlements, ins_transactions

log = logging.getLogger(__name__)

RESOLVED_SETTLED, RESOLVED_CLEARED, UNRESOLVED, NOTHING = "settled", "cleared", "unresolved", "nothing"
RESOLVED_CANCELLED, CANCEL_CLEARED = "cancelled", "cancel_cleared"
#: In-flight / in-doubt states of a settlement and of a cancel, and the doubt state each ends in.
SETTLE_UNSURE = (state.SETTLING, state.IN_DOUBT)
CANCEL_UNSURE = (state.CANCELLING, state.CANCEL_IN_DOUBT)


def day_of(stamp17: str) -> str:
    """yyyy-MM-dd of a ts17 stamp (CST): the day a settlement or cancel counts in reconciliation."""
    return f"{stamp17[:4]}-{stamp17[4:6]}-{stamp17[6:8]}"


def settled_values(s: Settlement, when: str) -> dict[str, Any]:
    """The columns a settled row records from the platform's settlement (``when``: ts17)."""
    return {"setl_id": s.setl_id, "medfee_sumamt": s.medfee_sumamt, "fund_pay_sumamt": s.fund_pay_sumamt,
            "acct_pay": s.acct_pay, "psn_cash_pay": s.psn_cash_pay, "clr_type": s.clr_type or None,
            "clr_optins": s.clr_optins or None, "answer_json": masked_json(dict(s.raw)),
            "settle_day": platform_day(s.setl_time, when), "owner": None, "updated_at": when}


def platform_day(setl_time: str, when: str) -> str:
    """The day the platform dated a settlement or cancel row (``setl_time`` yyyy-MM-dd HH:mm:ss,
    the day its 3201 counts it in), else the day of ``when`` (ts17)."""
    day = setl_time[:10]
    return day if len(day) == 10 and day[4] == "-" and day[7] == "-" and day.replace("-", "").isdigit() \
        else day_of(when)


def ours(found: tuple[Settlement, ...], msgid: str) -> Settlement | None:
    """The platform settlement made by our request ``msgid`` (its ``medins_setl_id``); when the
    platform echoes no medins_setl_id at all, its only settlement of the visit."""
    for s in found:
        if s.medins_setl_id == msgid:
            return s
    if len(found) == 1 and not found[0].medins_setl_id and found[0].medfee_sumamt > Decimal("0"):
        return found[0]
    return None


def not_found(exc: InsuranceRejected, hints: tuple[str, ...]) -> bool:
    """True when a refusal says there is no such settlement / nothing to reverse (its err_msg
    holds one of the configured ``hints``)."""
    return any(h and h in exc.err_msg for h in hints)


def resolve_one(ctx: ServerContext, client: InsuranceClient, settlement_id: int) -> str:
    """Resolve one ``settling`` / ``in_doubt`` settlement (the caller holds it); the outcome."""
    with read_tx(ctx.engine) as conn:
        row = records.load(conn, settlement_id)
    if row["state"] not in (state.SETTLING, state.IN_DOUBT) or not row["settle_msgid"]:
        return NOTHING
    who = Actor("server", caller=row["caller"])
    op = Operator(row["opter"], row["opter"])
    visit, msgid = VISITS[row["visit"]], str(row["settle_msgid"])
    hints = ctx.config.insurance_not_found_hints
    try:
        found = client.query_settlement(op, row["insuplc_admdvs"], psn_no=row["psn_no"], mdtrt_id=row["mdtrt_id"])
    except InsuranceRejected as exc:
        if not not_found(exc, hints):
            return _unresolved(ctx, row, who, f"5203失败：{exc.message}")
        found = ()  # the platform says the visit has no settlement
    except InsuranceUnreachable as exc:
        return _unresolved(ctx, row, who, f"5203失败：{exc.message}")
    mine = ours(found, msgid)
    now = ts17(ctx.clock.now())
    if mine is not None:
        with write_tx(ctx.engine) as conn:
            try:
                state.move(conn, settlement_id, "settled", row["psn_no"], note="结果经5203核实",
                           **settled_values(mine, now))
            except state.TransitionRefused:
                return NOTHING  # another resolver was first
            mark(conn, ctx.clock, who, msgid, "ok", "5203核实：平台已结算")
            audit(conn, ctx.clock, who, "ins_resolved_settled", "ins_settlement", settlement_id,
                  {"state": row["state"]}, {"state": state.SETTLED, "setl_id": mine.setl_id})
        log.info("insurance settlement %s (msgid %s) found by 5203: settled", settlement_id, msgid)
        return RESOLVED_SETTLED
    note = "5203无此结算，已发2601冲正"
    try:
        client.reverse(op, row["insuplc_admdvs"], psn_no=row["psn_no"], omsgid=msgid, oinfno=visit.settle)
    except InsuranceRejected as exc:
        if not not_found(exc, hints):
            return _unresolved(ctx, row, who, f"5203无此结算，2601被拒：{exc.err_msg}")
        note = f"5203无此结算；2601答复：{exc.err_msg}"[:500]  # nothing there to reverse
    except InsuranceUnreachable as exc:
        return _unresolved(ctx, row, who, f"2601失败：{exc.message}")
    with write_tx(ctx.engine) as conn:
        try:
            state.move(conn, settlement_id, "doubt_cleared", row["psn_no"], owner=None, note=note, updated_at=now)
        except state.TransitionRefused:
            return NOTHING
        mark(conn, ctx.clock, who, msgid, "reversed", note)
        audit(conn, ctx.clock, who, "ins_resolved_cleared", "ins_settlement", settlement_id,
              {"state": row["state"]}, {"state": state.PRE_SETTLED, "note": note})
    log.info("insurance settlement %s (msgid %s) not on the platform: reversed, back to pre_settled",
             settlement_id, msgid)
    return RESOLVED_CLEARED


def _unresolved(ctx: ServerContext, row: Mapping[str, Any], who: Actor, why: str) -> str:
    """Leave the row in doubt (``in_doubt`` / ``cancel_in_doubt``) and held by nobody: the worker
    tries again."""
    cancelling = row["state"] in CANCEL_UNSURE
    unsure, doubt = (CANCEL_UNSURE, state.CANCEL_IN_DOUBT) if cancelling else (SETTLE_UNSURE, state.IN_DOUBT)
    with write_tx(ctx.engine) as conn:
        res = conn.execute(update(ins_settlements).where(
            ins_settlements.c.id == row["id"], ins_settlements.c.state.in_(unsure))
            .values(state=doubt, live_psn=state.live_psn(doubt, row["psn_no"]), owner=None, note=why[:500],
                    updated_at=ts17(ctx.clock.now())))
        if res.rowcount:
            audit(conn, ctx.clock, who, "ins_unresolved", "ins_settlement", row["id"], None,
                  {"state": doubt, "why": why[:200]})
    return UNRESOLVED


def _journal_day(ctx: ServerContext, msgid: str, fallback: str) -> str:
    """The day a logged transaction was sent (its journal row), else ``fallback``."""
    with read_tx(ctx.engine) as conn:
        sent = conn.execute(select(ins_transactions.c.created_at).where(ins_transactions.c.msgid == msgid)).scalar()
    return day_of(str(sent or fallback))


def resolve_cancel(ctx: ServerContext, client: InsuranceClient, settlement_id: int) -> str:
    """Resolve one ``cancelling`` / ``cancel_in_doubt`` settlement (the caller holds it); the outcome.

    5203 by the settlement's own ``setl_id`` says whether it is still valid (``setl_stas`` 1) or
    cancelled (0): cancelled -> the cancel landed (``cancelled``; the platform's cancel row is
    dated the day the cancel was sent). Still valid -> 2601 on the cancel's msgid, so that a cancel
    still queued on the platform can never land, and back to ``settled`` (cancel again with a new
    msgid). Anything else (no answer, no ``setl_stas``, reversed) leaves it in doubt.
    """
    with read_tx(ctx.engine) as conn:
        row = records.load(conn, settlement_id)
    if row["state"] not in CANCEL_UNSURE or not row["cancel_msgid"]:
        return NOTHING
    who = Actor("server", caller=row["caller"])
    op = Operator(row["opter"], row["opter"])
    msgid, hints = str(row["cancel_msgid"]), ctx.config.insurance_not_found_hints
    try:
        found = client.query_settlement(op, row["insuplc_admdvs"], psn_no=row["psn_no"], mdtrt_id=row["mdtrt_id"],
                                        setl_id=row["setl_id"])
    except (InsuranceRejected, InsuranceUnreachable) as exc:
        return _unresolved(ctx, row, who, f"5203失败：{exc.message}")
    mine = next((s for s in found if s.setl_id == row["setl_id"]), None)
    stas = "" if mine is None else str(mine.raw.get("setl_stas") or "")
    now = ts17(ctx.clock.now())
    if stas == "0":
        with write_tx(ctx.engine) as conn:
            try:
                state.move(conn, settlement_id, "cancel_done", row["psn_no"], owner=None, updated_at=now,
                           cancel_day=_journal_day(ctx, msgid, now), note="撤销结果经5203核实：结算已撤销")
            except state.TransitionRefused:
                return NOTHING
            mark(conn, ctx.clock, who, msgid, "ok", "5203核实：结算已撤销")
            audit(conn, ctx.clock, who, "ins_cancel_resolved", "ins_settlement", settlement_id,
                  {"state": row["state"]}, {"state": state.CANCELLED})
        log.info("insurance cancel of %s (msgid %s) found applied by 5203", settlement_id, msgid)
        return RESOLVED_CANCELLED
    if stas != "1":
        return _unresolved(ctx, row, who, f"5203未能说明结算状态（setl_stas={stas or '空'}）")
    note = "5203：结算仍有效，已发2601冲正撤销请求"
    try:
        client.reverse(op, row["insuplc_admdvs"], psn_no=row["psn_no"], omsgid=msgid, oinfno=VISITS[row["visit"]].cancel)
    except InsuranceRejected as exc:
        if not not_found(exc, hints):
            return _unresolved(ctx, row, who, f"结算仍有效，2601被拒：{exc.err_msg}")
        note = f"5203：结算仍有效；2601答复：{exc.err_msg}"[:500]
    except InsuranceUnreachable as exc:
        return _unresolved(ctx, row, who, f"2601失败：{exc.message}")
    with write_tx(ctx.engine) as conn:
        try:
            state.move(conn, settlement_id, "cancel_cleared", row["psn_no"], owner=None, note=note, updated_at=now,
                       cancel_msgid=None)
        except state.TransitionRefused:
            return NOTHING
        mark(conn, ctx.clock, who, msgid, "reversed", note)
        audit(conn, ctx.clock, who, "ins_cancel_cleared", "ins_settlement", settlement_id,
              {"state": row["state"]}, {"state": state.SETTLED, "note": note})
    log.info("insurance cancel of %s (msgid %s) not applied: reversed, settled again", settlement_id, msgid)
    return CANCEL_CLEARED


def resolve_pending(ctx: ServerContext, client: InsuranceClient) -> dict[str, int]:
    """The worker's pass: take over and resolve every in-doubt settlement or cancel nobody is
    working on (in doubt without an owner, or in flight / in doubt of a dead process); the count
    of each outcome."""
    unsure = (*SETTLE_UNSURE, *CANCEL_UNSURE)
    with read_tx(ctx.engine) as conn:
        rows = conn.execute(select(ins_settlements.c.id, ins_settlements.c.owner, ins_settlements.c.state,
                                   ins_settlements.c.updated_at).where(ins_settlements.c.state.in_(unsure))).all()
    # a request of this process holds its settlement at most one settle call plus one resolution;
    # a hold older than that was abandoned (an unexpected error in the request thread)
    grace = max(ctx.config.insurance_settling_grace, 3 * ctx.config.insurance_timeout + 2)
    stale = ts17(ctx.clock.now() - timedelta(seconds=grace))
    counts: dict[str, int] = {}
    for sid, owner, st, updated in rows:
        if ctx.stop.is_set():
            break
        if owner is not None and ctx.owner_alive(owner) and not (owner == ctx.instance and updated < stale):
            continue  # a live request (of this or another process) is still on it
        if st in (state.SETTLING, state.CANCELLING) and owner is None:
            continue  # cannot happen (begin_settle / begin_cancel set the owner); never guess
        group, doubt = (CANCEL_UNSURE, state.CANCEL_IN_DOUBT) if st in CANCEL_UNSURE else (SETTLE_UNSURE,
                                                                                            state.IN_DOUBT)
        with write_tx(ctx.engine) as conn:
            held = conn.execute(update(ins_settlements).where(and_(
                ins_settlements.c.id == sid, ins_settlements.c.state.in_(group),
                or_(ins_settlements.c.owner.is_(None), ins_settlements.c.owner == owner)))
                .values(state=doubt, owner=ctx.instance, updated_at=ts17(ctx.clock.now())))
            if held.rowcount != 1:
                continue
            audit(conn, ctx.clock, Actor("server"), "ins_takeover", "ins_settlement", sid,
                  {"state": st, "owner": owner}, {"state": doubt, "owner": ctx.instance})
        outcome = resolve_cancel(ctx, client, sid) if doubt == state.CANCEL_IN_DOUBT else resolve_one(ctx, client, sid)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
