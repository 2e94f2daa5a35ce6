"""Cancelling a settlement (2208 / 2305) with the settlement's own rule: **recorded in flight
before it is sent, resolved — never re-sent — when its answer is lost**.

* one transaction moves the row ``settled -> cancelling`` with the new ``cancel_msgid`` and writes
  that msgid's journal row; only after the commit is 2208/2305 sent, exactly once;
* answered: ``cancelled`` with the platform's cancel row (``cancel_setl_id``) and the day it
  counts in reconciliation (``cancel_day``); refused or not sent: back to ``settled``;
* answer lost: ``cancel_in_doubt``, then :func:`sync_server.insurance.resolve.resolve_cancel`
  (5203 by the settlement: cancelled -> ``cancelled``; still valid -> 2601 on the cancel's msgid
  so that it can never land later, back to ``settled``); what cannot be resolved now stays
  ``cancel_in_doubt`` for the worker (E5617 to the terminal).

An unsettled visit is closed locally (``abandon``: frees the person; the platform's visit is
left to the way back, way_back.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync_server.connectors.insurance_errors import InsuranceRejected, InsuranceUnreachable
from sync_server.insurance import fields, records, state
from sync_server.insurance.errors import (
    CancelInDoubtError,
    SettlementInDoubtError,
    SettlementStateError,
)
from sync_server.insurance.journal import record
from sync_server.insurance.resolve import RESOLVED_CANCELLED, platform_day, resolve_cancel
from sync_server.insurance.scope import load as scoped
from sync_server.insurance.settle import Desk, audit_row, visit_of
from sync_server.store.db import read_tx, write_tx
from sync_server.store.insurance_schema import OPEN_STATES


def cancel(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2208 / 2305 for a settled settlement; an unsettled visit is closed locally (frees the person)."""
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if row["state"] in (state.SETTLING, state.IN_DOUBT):
        raise SettlementInDoubtError(f"医保结算{sid}结果待核实，暂不能撤销")
    if row["state"] in (state.CANCELLING, state.CANCEL_IN_DOUBT):
        raise CancelInDoubtError(f"医保结算{sid}的撤销结果待核实，切勿重复撤销")
    if row["state"] in OPEN_STATES:
        with write_tx(desk.ctx.engine) as conn:
            state.move(conn, sid, "abandon", row["psn_no"], note="未结算即撤销", updated_at=desk.now17())
            audit_row(conn, desk, "ins_abandon", sid, {"state": row["state"]}, {"state": state.CANCELLED})
            return records.answer(records.load(conn, sid))
    if row["state"] != state.SETTLED:
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能撤销")
    visit = visit_of(row)
    cancel_data = {"setl_id": row["setl_id"], "mdtrt_id": row["mdtrt_id"], "psn_no": row["psn_no"]}
    with write_tx(desk.ctx.engine) as conn:
        msgid = record(conn, desk.ctx.clock, desk.ctx.config.insurance_fixmedins_code, visit.cancel, desk.op.opter,
                       {"data": cancel_data}, settlement_id=sid)
        state.move(conn, sid, "begin_cancel", row["psn_no"], cancel_msgid=msgid, owner=desk.ctx.instance,
                   note=None, updated_at=desk.now17())
        audit_row(conn, desk, "ins_cancel_begin", sid, {"state": state.SETTLED},
                  {"state": state.CANCELLING, "msgid": msgid})
    # committed: the cancel's msgid is on disk before anything is sent
    try:
        result = desk.client.cancel(desk.op, visit, row["insuplc_admdvs"], msgid=msgid, **cancel_data)
    except InsuranceRejected as exc:
        _back(desk, sid, row["psn_no"], exc.message)
        raise
    except InsuranceUnreachable as exc:
        if not exc.in_doubt:
            _back(desk, sid, row["psn_no"], exc.message)
            raise
        with write_tx(desk.ctx.engine) as conn:
            state.move(conn, sid, "cancel_doubt", row["psn_no"], note=exc.message[:500], updated_at=desk.now17())
            audit_row(conn, desk, "ins_cancel_in_doubt", sid, {"state": state.CANCELLING},
                      {"state": state.CANCEL_IN_DOUBT})
        outcome = resolve_cancel(desk.ctx, desk.client, sid)
        with read_tx(desk.ctx.engine) as conn:
            now_row = records.load(conn, sid)
        if outcome == RESOLVED_CANCELLED:
            return records.answer(now_row) | {"recovered": True}
        if now_row["state"] == state.SETTLED:
            raise SettlementStateError(f"医保结算{sid}撤销未成功：平台上该结算仍有效，撤销请求已冲正（msgid {msgid}），"
                                       "可重新撤销") from exc
        raise CancelInDoubtError(f"医保结算{sid}撤销结果不确定（msgid {msgid}），服务器将向医保平台核实，"
                                 "请稍后查询，切勿重复撤销") from exc
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, "cancel_done", row["psn_no"], cancel_setl_id=result.setl_id or None, owner=None,
                   cancel_day=platform_day(result.setl_time, desk.now17()), updated_at=desk.now17())
        audit_row(conn, desk, "ins_cancel", sid, {"state": state.CANCELLING},
                  {"state": state.CANCELLED, "cancel_setl_id": result.setl_id})
        return records.answer(records.load(conn, sid)) | {"cancellation": result.wire()}


def _back(desk: Desk, sid: int, psn_no: str, why: str) -> None:
    """A cancel refused or never sent: the settlement stands."""
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, "cancel_refused", psn_no, owner=None, note=why[:500], updated_at=desk.now17(),
                   cancel_msgid=None)
        audit_row(conn, desk, "ins_cancel_refused", sid, {"state": state.CANCELLING},
                  {"state": state.SETTLED, "why": why[:200]})
