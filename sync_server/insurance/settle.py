"""The settlement service behind the insurance API (issue 16 §3): register, upload fees,
pre-settle, settle, reverse, query (the cancel: cancel.py; the way back: way_back.py) — with the
rules integrators learned:

* **one settlement at a time per patient**: the visit's row takes ``live_psn`` (UNIQUE) before
  anything is sent to the platform; a second open visit of the person is refused (E5611).
* **the settlement is recorded in flight before it is sent**: one transaction moves the row to
  ``settling`` with the new msgid and writes that msgid's journal row; only after the commit is
  2207/2304 sent (exactly once, never retried).
* **an unknown outcome is resolved, never re-sent**: ``settling -> in_doubt``, then
  :func:`sync_server.insurance.resolve.resolve_one` (5203; found -> ``settled``; not found -> 2601
  and back to ``pre_settled`` for a fresh attempt with a new msgid). What cannot be resolved now
  is left ``in_doubt`` for the worker (E5613 to the terminal).
* every transaction is journalled (journal.py) and every state change audited.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from billing_core.clock import CST, ts17
from sync_server.connectors.insurance import VISITS, InsuranceClient, Visit
from sync_server.connectors.insurance_envelope import Operator
from sync_server.connectors.insurance_errors import InsuranceRejected, InsuranceUnreachable
from sync_server.connectors.insurance_types import Settlement
from sync_server.context import ServerContext
from sync_server.insurance import fields, records, state
from sync_server.insurance.errors import (
    AmountMismatchError,
    InsuranceRequestError,
    PatientBusyError,
    SettlementInDoubtError,
    SettlementStateError,
)
from sync_server.insurance.journal import mark, record
from sync_server.insurance.resolve import RESOLVED_SETTLED, resolve_one, settled_values
from sync_server.insurance.scope import SERVER, Scope
from sync_server.insurance.scope import load as scoped
from sync_server.security.audit import Actor, audit
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.insurance_schema import ins_settlements


@dataclass(frozen=True)
class Desk:
    """Who performs the insurance work of one request: the server, its client, the operator
    (``opter`` on the platform) and the actor of the audit rows."""

    ctx: ServerContext
    client: InsuranceClient
    op: Operator
    actor: Actor
    caller: str
    scope: Scope = SERVER

    def now17(self) -> str:
        """The business time stamp (ts17)."""
        return ts17(self.ctx.clock.now())


def request_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the row keeps of the visit's requests (``register``, ``fees``, ``settle``, ``discharge``)."""
    loaded = json.loads(row["request_json"])
    return loaded if isinstance(loaded, dict) else {}


def audit_row(conn: Any, desk: Desk, action: str, settlement_id: int, before: Any, after: Any) -> None:
    """The audit row of a change of settlement ``settlement_id`` by the desk's actor."""
    audit(conn, desk.ctx.clock, desk.actor, action, "ins_settlement", settlement_id, before, after)


def check_amounts(s: Settlement, fund_includes_acct: bool) -> None:
    """The identities of spec §5 (2207 sample arithmetic): total = fund + person part (+ hospital
    part); person part = account + cash. ``fund_pay_sumamt`` includes ``acct_pay`` in some regions
    (configured): then the account part is not counted twice.

    :raises AmountMismatchError: the answer does not add up.
    """
    person = s.psn_part_amt if s.psn_part_amt or not (s.acct_pay or s.psn_cash_pay) else s.acct_pay + s.psn_cash_pay
    fund = s.fund_pay_sumamt - (s.acct_pay if fund_includes_acct else Decimal("0"))
    if person != s.acct_pay + s.psn_cash_pay or s.medfee_sumamt != fund + person + s.hosp_part_amt:
        raise AmountMismatchError(f"医保结算金额不平：总额{s.medfee_sumamt}，基金{s.fund_pay_sumamt}，"
                                  f"个人账户{s.acct_pay}，现金{s.psn_cash_pay}，医院负担{s.hosp_part_amt}")


