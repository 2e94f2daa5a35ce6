"""Pending outpatient charges (prescriptions, exam orders) and their settlement (门诊结算):
chosen items paid from the prepayment account or by an external payment reference."""

from __future__ import annotations

import sqlite3
from typing import Any

from simulators.his import ebills, fields, ledger, ops_inpatient
from simulators.his import errors as e
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.people import yuan
from simulators.his.registry import op

KIND_TEXT = {"prescription": "处方", "exam": "检查检验"}


def charge_items(db: sqlite3.Connection, charge_id: str) -> list[dict[str, Any]]:
    """The lines of a charge in the settlement item shape (fen inside)."""
    return [{"chargeId": charge_id, "code": r["code"], "name": r["name"], "spec": r["spec"], "unit": r["unit"],
             "priceFen": r["price_fen"], "qty": r["qty"], "amountFen": r["price_fen"] * r["qty"],
             "chargeCode": r["charge_code"], "chargeName": r["charge_name"], "listType": r["list_type"]}
            for r in db.execute("SELECT * FROM charge_lines WHERE charge_id = ? ORDER BY line_no", (charge_id,))]


def render_charge(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """A pending charge on the wire."""
    items = charge_items(db, row["id"])
    dept = db.execute("SELECT name FROM departments WHERE code = ?", (row["dept_code"],)).fetchone()
    return {"chargeId": row["id"], "kind": row["kind"], "kindText": KIND_TEXT[row["kind"]], "title": row["title"],
            "deptCode": row["dept_code"], "deptName": dept["name"] if dept else "", "doctorName": row["doctor_name"],
            "createdAt": row["created_at"], "status": row["status"],
            "amount": yuan(sum(i["amountFen"] for i in items)),
            "lines": [{"lineNo": n, "code": i["code"], "name": i["name"], "spec": i["spec"], "unit": i["unit"],
                       "price": yuan(i["priceFen"]), "qty": i["qty"], "amount": yuan(i["amountFen"]),
                       "chargeCode": i["chargeCode"], "chargeName": i["chargeName"], "listType": i["listType"]}
                      for n, i in enumerate(items, 1)]}


@op("charge.pending", "read", "待缴费用")
def pending(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{patientId}`` -> ``{charges: [...], total}`` (pending only)."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    rows = db.execute("SELECT * FROM charges WHERE patient_id = ? AND status = 'pending' ORDER BY id",
                      (p["id"],)).fetchall()
    charges = [render_charge(db, r) for r in rows]
    total = sum(sum(i["amountFen"] for i in charge_items(db, r["id"])) for r in rows)
    return {"patientId": p["id"], "charges": charges, "total": yuan(total)}


@op("outpatient.settle", "money", "门诊结算")
def settle(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, patientId, chargeIds, payMethod, payChannel/payRef/payAmount (external), issuer,
    insurance O}`` -> ``{settlement}``; the charges leave the pending list.

    ``insurance`` (optional, as on an insured discharge): the insurance platform's settlement of
    these charges — ``setlId``, ``psnNo``, ``insuplcAdmdvs``, ``fundPay``, ``otherfundPay`` O,
    ``accountPay``. The HIS takes fund + other + account as paid (``insurancePart``), the payment
    covers the rest (nothing to pay when the insurance covers it all), and the e-bill carries the
    insurance fields."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    ids = fields.id_list(body, "chargeIds", "待缴费用编号")
    who = ledger.issuer(ctx, body)
    items: list[dict[str, Any]] = []
    dept_code = ""
    for cid in ids:
        row = db.execute("SELECT * FROM charges WHERE id = ?", (cid,)).fetchone()
        if row is None or row["patient_id"] != p["id"] or row["status"] != "pending":
            raise HisError(e.CHARGE_NOT_PENDING, f"chargeIds（待缴费用）{cid}不存在、不属于该患者或已结算")
        dept_code = dept_code or row["dept_code"]
        items.extend(charge_items(db, cid))
    total = sum(i["amountFen"] for i in items)
    ins = ops_inpatient.insurance_of(body)
    ins_fen = ins["fund"] + ins["other"] + ins["account"] if ins else 0
    if ins_fen > total:
        raise HisError(e.FIELD_AMOUNT, f"insurance（医保支付）{yuan(ins_fen)}超过本次费用总额{yuan(total)}")
    if ins and ins_fen == total:  # the insurance paid it all: no payment fields needed
        pay = ledger.Payment("external", "", "")
    else:
        pay = ledger.take_payment(ctx, db, body, p["id"], total - ins_fen)
    ledger.check_refusal(ctx)
    no = ledger.create(ctx, db, kind="outpatient", appid=appid, patient_id=p["id"], amount=total, pay=pay,
                       items=items, who=who, insurance_fen=ins_fen)
    db.executemany("UPDATE charges SET status = 'settled', settlement_no = ? WHERE id = ?", [(no, c) for c in ids])
    dept = db.execute("SELECT code, name FROM departments WHERE code = ?", (dept_code,)).fetchone()
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    channels = pay.channels(str(ctx.config["prepayChannelCode"]), str(ctx.config["depositChannelCode"]))
    ledger.attach_ebill(db, no, *ebills.outpatient(no, p, ctx.now(), items, channels,
                                                   (dept["code"], dept["name"]) if dept else ("MZ", "门诊"),
                                                   staff, place, prepay_fen=pay.prepay_fen, insurance=ins))
    return {"settlement": ledger.render(db, no)}
