"""Settlements: taking the money (prepayment account or an external payment reference), writing
the settlement with its e-bill content, rendering it for the wire, and the requestId records that
make every money-moving call idempotent (docs/HIS_ADAPTER.md §4).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from billing_core import methods
from simulators.his import errors as e
from simulators.his import fields
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.people import amount_fen, yuan
from simulators.his.store import dumps, loads

PAY_METHODS = ("prepayment", "external")
ISSUERS = ("terminal", "his")
PREFIX = {"registration": "GH", "outpatient": "MZ", "prepay": "YJ", "deposit": "ZJ", "discharge": "CY",
          "card": "BK", "reversal": "TF"}


@dataclass(frozen=True)
class Payment:
    """How a settlement was paid: parts in fen and the external reference."""

    method: str
    channel: str
    ref: str
    prepay_fen: int = 0
    deposit_fen: int = 0
    external_fen: int = 0

    def channels(self, prepay_code: str, deposit_code: str) -> list[tuple[str, int]]:
        """(payChannelCode, fen) of each part, for the e-bill's payChannelDetail."""
        return [(prepay_code, self.prepay_fen), (deposit_code, self.deposit_fen), (self.channel, self.external_fen)]


def patient_row(db: sqlite3.Connection, patient_id: str) -> dict[str, Any]:
    """The patient, or E3520."""
    row = db.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
    if row is None:
        raise HisError(e.PATIENT_NOT_FOUND, f"patientId（患者编号）{patient_id}不存在")
    return dict(row)


def external(body: dict[str, Any], due_fen: int) -> Payment:
    """An external payment (WeChat, Alipay, bank card, cash ... through the payment platform):
    ``payChannel``, ``payRef`` and ``payAmount`` equal to what is due."""
    channel = fields.channel(body)
    ref = fields.text(body, "payRef", "支付流水号", 64)
    paid = amount_fen(body.get("payAmount"), "payAmount（支付金额）") if body.get("payAmount") is not None else None
    if paid is None:
        raise HisError(e.FIELD_REQUIRED, "payAmount（支付金额）必填")
    if paid != due_fen:
        raise HisError(e.PAY_AMOUNT_MISMATCH, f"payAmount（支付金额）{yuan(paid)}元与应付金额{yuan(due_fen)}元不一致")
    return Payment("external", channel, ref, external_fen=due_fen)


def take_payment(ctx: HisContext, db: sqlite3.Connection, body: dict[str, Any], patient_id: str,
                 due_fen: int) -> Payment:
    """Pay ``due_fen`` by ``payMethod``: debit the prepayment account (never below zero) or record
    the external payment."""
    method = fields.choice(body, "payMethod", "支付方式", PAY_METHODS)
    if method == "external":
        return external(body, due_fen)
    cur = db.execute("UPDATE patients SET prepay_fen = prepay_fen - ? WHERE id = ? AND prepay_fen >= ?",
                     (due_fen, patient_id, due_fen))
    if cur.rowcount != 1:
        bal = db.execute("SELECT prepay_fen FROM patients WHERE id = ?", (patient_id,)).fetchone()
        raise HisError(e.BALANCE_LOW, f"预交金余额{yuan(bal['prepay_fen'] if bal else 0)}元不足，应付{yuan(due_fen)}元")
    return Payment("prepayment", str(ctx.config["prepayChannelCode"]), "", prepay_fen=due_fen)


def issuer(ctx: HisContext, body: dict[str, Any]) -> str:
    """``terminal`` (default: the caller issues the e-bill) or ``his`` (issued through the sync
    server; refused when none is configured)."""
    who = fields.choice(body, "issuer", "开票方", ISSUERS, default="terminal")
    if who == "his" and not (ctx.config.get("syncUrl") and ctx.config.get("syncAppid")):
        raise HisError(e.SYNC_NOT_CONFIGURED, "issuer（开票方）为his，但HIS未配置同步服务器地址和调用方")
    return who


def check_refusal(ctx: HisContext) -> None:
    """The "refuse the next settlement" fault knob."""
    if ctx.faults.take_refusal():
        raise HisError(e.REFUSED_BY_HIS, ctx.faults.refuse_message)


def create(ctx: HisContext, db: sqlite3.Connection, *, kind: str, appid: str, patient_id: str, amount: int,
           pay: Payment, items: list[dict[str, Any]], who: str, admission_no: str | None = None,
           refund_due: int = 0, reversal_of: str | None = None, reason: str = "", insurance_fen: int = 0) -> str:
    """Insert a settlement; returns its number (prefix by kind + date + sequence). ``insurance_fen``:
    what the insurance platform paid (an insured discharge, issue 17)."""
    cur = db.execute(
        "INSERT INTO settlements (kind, patient_id, admission_no, amount_fen, pay_method, pay_channel, pay_ref,"
        " prepay_part_fen, deposit_part_fen, external_part_fen, refund_due_fen, created_at, status, reversal_of,"
        " reason, issuer, items_json, appid, insurance_part_fen)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (kind, patient_id, admission_no, amount, pay.method, pay.channel, pay.ref, pay.prepay_fen, pay.deposit_fen,
         pay.external_fen, refund_due, ctx.now().isoformat(timespec="milliseconds"),
         "reversal" if reversal_of else "settled", reversal_of, reason, who, dumps(items), appid, insurance_fen))
    no = f"{PREFIX[kind]}{ctx.now():%Y%m%d}{cur.lastrowid:06d}"
    db.execute("UPDATE settlements SET no = ? WHERE seq = ?", (no, cur.lastrowid))
    return no


