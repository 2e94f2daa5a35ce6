"""The way back out of a visit, one step at a time (seed 003 回退流程: 不允许跨单回退), and the
inpatient changes on the way:

* outpatient: cancel the settlement (insCancel, 2208) -> cancel the fee details
  (:func:`cancel_fees`, 2205 by ``chrgBchno``) -> cancel the registration
  (:func:`cancel_registration`, 2202);
* inpatient: cancel the final settlement (2305) -> cancel the discharge (:func:`cancel_discharge`,
  2405) -> cancel the fee details (2302 by ``feedetlSn``) -> cancel the admission (2404);
  the admission's data may change while in hospital (:func:`change_admission`, 2403).

A step asked for out of order is refused before anything is sent (E5616) with the step that
must come first; the platform refuses the same (its message is passed on, E5604) when our record
does not know better (rows from before these methods existed). Each step is journalled, its
state change (state.py) and audit row written in one transaction after the platform's answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from billing_core.clock import CST
from sync_server.connectors.insurance import INPATIENT, OUTPATIENT
from sync_server.insurance import fields, records, state
from sync_server.insurance.errors import (
    CancelInDoubtError,
    InsuranceRequestError,
    SettlementInDoubtError,
    SettlementStateError,
    WayBackOrderError,
)
from sync_server.insurance.scope import load as scoped
from sync_server.insurance.settle import Desk, audit_row, request_of, visit_of
from sync_server.store.db import read_tx, write_tx

ALL = "0000"
#: States whose visit may still have its fee details cancelled (nothing settled on them).
FEES_CANCELLABLE = frozenset({state.FEES_UPLOADED, state.PRE_SETTLED, state.CANCELLED, state.REVERSED})
#: Open states of a visit not settled (the admission may change, fees may be added).
UNSETTLED = frozenset({state.REGISTERED, state.FEES_UPLOADED, state.PRE_SETTLED})


def _load(desk: Desk, data: Mapping[str, Any]) -> Mapping[str, Any]:
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if row["state"] in (state.SETTLING, state.IN_DOUBT):
        raise SettlementInDoubtError(f"医保结算{sid}结果待核实，暂不能回退")
    if row["state"] in (state.CANCELLING, state.CANCEL_IN_DOUBT):
        raise CancelInDoubtError(f"医保结算{sid}的撤销结果待核实，暂不能继续回退")
    return row


def live_fees(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The visit's fee lines not cancelled (as recorded by insUploadFees)."""
    return [f for f in request_of(row).get("fees", []) if isinstance(f, dict) and f.get("live")]


def discharged(row: Mapping[str, Any]) -> bool:
    """True when the inpatient visit's discharge (2402) stands."""
    return "discharge" in request_of(row)


def _now_text(desk: Desk) -> str:
    return f"{desk.ctx.clock.now().astimezone(CST):%Y-%m-%d %H:%M:%S}"


