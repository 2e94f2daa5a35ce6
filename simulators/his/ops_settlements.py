"""Settlement history, reversal (退费, recorded as a negative reversal settlement), the query by
requestId (did a call whose answer was lost happen?), and the HIS's own e-bill issuing retry."""

from __future__ import annotations

import sqlite3
from typing import Any

from simulators.his import errors as e
from simulators.his import fields, ledger, ops_clinic
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.registry import op
from simulators.his.store import dumps, loads

KINDS = tuple(ledger.PREFIX)


@op("settlement.list", "read", "结算记录")
def history(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{patientId, kind?}`` -> ``{settlements: [...]}`` newest first (at most 100)."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    kind = fields.optional_choice(body, "kind", "结算类型", KINDS)
    rows = db.execute("SELECT no FROM settlements WHERE patient_id = ? AND (? = '' OR kind = ?) ORDER BY seq DESC"
                      " LIMIT 100", (p["id"], kind, kind)).fetchall()
    return {"settlements": [ledger.render(db, r["no"]) for r in rows]}


@op("settlement.get", "read", "结算单查询")
def get(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{settlementNo}`` -> ``{settlement}``."""
    return {"settlement": ledger.render(db, fields.text(body, "settlementNo", "结算单号"))}


@op("settlement.reverse", "money", "结算退费")
def reverse(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, settlementNo, reason}`` -> ``{reversal}``: outpatient charges refunded,
    a registration's appointment cancelled (slot back), a top-up or deposit taken back while the
    balance allows. Card fees and discharge settlements are not reversed here (人工窗口)."""
    s = ledger.get(db, fields.text(body, "settlementNo", "结算单号"))
    reason = fields.text(body, "reason", "退费原因", 100)
    if s["status"] != "settled":
        raise HisError(e.CANNOT_REVERSE, f"结算单{s['no']}已退费或本身是退费单")
    kind = s["kind"]
    if kind in ("card", "discharge"):
        raise HisError(e.CANNOT_REVERSE, "工本费和出院结算不能自助退费，请到人工窗口办理")
    if kind == "registration":
        appt = db.execute("SELECT a.*, s.day FROM appointments a JOIN slots s ON s.id = a.slot_id"
                          " WHERE a.settlement_no = ?", (s["no"],)).fetchone()
        return {"reversal": ops_clinic.cancel_appointment(ctx, db, appid, appt, reason)}
    if kind == "outpatient":
        db.execute("UPDATE charges SET status = 'refunded' WHERE settlement_no = ?", (s["no"],))
    elif kind == "prepay":
        if db.execute("UPDATE patients SET prepay_fen = prepay_fen - ? WHERE id = ? AND prepay_fen >= ?",
                      (s["amount_fen"], s["patient_id"], s["amount_fen"])).rowcount != 1:
            raise HisError(e.REFUND_EXCEEDS_BALANCE, "预交金已被使用，余额不足以退回本次充值")
    elif kind == "deposit":
        cur = db.execute("UPDATE inpatients SET deposit_fen = deposit_fen - ? WHERE admission_no = ?"
                         " AND status = 'in' AND deposit_fen >= ?", (s["amount_fen"], s["admission_no"], s["amount_fen"]))
        if cur.rowcount != 1:
            raise HisError(e.REFUND_EXCEEDS_BALANCE, "患者已出院或押金余额不足以退回本次押金")
    return {"reversal": ledger.refund(ctx, db, appid, s, reason)}


@op("request.query", "read", "按请求流水号查询")
def query(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId}`` -> what the first call with this requestId answered (the caller's own
    requestIds only). E3571 means the call never took effect: send it again."""
    rid = fields.request_id(body)
    rec = ledger.recorded(db, appid, rid)
    if rec is None:
        raise HisError(e.REQUEST_NOT_FOUND, f"requestId（请求流水号）{rid}未处理过，可以原样重发")
    return {"requestId": rid, "operation": rec["operation"], "code": rec["code"], "msg": rec["msg"],
            "createdAt": rec["created_at"], "data": refresh(db, loads(rec["answer_json"]))}


def refresh(db: sqlite3.Connection, data: Any) -> Any:
    """A recorded answer with each settlement in it re-read (its e-bill may have been issued since)."""
    if isinstance(data, dict):
        if "settlementNo" in data and "ebill" in data:
            return ledger.render(db, data["settlementNo"])
        return {k: refresh(db, v) for k, v in data.items()}
    if isinstance(data, list):
        return [refresh(db, v) for v in data]
    return data


def settlement_nos(data: Any) -> list[str]:
    """Every settlement number in an answer (in order)."""
    if isinstance(data, dict):
        if "settlementNo" in data and "ebill" in data:
            return [str(data["settlementNo"])]
        return [n for v in data.values() for n in settlement_nos(v)]
    if isinstance(data, list):
        return [n for v in data for n in settlement_nos(v)]
    return []


@op("ebill.report", "write", "登记终端开具的电子票据")
def report(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{settlementNo, billBatchCode, billNo, random, emergency?}``: the terminal tells the HIS
    which e-bill it issued for a settlement (issuer ``terminal``). Repeating the same numbers is
    harmless; other numbers for a settlement that already has a bill are refused (E3564)."""
    s = ledger.get(db, fields.text(body, "settlementNo", "结算单号"))
    numbers = {"billBatchCode": fields.text(body, "billBatchCode", "电子票据代码", 50),
               "billNo": fields.text(body, "billNo", "电子票据号码", 20),
               "random": fields.text(body, "random", "校验码", 20)}
    emergency = body.get("emergency") is True
    if s["ebill_method"] is None:
        raise HisError(e.EBILL_CONFLICT, f"结算单{s['no']}没有需要开具的电子票据")
    if s["issuer"] != "terminal":
        raise HisError(e.EBILL_CONFLICT, f"结算单{s['no']}的电子票据由HIS开具，不能由终端登记")
    held = loads(s["ebill_json"]) or {}
    if s["ebill_status"] == "issued":
        if any(held.get(k) != v for k, v in numbers.items()):
            raise HisError(e.EBILL_CONFLICT, f"结算单{s['no']}已登记电子票据{held.get('billBatchCode')}-"
                                             f"{held.get('billNo')}，与本次登记的号码不同")
    else:
        db.execute("UPDATE settlements SET ebill_status = 'issued', ebill_json = ? WHERE no = ?",
                   (dumps(numbers | {"issuedBy": appid, "emergency": emergency, "updatedAt": ctx.now().isoformat(
                       timespec="seconds")}), s["no"]))
    return {"settlement": ledger.render(db, s["no"])}