def refund(ctx: HisContext, db: sqlite3.Connection, appid: str, s: dict[str, Any], reason: str) -> dict[str, Any]:
    """The reversal settlement of ``s``: prepayment parts back to the account, external parts
    reported as a refund due through the original channel."""
    if s["status"] != "settled":
        raise HisError(e.CANNOT_REVERSE, f"结算单{s['no']}已退费或本身是退费单")
    if s["prepay_part_fen"]:
        db.execute("UPDATE patients SET prepay_fen = prepay_fen + ? WHERE id = ?", (s["prepay_part_fen"], s["patient_id"]))
    pay = Payment(s["pay_method"], s["pay_channel"], s["pay_ref"], prepay_fen=-s["prepay_part_fen"],
                  deposit_fen=-s["deposit_part_fen"], external_fen=-s["external_part_fen"])
    no = create(ctx, db, kind="reversal", appid=appid, patient_id=s["patient_id"], amount=-s["amount_fen"],
                pay=pay, items=[], who=s["issuer"], admission_no=s["admission_no"],
                refund_due=s["external_part_fen"], reversal_of=s["no"], reason=reason)
    db.execute("UPDATE settlements SET status = 'reversed', reversed_by = ? WHERE no = ?", (no, s["no"]))
    if s["issuer"] == "his" and s["ebill_method"] in methods.ISSUE:
        # the HIS issued the bill, so the HIS red-flushes it (issuer.write_off_one fills the numbers)
        attach_ebill(db, no, methods.WRITE_OFF_EBILL, {
            "reason": reason or "退费", "operator": str(ctx.config.get("payee") or ctx.caller_name(appid))})
    return render(db, no)


def attach_ebill(db: sqlite3.Connection, no: str, method: str, request: dict[str, Any]) -> None:
    """Store the e-bill content of settlement ``no`` (status ``pending`` until someone issues it)."""
    db.execute("UPDATE settlements SET ebill_method = ?, ebill_request_json = ?, ebill_status = 'pending'"
               " WHERE no = ?", (method, dumps(request), no))


def get(db: sqlite3.Connection, no: str) -> dict[str, Any]:
    """The settlement row, or E3560."""
    row = db.execute("SELECT * FROM settlements WHERE no = ?", (no,)).fetchone()
    if row is None:
        raise HisError(e.SETTLEMENT_NOT_FOUND, f"settlementNo（结算单号）{no}不存在")
    return dict(row)


def render(db: sqlite3.Connection, no: str) -> dict[str, Any]:
    """A settlement as answered on the wire."""
    s = get(db, no)
    p = db.execute("SELECT name, prepay_fen FROM patients WHERE id = ?", (s["patient_id"],)).fetchone()
    out: dict[str, Any] = {
        "settlementNo": s["no"], "kind": s["kind"], "patientId": s["patient_id"], "patientName": p["name"],
        "admissionNo": s["admission_no"], "amount": yuan(s["amount_fen"]), "payMethod": s["pay_method"],
        "payChannel": s["pay_channel"], "payRef": s["pay_ref"], "prepayPart": yuan(s["prepay_part_fen"]),
        "depositPart": yuan(s["deposit_part_fen"]), "externalPart": yuan(s["external_part_fen"]),
        "insurancePart": yuan(s["insurance_part_fen"]),
        "refundDue": yuan(s["refund_due_fen"]), "createdAt": s["created_at"], "status": s["status"],
        "reversalOf": s["reversal_of"], "reversedBy": s["reversed_by"], "reason": s["reason"],
        "issuer": s["issuer"], "items": [item_out(it) for it in loads(s["items_json"])],
        "prepayBalance": yuan(p["prepay_fen"]), "ebillMethod": s["ebill_method"],
        "ebillRequest": loads(s["ebill_request_json"]), "ebill": {"status": s["ebill_status"]} | (
            loads(s["ebill_json"]) or {})}
    if s["admission_no"]:
        stay = db.execute("SELECT deposit_fen FROM inpatients WHERE admission_no = ?", (s["admission_no"],)).fetchone()
        out["depositBalance"] = yuan(stay["deposit_fen"]) if stay else None
    return out


def item_out(it: dict[str, Any]) -> dict[str, Any]:
    """A settlement or fee-list line (fen inside) as a wire line."""
    return {"code": it["code"], "name": it["name"], "spec": it.get("spec", ""), "unit": it.get("unit", ""),
            "price": yuan(it["priceFen"]), "qty": it["qty"], "amount": yuan(it["amountFen"]),
            "chargeCode": it["chargeCode"], "chargeName": it["chargeName"], "chargeId": it.get("chargeId", "")}


# --- requestId records -------------------------------------------------------------------------


def body_hash(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a call's body (the "same content" of a repeat)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                     default=str).encode("utf-8")).hexdigest()


def recorded(db: sqlite3.Connection, appid: str, rid: str) -> dict[str, Any] | None:
    """The record of a requestId of this caller, or None."""
    row = db.execute("SELECT * FROM requests WHERE appid = ? AND request_id = ?", (appid, rid)).fetchone()
    return dict(row) if row else None


def record(db: sqlite3.Connection, ctx: HisContext, appid: str, rid: str, operation: str, digest: str,
           code: str, msg: str, data: Any, settlements: list[str]) -> None:
    """Remember the outcome of a money-moving call (in the same transaction as its writes)."""
    db.execute("INSERT INTO requests (appid, request_id, operation, body_hash, code, msg, answer_json,"
               " settlements_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (appid, rid, operation, digest, code, msg, None if data is None else dumps(data), dumps(settlements),
                ctx.now().isoformat(timespec="milliseconds")))