def cancel_fees(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2205 (outpatient, by ``chrgBchno``) / 2302 (inpatient, by ``feedetlSn``: one or a list);
    "0000" cancels every line not settled. Not while a settlement stands (cancel it first)."""
    row = _load(desk, data)
    sid, visit = int(row["id"]), visit_of(row)
    if row["state"] == state.SETTLED:
        raise WayBackOrderError(f"医保结算{sid}已结算：请先撤销结算（insCancel），再撤销费用明细")
    if row["state"] not in FEES_CANCELLABLE:
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，没有可撤销的费用明细")
    lines = request_of(row).get("fees", [])
    if visit is OUTPATIENT:
        if data.get("feedetlSn") not in (None, ""):
            raise InsuranceRequestError("feedetlSn：门诊费用明细按收费批次号chrgBchno撤销（2205）")
        chosen = [fields.required(data, "chrgBchno", 30)]
        key = "bchno"
    else:
        raw = data.get("feedetlSn")
        chosen = [str(x).strip() for x in raw] if isinstance(raw, list) else [fields.required(data, "feedetlSn", 30)]
        if not chosen or not all(chosen) or any(len(x) > 30 for x in chosen):
            raise InsuranceRequestError("feedetlSn必须是费用明细流水号或其非空列表")
        key = "sn"
    hit = [f for f in lines if f.get("live") and (chosen == [ALL] or str(f.get(key)) in chosen)]
    if lines and not hit:
        name = "chrgBchno" if key == "bchno" else "feedetlSn"
        raise InsuranceRequestError(f"{name}（{'、'.join(chosen)}）没有可撤销的费用明细")
    desk.client.cancel_fees(desk.op, visit, row["insuplc_admdvs"], mdtrt_id=row["mdtrt_id"], psn_no=row["psn_no"],
                            selectors=chosen)
    gone = sum((Decimal(str(f["amt"])) for f in hit), Decimal("0.00"))
    for f in hit:
        f["live"] = False
    with write_tx(desk.ctx.engine) as conn:
        now_row = records.load(conn, sid)
        values: dict[str, Any] = {"request_json": json.dumps(request_of(now_row) | {"fees": lines}, ensure_ascii=False),
                                  "updated_at": desk.now17()}
        after = now_row["state"]
        if now_row["state"] in UNSETTLED:
            # the visit's total shrinks; a pre-settlement no longer holds (pre-settle again)
            left = any(f.get("live") for f in lines) and chosen != [ALL]
            after = state.FEES_UPLOADED if left else state.REGISTERED
            values["medfee_sumamt"] = max((now_row["medfee_sumamt"] or Decimal("0.00")) - gone, Decimal("0.00")) \
                if left else Decimal("0.00")
            state.move(conn, sid, "fees_cancelled_some" if left else "fees_cancelled_all", row["psn_no"], **values)
        else:
            # after a settlement's cancel the row keeps the settlement's figures (reconciliation)
            state.update_values(conn, sid, now_row["state"], **values)
        audit_row(conn, desk, "ins_fees_cancel", sid, {"state": now_row["state"]},
                  {"state": after, "selectors": chosen, "lines": len(hit), "amount": str(gone)})
        return records.answer(records.load(conn, sid)) | {"cancelledFees": [f["sn"] for f in hit]}


def cancel_registration(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2202 / 2404: the last step back — nothing settled, no fee details, (inpatient) not discharged."""
    row = _load(desk, data)
    sid, visit = int(row["id"]), visit_of(row)
    what = "入院登记" if visit is INPATIENT else "挂号"
    if row["state"] == state.SETTLED:
        raise WayBackOrderError(f"医保结算{sid}已结算：请先撤销结算（insCancel），再撤销费用明细和{what}")
    if visit is INPATIENT and discharged(row):
        raise WayBackOrderError(f"医保结算{sid}已办理出院：请先撤销出院（insCancelDischarge），再撤销{what}")
    if live_fees(row) or row["state"] in (state.FEES_UPLOADED, state.PRE_SETTLED):
        raise WayBackOrderError(f"医保结算{sid}还有未撤销的费用明细：请先撤销费用明细（insCancelFees），再撤销{what}")
    if not state.TRANSITIONS["close"].allows(row["state"]):
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能撤销{what}")
    desk.client.cancel_registration(desk.op, visit, row["insuplc_admdvs"], mdtrt_id=row["mdtrt_id"],
                                    psn_no=row["psn_no"], ipt_otp_no=row["ipt_otp_no"])
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, "close", row["psn_no"], owner=None, note=f"{what}已撤销", updated_at=desk.now17())
        audit_row(conn, desk, "ins_register_cancel", sid, {"state": row["state"]}, {"state": state.CLOSED})
        return records.answer(records.load(conn, sid))