# ----------------------------------------------------------------------------- register

def register(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2201 / 2401: the visit's row (taking the person's one open settlement) and its mdtrt_id."""
    visit = VISITS[fields.one_of(data, "visit", tuple(VISITS), "outpatient")]
    psn_no = fields.required(data, "psnNo", 30)
    insuplc = fields.required(data, "insuplcAdmdvs", 6)
    req = {
        "psn_no": psn_no, "insutype": fields.required(data, "insutype", 6),
        "begntime": fields.optional(data, "begntime", f"{desk.ctx.clock.now().astimezone(CST):%Y-%m-%d %H:%M:%S}"),
        "mdtrt_cert_type": fields.one_of(data, "mdtrtCertType", ("01", "02", "03")),
        "mdtrt_cert_no": fields.required(data, "mdtrtCertNo", 50),
        "ipt_otp_no": fields.required(data, "iptOtpNo", 30), "med_type": fields.optional(data, "medType", "11" if
                                                                                       visit.kind == "outpatient" else "21"),
        "atddr_no": fields.optional(data, "atddrNo"), "dr_name": fields.optional(data, "drName"),
        "dept_code": fields.required(data, "deptCode", 30), "dept_name": fields.required(data, "deptName", 100),
    }
    req["caty"] = fields.optional(data, "caty", req["dept_code"])  # 科别: the department's unless given
    if visit.kind == "inpatient":
        # the admission diagnosis is also the expected main discharge diagnosis (spec §5 2401)
        dise_codg, dise_name = fields.required(data, "diseCodg", 30), fields.required(data, "diseName", 100)
        req |= {"ipt_no": req["ipt_otp_no"], "adm_dept_codg": req["dept_code"], "adm_dept_name": req["dept_name"],
                "atddr_no": fields.required(data, "atddrNo", 30), "chfpdr_name": fields.required(data, "drName", 50),
                "dise_codg": dise_codg, "dise_name": dise_name, "adm_diag_dscr": dise_name,
                "dscg_maindiag_code": dise_codg, "dscg_maindiag_name": dise_name}
    with read_tx(desk.ctx.engine) as conn:
        busy = conn.execute(select(ins_settlements.c.id).where(ins_settlements.c.live_psn == psn_no)).scalar()
    if busy is not None:
        raise PatientBusyError(f"参保人已有未完成的医保结算（记录{busy}），请先完成或撤销")
    now = desk.now17()
    try:
        with write_tx(desk.ctx.engine) as conn:
            sid = inserted_id(conn.execute(insert(ins_settlements).values(
                visit=visit.kind, state=state.BORN, psn_no=psn_no, live_psn=psn_no, insuplc_admdvs=insuplc,
                insutype=req["insutype"], mdtrt_id="", ipt_otp_no=req["ipt_otp_no"], settle_attempts=0,
                caller=desk.caller, opter=desk.op.opter, request_json=json.dumps({"register": req}, ensure_ascii=False),
                created_at=now, updated_at=now)))
            audit_row(conn, desk, "ins_register", sid, None, {"state": state.BORN, "visit": visit.kind})
    except IntegrityError:
        raise PatientBusyError() from None
    try:
        mdtrt_id = desk.client.register(desk.op, visit, insuplc, req)
    except Exception as exc:
        with write_tx(desk.ctx.engine) as conn:
            state.move(conn, sid, "abandon", psn_no, note=f"登记失败：{getattr(exc, 'message', type(exc).__name__)}"[:500],
                       updated_at=desk.now17())
            audit_row(conn, desk, "ins_register_failed", sid, {"state": state.BORN}, {"state": state.CANCELLED})
        raise
    with write_tx(desk.ctx.engine) as conn:
        conn.execute(update(ins_settlements).where(ins_settlements.c.id == sid)
                     .values(mdtrt_id=mdtrt_id, updated_at=desk.now17()))
        audit_row(conn, desk, "ins_registered", sid, None, {"mdtrt_id": mdtrt_id})
        return records.answer(records.load(conn, sid))


# ----------------------------------------------------------------------------- fees, pre-settle

def visit_of(row: Mapping[str, Any]) -> Visit:
    """The transactions of the row's visit kind (outpatient / inpatient)."""
    return VISITS[row["visit"]]


