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
from sync_server.store.insurance_schema import ins_settlements

log = logging.getLogger(__name__)

RESOLVED_SETTLED, RESOLVED_CLEARED, UNRESOLVED, NOTHING = "settled", "cleared", "unresolved", "nothing"


def settled_values(s: Settlement, when: str) -> dict[str, Any]:
    """The columns a settled row records from the platform's settlement (``when``: ts17)."""
    return {"setl_id": s.setl_id, "medfee_sumamt": s.medfee_sumamt, "fund_pay_sumamt": s.fund_pay_sumamt,
            "acct_pay": s.acct_pay, "psn_cash_pay": s.psn_cash_pay, "clr_type": s.clr_type or None,
            "clr_optins": s.clr_optins or None, "answer_json": masked_json(dict(s.raw)),
            "settle_day": f"{when[:4]}-{when[4:6]}-{when[6:8]}", "owner": None, "updated_at": when}


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
    """Leave the row ``in_doubt`` and held by nobody: the worker tries again."""
    with write_tx(ctx.engine) as conn:
        res = conn.execute(update(ins_settlements).where(
            ins_settlements.c.id == row["id"], ins_settlements.c.state.in_((state.SETTLING, state.IN_DOUBT)))
            .values(state=state.IN_DOUBT, live_psn=row["psn_no"], owner=None, note=why[:500],
                    updated_at=ts17(ctx.clock.now())))
        if res.rowcount:
            audit(conn, ctx.clock, who, "ins_unresolved", "ins_settlement", row["id"], None,
                  {"state": state.IN_DOUBT, "why": why[:200]})
    return UNRESOLVED


def resolve_pending(ctx: ServerContext, client: InsuranceClient) -> dict[str, int]:
    """The worker's pass: take over and resolve every in-doubt settlement nobody is working on
    (``in_doubt`` without an owner, or ``settling`` / ``in_doubt`` of a dead process); the count
    of each outcome."""
    with read_tx(ctx.engine) as conn:
        rows = conn.execute(select(ins_settlements.c.id, ins_settlements.c.owner, ins_settlements.c.state,
                                   ins_settlements.c.updated_at).where(
            ins_settlements.c.state.in_((state.SETTLING, state.IN_DOUBT)))).all()
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
        if st == state.SETTLING and owner is None:
            continue  # cannot happen (begin_settle sets the owner); never guess
        with write_tx(ctx.engine) as conn:
            held = conn.execute(update(ins_settlements).where(and_(
                ins_settlements.c.id == sid, ins_settlements.c.state.in_((state.SETTLING, state.IN_DOUBT)),
                or_(ins_settlements.c.owner.is_(None), ins_settlements.c.owner == owner)))
                .values(state=state.IN_DOUBT, owner=ctx.instance, updated_at=ts17(ctx.clock.now())))
            if held.rowcount != 1:
                continue
            audit(conn, ctx.clock, Actor("server"), "ins_takeover", "ins_settlement", sid,
                  {"state": st, "owner": owner}, {"state": state.IN_DOUBT, "owner": ctx.instance})
        outcome = resolve_one(ctx, client, sid)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