def cancel_discharge(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2405: the inpatient is in hospital again — not while the final settlement stands."""
    row = _load(desk, data)
    sid = int(row["id"])
    if visit_of(row) is not INPATIENT:
        raise SettlementStateError(f"医保结算{sid}不是住院就诊，没有出院可撤销")
    if row["state"] == state.SETTLED:
        raise WayBackOrderError(f"医保结算{sid}已出院结算：请先撤销结算（insCancel），再撤销出院")
    if not discharged(row) or row["state"] in (state.CLOSED,):
        raise SettlementStateError(f"医保结算{sid}未办理出院（或已撤销登记），没有出院可撤销")
    desk.client.cancel_discharge(desk.op, row["insuplc_admdvs"], mdtrt_id=row["mdtrt_id"], psn_no=row["psn_no"])
    with write_tx(desk.ctx.engine) as conn:
        now_row = records.load(conn, sid)
        req = {k: v for k, v in request_of(now_row).items() if k != "discharge"}
        state.update_values(conn, sid, now_row["state"], request_json=json.dumps(req, ensure_ascii=False),
                            updated_at=desk.now17())
        audit_row(conn, desk, "ins_discharge_cancel", sid, None, {"discharged": False})
        return records.answer(records.load(conn, sid)) | {"discharged": None}


def change_admission(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2403: change the admission while in hospital (``begntime``, ``medType``, ``diseCodg`` +
    ``diseName``, ``deptCode`` + ``deptName``, ``atddrNo`` + ``drName``)."""
    row = _load(desk, data)
    sid = int(row["id"])
    if visit_of(row) is not INPATIENT:
        raise SettlementStateError(f"医保结算{sid}不是住院就诊，不能变更入院信息")
    if row["state"] not in UNSETTLED or discharged(row):
        raise SettlementStateError(f"医保结算{sid}不在院（已出院、已结算或已撤销），不能变更入院信息")
    reg = dict(request_of(row).get("register", {}))
    changes: dict[str, str] = {}
    for wire, names in (("begntime", ("begntime",)), ("medType", ("med_type",)),
                        ("diseCodg", ("dise_codg", "dscg_maindiag_code")), ("diseName", ("dise_name", "dscg_maindiag_name",
                                                                                       "adm_diag_dscr")),
                        ("deptCode", ("adm_dept_codg",)), ("deptName", ("adm_dept_name",)),
                        ("atddrNo", ("atddr_no",)), ("drName", ("chfpdr_name",))):
        value = fields.optional(data, wire)
        if value:
            changes[wire] = value
            reg.update({n: value for n in names})
    if not changes:
        raise InsuranceRequestError("begntime、medType、diseCodg、diseName、deptCode、deptName、atddrNo、drName至少填一项")
    if ("diseCodg" in changes) != ("diseName" in changes):
        raise InsuranceRequestError("diseCodg与diseName须同时填写")
    adminfo = {"mdtrt_id": row["mdtrt_id"], "psn_no": row["psn_no"], "insutype": row["insutype"],
               **{k: reg.get(k, "") for k in ("begntime", "med_type", "ipt_no", "atddr_no", "chfpdr_name",
                                              "adm_dept_codg", "adm_dept_name", "adm_diag_dscr",
                                              "dscg_maindiag_code", "dscg_maindiag_name")}}
    disease = [{"psn_no": row["psn_no"], "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1",
                "diag_code": reg.get("dise_codg", ""), "diag_name": reg.get("dise_name", ""),
                "diag_time": _now_text(desk)}] if "diseCodg" in changes else []
    desk.client.change_admission(desk.op, row["insuplc_admdvs"], adminfo, disease)
    with write_tx(desk.ctx.engine) as conn:
        now_row = records.load(conn, sid)
        state.update_values(conn, sid, now_row["state"], updated_at=desk.now17(),
                            request_json=json.dumps(request_of(now_row) | {"register": reg}, ensure_ascii=False))
        audit_row(conn, desk, "ins_admission_change", sid, None, {"changed": sorted(changes)})
        return records.answer(records.load(conn, sid)) | {"changed": sorted(changes)}
