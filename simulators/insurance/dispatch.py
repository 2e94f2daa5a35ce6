"""One request from wire to answer: fault knobs, gateway, envelope, msgid, sign_no, insured place,
the transaction in one database transaction, then the answer (or a held answer).

The msgid is recorded in the same database transaction as the business change; a failed
transaction still records it (state ``fail``) inside a savepoint, so a msgid is never used twice.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulators.insurance import (
    gateway,
    tx_base,
    tx_files,
    tx_inpatient,
    tx_outpatient,
    tx_pharmacy,
    tx_query,
    tx_recon,
    tx_reverse,
    tx_upload,
    vouchers,
)
from simulators.insurance.context import Ctx, FileAnswer, Handler, Output, store_json
from simulators.insurance.envelope import Envelope, answer, check_envelope, dumps, parse_body
from simulators.insurance.errors import InsFailure
from simulators.insurance.platform import Platform
from simulators.insurance.store import set_knob

log = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {
    **tx_base.REGISTRY, **tx_outpatient.REGISTRY, **tx_pharmacy.REGISTRY, **tx_inpatient.REGISTRY, **tx_reverse.REGISTRY,
    **tx_query.REGISTRY, **tx_recon.REGISTRY, **tx_files.REGISTRY, **tx_upload.REGISTRY, **vouchers.REGISTRY,
}

#: URL style C (spec §1.1): one service path per transaction.
SERVICE_PATHS: dict[str, str] = {
    "fsi/api/signInSignOutService/signIn": "9001", "fsi/api/signInSignOutService/signOut": "9002",
    "fsi/api/fsiPsnInfoService/queryPsnInfo": "1101",
    "fsi/api/outpatientDocInfoService/outpatientRregistration": "2201",
    "fsi/api/outpatientSettleService/preSettletment": "2206",
    "fsi/api/outpatientSettleService/saveSettletment": "2207",
    "fsi/api/outpatientSettleService/cancleSettletment": "2208",
    "fsi/api/hospFeeDtlService/feeDtlUp": "2301", "fsi/api/hospSettService/preSett": "2303",
    "fsi/api/hospSettService/settV2": "2304", "fsi/api/hospSettService/settCl": "2305",
    "fsi/api/hospitalRegisterService/hospitalRegisterSave": "2401",
    "fsi/api/dscgService/dischargeProcess": "2402", "fsi/api/reverseService/revsMethod": "2601",
    "fsi/api/ybSettlementStmtService/stmtTotal": "3201", "fsi/api/ybSettlementStmtService/stmtDetail": "3202",
    "fsi/api/medinfoupload/setllistinfoupld": "4101", "fsi/api/fsiIntegratedQueryService/querySetlInfo": "5203",
    "fsi/api/fileupload/upload": "9101", "fsi/api/fileupload/download": "9102",
    # the voucher centre's own service paths [I] (no source names them; docs/INSURANCE.md §8)
    "fsi/api/elecSetlCertService/upload": "4901", "fsi/api/elecSetlCertService/queryUploadResult": "4902",
    "fsi/api/elecSetlCertService/reupload": "4905", "fsi/api/elecSetlCertService/queryStatus": "5501",
}
#: Transactions whose input carries psn_no but not as the insured person's key (no insuplc check).
NO_INSUPLC = {"9001", "9002", "9101", "9102", "3201", "3202"}


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    filename: str = ""


def _json(status: int, value: Any) -> Reply:
    return Reply(status, dumps(value).encode("utf-8"))


def handle(platform: Platform, path_infno: str | None, headers: Mapping[str, str], raw: bytes) -> Reply:
    """Answer one POST. ``path_infno`` is the infno the URL names (styles B and C), else None."""
    received = platform.now()
    with platform.store.tx() as db:
        down, slow = platform.knob(db, "down"), platform.knob(db, "slow")
        skew, replay = platform.knob(db, "skew_seconds"), platform.knob(db, "nonce_replay")
        wrapped = platform.knob(db, "gateway_format") == "wrapped"
        as_string = bool(platform.knob(db, "infcode_string"))
        strict = bool(platform.knob(db, "strict_msgid"))
    if down:
        return Reply(503, "医保平台维护中，暂停服务".encode(), "text/plain; charset=utf-8")
    if slow:
        platform.hang(slow)
    try:
        with platform.store.tx() as db:
            inst = gateway.check(db, headers, received.timestamp(), int(skew), bool(replay))
    except gateway.GatewayRejection as exc:
        return _json(500, exc.body(wrapped))

    def fail(msg: str, infcode: int = -1, refmsgid: str = "") -> Reply:
        return _json(200, answer(infcode, {}, msg, refmsgid or _refmsgid(platform, inst), received, platform.now(),
                                 as_string))

    try:
        env = check_envelope(parse_body(raw), strict)
    except InsFailure as exc:
        return fail(exc.err_msg)
    if path_infno is not None and path_infno != env.infno:
        return fail(f"交易编号infno（{env.infno}）与请求地址的交易（{path_infno}）不符")
    if env.fixmedins_code != inst["fixmedins_code"]:
        return fail(f"定点医药机构编号fixmedins_code（{env.fixmedins_code}）与网关应用（x-tif-paasid）不符")
    handler = HANDLERS.get(env.infno)
    if handler is None:
        return fail(f"交易编号infno（{env.infno}）不存在或未开通")
    output, err, infcode, hold = _run(platform, env, inst, handler, received)
    if hold:
        platform.hang(hold)
    refmsgid = _refmsgid(platform, inst)
    if err is not None:
        return fail(err, infcode, refmsgid)
    if isinstance(output, FileAnswer):
        return Reply(200, output.content, "application/octet-stream", output.filename)
    return _json(200, answer(0, output, None, refmsgid, received, platform.now(), as_string))


def _run(platform: Platform, env: Envelope, inst: sqlite3.Row, handler: Handler,
         received: datetime) -> tuple[Output | None, str | None, int, float]:
    """The transaction; (output, err_msg, infcode, seconds to hold the answer)."""
    with platform.store.tx() as db:
        if db.execute("SELECT 1 FROM messages WHERE fixmedins_code = ? AND msgid = ?",
                      (env.fixmedins_code, env.msgid)).fetchone():
            return None, f"报文ID重复：msgid（{env.msgid}）已使用，重试请使用新的msgid", -1, 0
        psn_no = _psn_no(env.input)
        db.execute("INSERT INTO messages (fixmedins_code, msgid, infno, psn_no, received, state) VALUES"
                   " (?, ?, ?, ?, ?, 'pending')", (env.fixmedins_code, env.msgid, env.infno, psn_no,
                                                   received.strftime("%Y-%m-%d %H:%M:%S")))
        ctx = Ctx(platform, db, env, inst, received)
        refuse = platform.knob(db, "refuse")
        if refuse and (not refuse["infnos"] or env.infno in refuse["infnos"]):
            _consume(db, "refuse", refuse)
            db.execute("UPDATE messages SET state = 'fail', err_msg = ? WHERE fixmedins_code = ? AND msgid = ?",
                       (refuse["err_msg"], env.fixmedins_code, env.msgid))
            return None, refuse["err_msg"], int(refuse["infcode"]), 0
        db.execute("SAVEPOINT tx")
        try:
            if env.infno != "9001":
                tx_base.check_sign_no(ctx)
            if psn_no and env.infno not in NO_INSUPLC and platform.knob(db, "require_insuplc"):
                _check_insuplc(ctx, psn_no)
            output = handler(ctx)
        except InsFailure as exc:
            db.execute("ROLLBACK TO tx")
            db.execute("RELEASE tx")
            db.execute("UPDATE messages SET state = 'fail', err_msg = ? WHERE fixmedins_code = ? AND msgid = ?",
                       (exc.err_msg, env.fixmedins_code, env.msgid))
            return None, exc.err_msg, exc.infcode, 0
        db.execute("RELEASE tx")
        db.execute("UPDATE messages SET state = 'ok', effect_json = ? WHERE fixmedins_code = ? AND msgid = ?",
                   (store_json(ctx.effect), env.fixmedins_code, env.msgid))
        hold = 0.0
        plan = platform.knob(db, "timeout_commit")
        if plan and env.infno in plan["infnos"]:
            _consume(db, "timeout_commit", plan)
            hold = float(plan["hang_seconds"])
            log.info("timeout_commit: %s %s committed, answer held %.0f s", env.infno, env.msgid, hold)
        return output, None, 0, hold


def _consume(db: sqlite3.Connection, name: str, plan: dict[str, Any]) -> None:
    """One use of a counted knob (cleared at zero)."""
    left = int(plan["count"]) - 1
    set_knob(db, name, dict(plan, count=left) if left > 0 else None)


def _psn_no(payload: dict[str, Any]) -> str:
    """The psn_no the input carries (first one found in its nodes)."""
    for value in payload.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict) and item.get("psn_no"):
                return str(item["psn_no"])
    return ""


def _check_insuplc(ctx: Ctx, psn_no: str) -> None:
    """insuplc_admdvs is required with psn_no and must be the person's insured place (spec §2, §10.5)."""
    if not ctx.env.insuplc_admdvs:
        raise InsFailure("输入含人员编号psn_no时，参保地医保区划insuplc_admdvs不能为空")
    places = {r[0] for r in ctx.db.execute("SELECT insuplc_admdvs FROM insurances WHERE psn_no = ?", (psn_no,))}
    if places and ctx.env.insuplc_admdvs not in places:
        raise InsFailure(f"参保地医保区划insuplc_admdvs（{ctx.env.insuplc_admdvs}）与人员参保地不符")


def _refmsgid(platform: Platform, inst: sqlite3.Row) -> str:
    """inf_refmsgid: receiver admdvs(6) + time(14) + serial(10)."""
    with platform.store.tx() as db:
        return platform.new_id(db, "refmsgid", str(inst["admdvs"]))
