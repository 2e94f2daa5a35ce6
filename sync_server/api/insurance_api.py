"""``/insurance/api/<method>``: terminals' insurance transactions through the sync server
(issue 16 §3; docs/INSURANCE.md "Insurance API").

The same signed envelope as the terminal API (the terminal's appid/key, the signed stamp of
method and time in the noise, the session token inside the signed data), caller kinds and
session roles through api/access.py (security/permissions.py). Methods (billing_core.methods.INS_*):

* ``insSignIn``           — 9001 for the session's operator -> ``{opter, signTime}``
* ``insPersonInfo``       — 1101 ``{mdtrtCertType, mdtrtCertNo[, cardSn]}`` -> the person (ID number masked)
* ``insRegister``         — 2201/2401 -> a settlement record ``{settlementId, state, mdtrtId ...}``
* ``insUploadFees``       — 2204/2301 ``{settlementId, chrgBchno, fees: [...]}``
* ``insDischarge``        — 2402 ``{settlementId[, diseCodg, diseName, dscgWay, endtime]}`` (inpatient)
* ``insPreSettle``        — 2206/2303 ``{settlementId[, acctUsedFlag, psnSetlway]}``
* ``insSettle``           — 2207/2304 ``{settlementId}`` (recorded in flight first; in doubt -> 5203 / 2601)
* ``insCancel``           — 2208/2305 ``{settlementId}`` (an unsettled visit is closed locally)
* ``insReverse``          — 2601 ``{settlementId}``
* ``insSettlementQuery``  — the record ``{settlementId[, refresh: "1"]}`` (refresh: with 5203)
* ``insReconcile``        — 3201/3202 for ``{day}`` -> the report
* ``insCancelFees``       — 2205/2302 ``{settlementId, chrgBchno | feedetlSn}`` (the way back, step 2)
* ``insCancelRegistration`` — 2202/2404 ``{settlementId}`` (the way back, last step)
* ``insChangeAdmission``  — 2403 ``{settlementId, ...changed fields}`` (inpatient, in hospital)
* ``insCancelDischarge``  — 2405 ``{settlementId}`` (inpatient, no valid final settlement)
* ``insUploadSettlementList`` — 4101 ``{settlementId, setlinfo, diseinfo[], iteminfo[], payinfo[]}``

A settlement is reached only by the caller that made it, a caller sharing one of its billing
points, or a finance / admin session (insurance/scope.py); anything else is E5614, as missing.
* ``insVoucherUpload``    — the settlement's voucher queued for 4901 ``{settlementId, billBatchCode, billNo}``
* ``insVoucherStatus``    — the voucher's state ``{settlementId[, refresh: "1"]}`` (refresh: with 5501)
* ``insVoucherReupload``  — the voucher the centre refused, queued for 4905 ``{settlementId, reason}``
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app

from billing_core import methods
from sync_server.api.access import authorise, session_role
from sync_server.api.envelope_io import handle
from sync_server.api.terminal_api import check_stamp
from sync_server.connectors.insurance_envelope import KIOSK, OPERATOR, Operator
from sync_server.connectors.masking import mask_id
from sync_server.context import ServerContext
from sync_server.errors import UnknownMethodError
from sync_server.insurance import cancel, fields, reconcile, settle, settlement_list, vouchers, way_back
from sync_server.insurance.errors import InsuranceOffError, InsuranceRequestError
from sync_server.insurance.scope import ALL_SETTLEMENTS, Scope
from sync_server.insurance.settle import Desk
from sync_server.security.auth import Caller, CallerCache

bp = Blueprint("insurance_api", __name__)

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _sign_in(desk: Desk, data: dict[str, Any]) -> Any:
    result = desk.client.sign_in(desk.op)
    return {"opter": desk.op.opter, "signTime": result.sign_time}


def _person(desk: Desk, data: dict[str, Any]) -> Any:
    cert_type = fields.one_of(data, "mdtrtCertType", ("01", "02", "03"))
    cert_no = fields.required(data, "mdtrtCertNo", 50)
    card_sn = fields.optional(data, "cardSn", max_len=50)
    if cert_type == "03" and not card_sn:
        raise InsuranceRequestError("cardSn必填（社保卡就诊时）")
    p = desk.client.person_info(desk.op, cert_type, cert_no, card_sn=card_sn)
    active = p.active()
    return {"psnNo": p.psn_no, "psnName": p.psn_name, "psnCertType": p.psn_cert_type,
            "certno": mask_id(p.certno) if p.certno else "", "gend": p.gend, "brdy": p.brdy, "age": p.age,
            "insuinfo": [{"insutype": i.insutype, "psnType": i.psn_type, "psnInsuStas": i.psn_insu_stas,
                          "insuplcAdmdvs": i.insuplc_admdvs, "balc": str(i.balc)} for i in p.insuinfo],
            "active": None if active is None else {"insutype": active.insutype,
                                                   "insuplcAdmdvs": active.insuplc_admdvs, "balc": str(active.balc)}}


def _reconcile(desk: Desk, data: dict[str, Any]) -> Any:
    day = fields.required(data, "day", 10)
    if not _DAY.match(day):
        raise InsuranceRequestError("day必须是yyyy-MM-dd格式的日期")
    return reconcile.run(desk.ctx, desk.client, day, desk.op, desk.actor)


Route = Callable[[Desk, dict[str, Any]], Any]

#: Every insurance method and its handler.
ROUTES: dict[str, Route] = {
    methods.INS_SIGN_IN: _sign_in,
    methods.INS_PERSON_INFO: _person,
    methods.INS_REGISTER: settle.register,
    methods.INS_UPLOAD_FEES: settle.upload_fees,
    methods.INS_DISCHARGE: settle.discharge,
    methods.INS_PRE_SETTLE: settle.pre_settle,
    methods.INS_SETTLE: settle.settle,
    methods.INS_CANCEL: cancel.cancel,
    methods.INS_REVERSE: settle.reverse,
    methods.INS_QUERY: settle.query,
    methods.INS_RECONCILE: _reconcile,
    methods.INS_CANCEL_FEES: way_back.cancel_fees,
    methods.INS_CANCEL_REGISTRATION: way_back.cancel_registration,
    methods.INS_CHANGE_ADMISSION: way_back.change_admission,
    methods.INS_CANCEL_DISCHARGE: way_back.cancel_discharge,
    methods.INS_UPLOAD_SETTLEMENT_LIST: settlement_list.upload,
    methods.INS_VOUCHER_UPLOAD: vouchers.queue_upload,
    methods.INS_VOUCHER_STATUS: vouchers.status,
    methods.INS_VOUCHER_REUPLOAD: vouchers.queue_reupload,
}


def scope_of(caller: Caller, role: str, callers: CallerCache | None) -> Scope:
    """What the request reaches: its caller's settlements and those of callers sharing a billing
    point; every settlement for a finance / admin session."""

    def places_of(appid: str) -> frozenset[str]:
        other = callers.get(appid) if callers is not None else None
        return other.places if other is not None else frozenset()

    return Scope(caller.appid, caller.places, places_of, everything=role in ALL_SETTLEMENTS)


def dispatch(ctx: ServerContext, caller: Caller, method: str, data: dict[str, Any]) -> Any:
    """Route one verified request: caller kind and session role first (api/access.py)."""
    route = ROUTES.get(method)
    if route is None:
        raise UnknownMethodError(f"医保接口不支持的方法：{method[:64]}")
    actor = authorise(ctx, caller, method)
    client = ctx.insurance
    if client is None:
        raise InsuranceOffError()
    op = Operator(actor.actor[:30], actor.actor[:50], KIOSK if caller.kind == "kiosk" else OPERATOR)
    scope = scope_of(caller, session_role(), current_app.extensions.get("sync_callers"))
    return route(Desk(ctx, client, op, actor, caller.appid, scope), data)


@bp.post("/insurance/api/<method>")
def call(method: str) -> Any:
    """Every insurance method."""
    ctx: ServerContext = current_app.extensions["sync_server"]
    return handle(lambda caller, data: dispatch(ctx, caller, method, data),
                  guard=lambda caller, noise: check_stamp(method, noise, time.time()))