def upload_fees(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2204 / 2301: the fee details of the visit; the visit's total grows by their sum."""
    sid = fields.settlement_id(data)
    chrg_bchno = fields.required(data, "chrgBchno", 30)
    fees = data.get("fees")
    if not isinstance(fees, list) or not fees or not all(isinstance(f, Mapping) for f in fees):
        raise InsuranceRequestError("fees必须是非空的费用明细列表")
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if not state.TRANSITIONS["upload_fees"].allows(row["state"]):
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能上传费用")
    details, total = [], Decimal("0.00")
    for i, fee in enumerate(fees, 1):
        d = fields.snake_keys(fee)
        for name in ("feedetl_sn", "med_list_codg", "medins_list_codg"):
            fields.required(d, name)
        amt = fields.amount(d.get("det_item_fee_sumamt"), f"fees[{i}].detItemFeeSumamt")
        total += amt
        details.append(d | {"det_item_fee_sumamt": str(amt), "mdtrt_id": row["mdtrt_id"], "psn_no": row["psn_no"],
                            "chrg_bchno": chrg_bchno, "fee_ocur_time": d.get("fee_ocur_time") or
                            f"{desk.ctx.clock.now().astimezone(CST):%Y-%m-%d %H:%M:%S}"})
    results = desk.client.upload_fees(desk.op, visit_of(row), row["insuplc_admdvs"], details)
    with write_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        before = row["medfee_sumamt"] or Decimal("0.00")
        # every line is kept (sealed) for the way back: 2205/2302 cancel them by batch or serial number
        lines = request_of(row).get("fees", []) + [{"sn": str(d["feedetl_sn"]), "bchno": chrg_bchno,
                                                   "amt": str(d["det_item_fee_sumamt"]), "live": True} for d in details]
        state.move(conn, sid, "upload_fees", row["psn_no"], chrg_bchno=chrg_bchno, medfee_sumamt=before + total,
                   request_json=json.dumps(request_of(row) | {"fees": lines}, ensure_ascii=False),
                   updated_at=desk.now17())
        audit_row(conn, desk, "ins_fees", sid, {"state": row["state"], "medfee_sumamt": str(before)},
               {"state": state.FEES_UPLOADED, "medfee_sumamt": str(before + total), "lines": len(details)})
        out = records.answer(records.load(conn, sid))
    out["fees"] = [{"feedetlSn": r.feedetl_sn, "detItemFeeSumamt": str(r.det_item_fee_sumamt),
                    "fulamtOwnpayAmt": str(r.fulamt_ownpay_amt), "preselfpayAmt": str(r.preselfpay_amt),
                    "inscpScpAmt": str(r.inscp_scp_amt), "chrgitmLv": r.chrgitm_lv} for r in results]
    return out


def discharge(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2402 for an inpatient visit that is still open (its state does not change; the discharge is
    recorded with the visit and audited)."""
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if row["visit"] != "inpatient" or row["state"] not in (state.REGISTERED, state.FEES_UPLOADED, state.PRE_SETTLED):
        raise SettlementStateError(f"医保结算{sid}不是未结算的住院就诊，不能办理出院")
    reg = request_of(row).get("register", {})
    info = {"mdtrt_id": row["mdtrt_id"], "psn_no": row["psn_no"], "insutype": row["insutype"],
            "endtime": fields.optional(data, "endtime", f"{desk.ctx.clock.now().astimezone(CST):%Y-%m-%d %H:%M:%S}"),
            "dise_codg": fields.optional(data, "diseCodg", reg.get("dise_codg", "")),
            "dise_name": fields.optional(data, "diseName", reg.get("dise_name", "")),
            "dscg_way": fields.optional(data, "dscgWay", "1"),
            "dscg_dept_codg": fields.optional(data, "dscgDeptCodg", reg.get("dept_code", "")),
            "dscg_dept_name": fields.optional(data, "dscgDeptName", reg.get("dept_name", ""))}
    desk.client.discharge(desk.op, row["insuplc_admdvs"], info)
    with write_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        conn.execute(update(ins_settlements).where(ins_settlements.c.id == sid).values(
            request_json=json.dumps(request_of(row) | {"discharge": info}, ensure_ascii=False), updated_at=desk.now17()))
        audit_row(conn, desk, "ins_discharge", sid, None, {"endtime": info["endtime"], "dise_codg": info["dise_codg"]})
        return records.answer(records.load(conn, sid)) | {"discharged": info["endtime"]}


def _settle_data(row: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    reg = request_of(row).get("register", {})
    data = {"psn_no": row["psn_no"], "mdtrt_cert_type": reg.get("mdtrt_cert_type", ""),
            "mdtrt_cert_no": reg.get("mdtrt_cert_no", ""), "med_type": reg.get("med_type", ""),
            "medfee_sumamt": str(row["medfee_sumamt"] or Decimal("0.00")), "psn_setlway": extra.get("psn_setlway", "01"),
            "mdtrt_id": row["mdtrt_id"], "chrg_bchno": row["chrg_bchno"] or "", "insutype": row["insutype"],
            "acct_used_flag": extra.get("acct_used_flag", "1")}
    if row["visit"] == "inpatient":
        data |= {"mid_setl_flag": extra.get("mid_setl_flag", "0"), "invono": ""}
    return data


def pre_settle(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2206 / 2303: the amounts the settlement would have (nothing is created on the platform)."""
    sid = fields.settlement_id(data)
    extra = {"psn_setlway": fields.one_of(data, "psnSetlway", ("01", "02"), "01"),
             "acct_used_flag": fields.one_of(data, "acctUsedFlag", ("0", "1"), "1"),
             "mid_setl_flag": fields.one_of(data, "midSetlFlag", ("0", "1"), "0")}
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if not state.TRANSITIONS["pre_settle"].allows(row["state"]):
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能预结算")
    pre = desk.client.pre_settle(desk.op, visit_of(row), row["insuplc_admdvs"], _settle_data(row, extra))
    check_amounts(pre, desk.ctx.config.insurance_fund_includes_acct)
    with write_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        req = request_of(row) | {"settle": extra}
        state.move(conn, sid, "pre_settle", row["psn_no"], request_json=json.dumps(req, ensure_ascii=False),
                   updated_at=desk.now17())
        audit_row(conn, desk, "ins_pre_settle", sid, {"state": row["state"]},
               {"state": state.PRE_SETTLED, "medfee_sumamt": str(pre.medfee_sumamt)})
        out = records.answer(records.load(conn, sid))
    return out | {"preSettlement": pre.wire()}


# ----------------------------------------------------------------------------- settle

def settle(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2207 / 2304 with the rules of the module docstring."""
    sid = fields.settlement_id(data)
    with write_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
        if row["state"] in (state.SETTLING, state.IN_DOUBT):
            raise SettlementInDoubtError(f"医保结算{sid}正在结算或结果待核实，切勿重复结算")
        visit = visit_of(row)
        msgid = record(conn, desk.ctx.clock, desk.ctx.config.insurance_fixmedins_code, visit.settle, desk.op.opter,
                       {"data": {"psn_no": row["psn_no"], "mdtrt_id": row["mdtrt_id"]}}, settlement_id=sid)
        state.move(conn, sid, "begin_settle", row["psn_no"], settle_msgid=msgid, owner=desk.ctx.instance,
                   settle_attempts=row["settle_attempts"] + 1, note=None, updated_at=desk.now17())
        audit_row(conn, desk, "ins_settle_begin", sid, {"state": row["state"]}, {"state": state.SETTLING, "msgid": msgid})
    # committed: the msgid is on disk before anything is sent (a SIGKILL from here on is resolved at restart)
    settle_data = _settle_data(row, request_of(row).get("settle", {}))
    try:
        result = desk.client.settle(desk.op, visit, row["insuplc_admdvs"], settle_data, msgid)
    except InsuranceRejected as exc:
        _back(desk, sid, row["psn_no"], "settle_refused", exc.message)
        raise
    except InsuranceUnreachable as exc:
        if not exc.in_doubt:
            _back(desk, sid, row["psn_no"], "settle_refused", exc.message)
            raise
        with write_tx(desk.ctx.engine) as conn:
            state.move(conn, sid, "doubt", row["psn_no"], note=exc.message[:500], updated_at=desk.now17())
            audit_row(conn, desk, "ins_settle_in_doubt", sid, {"state": state.SETTLING}, {"state": state.IN_DOUBT})
        outcome = resolve_one(desk.ctx, desk.client, sid)
        with read_tx(desk.ctx.engine) as conn:
            now_row = records.load(conn, sid)
        if outcome == RESOLVED_SETTLED:
            return records.answer(now_row) | {"recovered": True}
        if now_row["state"] == state.PRE_SETTLED:
            raise SettlementStateError(f"医保结算{sid}未成功：平台无此结算，已冲正（msgid {msgid}），可重新结算") from exc
        raise SettlementInDoubtError(f"医保结算{sid}结果不确定（msgid {msgid}），服务器将向医保平台核实，"
                                     "请稍后查询，切勿重复结算") from exc
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, "settled", row["psn_no"], **settled_values(result, desk.now17()))
        audit_row(conn, desk, "ins_settled", sid, {"state": state.SETTLING},
               {"state": state.SETTLED, "setl_id": result.setl_id, "medfee_sumamt": str(result.medfee_sumamt)})
        return records.answer(records.load(conn, sid))


def _back(desk: Desk, sid: int, psn_no: str, transition: str, why: str) -> None:
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, transition, psn_no, owner=None, note=why[:500], updated_at=desk.now17())
        audit_row(conn, desk, "ins_settle_refused", sid, {"state": state.SETTLING}, {"state": state.PRE_SETTLED,
                                                                                   "why": why[:200]})


# ----------------------------------------------------------------------------- reverse, query (cancel: cancel.py)

def reverse(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """2601 of the settlement's msgid (a settled one, e.g. when the hospital side failed after it);
    an in-doubt one is resolved first (5203, 2601 when the platform has none)."""
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if row["state"] in (state.SETTLING, state.IN_DOUBT):
        resolve_one(desk.ctx, desk.client, sid)
        with read_tx(desk.ctx.engine) as conn:
            return records.answer(records.load(conn, sid))
    if row["state"] != state.SETTLED:
        raise SettlementStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能冲正")
    visit = visit_of(row)
    desk.client.reverse(desk.op, row["insuplc_admdvs"], psn_no=row["psn_no"], omsgid=row["settle_msgid"],
                        oinfno=visit.settle)
    with write_tx(desk.ctx.engine) as conn:
        state.move(conn, sid, "reverse", row["psn_no"], updated_at=desk.now17())
        mark(conn, desk.ctx.clock, desk.actor, row["settle_msgid"], "reversed", "2601冲正")
        audit_row(conn, desk, "ins_reverse", sid, {"state": state.SETTLED}, {"state": state.REVERSED})
        return records.answer(records.load(conn, sid))


def query(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """The settlement record; with ``refresh`` = "1" also the platform's 5203 view of the visit."""
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    out = records.answer(row)
    if fields.optional(data, "refresh") == "1" and row["mdtrt_id"]:
        found = desk.client.query_settlement(desk.op, row["insuplc_admdvs"], psn_no=row["psn_no"],
                                             mdtrt_id=row["mdtrt_id"])
        out["platform"] = [s.wire() for s in found]
    return out
