"""Inpatients: the stay of a patient, deposit top-up (住院押金), the daily fee list (日清单), the
discharge bill and discharge settlement (出院结算: deposit first, the rest by external payment,
surplus deposit reported for refund)."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from simulators.his import ebills, fields, ledger
from simulators.his import errors as e
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.people import amount_fen, yuan
from simulators.his.registry import op


def _fee_items(db: sqlite3.Connection, admission_no: str, day: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM daily_fees WHERE admission_no = ?" + (" AND day = ?" if day else "") + " ORDER BY day, id"
    args = (admission_no, day) if day else (admission_no,)
    return [{"day": r["day"], "code": r["code"], "name": r["name"], "spec": r["spec"], "unit": r["unit"],
             "priceFen": r["price_fen"], "qty": r["qty"], "amountFen": r["price_fen"] * r["qty"],
             "chargeCode": r["charge_code"], "chargeName": r["charge_name"], "chargeId": admission_no}
            for r in db.execute(sql, args)]


def _stay(db: sqlite3.Connection, body: dict[str, Any]) -> dict[str, Any]:
    no = fields.text(body, "admissionNo", "住院号", 20)
    row = db.execute("SELECT * FROM inpatients WHERE admission_no = ?", (no,)).fetchone()
    if row is None:
        raise HisError(e.INPATIENT_NOT_FOUND, f"admissionNo（住院号）{no}不存在")
    return dict(row)


def render_stay(db: sqlite3.Connection, s: dict[str, Any]) -> dict[str, Any]:
    """An inpatient stay on the wire."""
    p = db.execute("SELECT name FROM patients WHERE id = ?", (s["patient_id"],)).fetchone()
    dept = db.execute("SELECT name FROM departments WHERE code = ?", (s["dept_code"],)).fetchone()
    total = sum(i["amountFen"] for i in _fee_items(db, s["admission_no"]))
    return {"admissionNo": s["admission_no"], "patientId": s["patient_id"], "patientName": p["name"],
            "deptCode": s["dept_code"], "deptName": dept["name"] if dept else "", "ward": s["ward"], "bed": s["bed"],
            "admittedOn": s["admitted_on"], "status": s["status"], "dischargedOn": s["discharged_on"],
            "deposit": yuan(s["deposit_fen"]), "totalFees": yuan(total), "settlementNo": s["settlement_no"]}


@op("inpatient.get", "read", "住院信息")
def get(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{patientId}`` -> ``{inpatient}`` (the current stay, else the latest)."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    row = db.execute("SELECT * FROM inpatients WHERE patient_id = ? ORDER BY status = 'in' DESC, admitted_on DESC"
                     " LIMIT 1", (p["id"],)).fetchone()
    if row is None:
        raise HisError(e.INPATIENT_NOT_FOUND, "该患者没有住院记录")
    return {"inpatient": render_stay(db, dict(row))}


@op("inpatient.list", "read", "病区在院患者")
def list_stays(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{ward O, status O (in | discharged | all, default in)}`` -> ``{inpatients: [stay]}`` by ward, bed."""
    ward = str(body.get("ward") or "")
    status = str(body.get("status") or "in")
    if status not in ("in", "discharged", "all"):
        raise HisError(e.FIELD_FORMAT, "status（住院状态）只能是in、discharged或all")
    sql, args = "SELECT * FROM inpatients WHERE 1 = 1", list[str]()
    if ward:
        sql, args = sql + " AND ward = ?", [*args, ward]
    if status != "all":
        sql, args = sql + " AND status = ?", [*args, status]
    rows = db.execute(sql + " ORDER BY ward, bed, admission_no LIMIT 500", args).fetchall()
    return {"inpatients": [render_stay(db, dict(r)) for r in rows]}


def _in_hospital(s: dict[str, Any]) -> None:
    if s["status"] != "in":
        raise HisError(e.ALREADY_DISCHARGED, f"住院号{s['admission_no']}已出院结算")


@op("inpatient.deposit", "money", "住院押金充值")
def deposit(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, admissionNo, amount, payChannel, payRef, payAmount, issuer}`` -> ``{settlement}``."""
    s = _stay(db, body)
    fen = amount_fen(body.get("amount"), "amount（押金金额）")
    who = ledger.issuer(ctx, body)
    pay = ledger.external(body, fen)
    _in_hospital(s)
    ledger.check_refusal(ctx)
    p = ledger.patient_row(db, s["patient_id"])
    db.execute("UPDATE inpatients SET deposit_fen = deposit_fen + ? WHERE admission_no = ?", (fen, s["admission_no"]))
    items = [{"code": "ZYYJ", "name": "住院预交金", "spec": "", "unit": "元", "priceFen": fen, "qty": 1,
              "amountFen": fen, "chargeCode": "ZYYJ", "chargeName": "住院预交金"}]
    no = ledger.create(ctx, db, kind="deposit", appid=appid, patient_id=p["id"], amount=fen, pay=pay, items=items,
                       who=who, admission_no=s["admission_no"])
    dept = db.execute("SELECT code, name FROM departments WHERE code = ?", (s["dept_code"],)).fetchone()
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    ledger.attach_ebill(db, no, *ebills.voucher(no, "07", p, ctx.now(), fen, s["deposit_fen"], [(pay.channel, fen)],
                                                (dept["code"], dept["name"]), date.fromisoformat(s["admitted_on"]),
                                                s["admission_no"], staff, place))
    return {"settlement": ledger.render(db, no)}


@op("inpatient.dailyList", "read", "住院日清单")
def daily_list(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{admissionNo, date}`` -> the day's fee lines and total (日清单)."""
    s = _stay(db, body)
    day = fields.day(body, "date", "清单日期")
    assert day is not None
    last = date.fromisoformat(s["discharged_on"]) if s["discharged_on"] else ctx.today()
    if not date.fromisoformat(s["admitted_on"]) <= day <= last:
        raise HisError(e.DAY_OUT_OF_STAY, f"date（清单日期）{day}不在住院期间（{s['admitted_on']}至{last}）")
    items = _fee_items(db, s["admission_no"], day.isoformat())
    upto = sum(i["amountFen"] for i in _fee_items(db, s["admission_no"]) if i["day"] <= day.isoformat())
    return {"admissionNo": s["admission_no"], "date": day.isoformat(), "lines": [ledger.item_out(i) for i in items],
            "total": yuan(sum(i["amountFen"] for i in items)), "cumulative": yuan(upto),
            "deposit": yuan(s["deposit_fen"])}


def _bill(db: sqlite3.Connection, s: dict[str, Any],
          ins_fen: int = 0) -> tuple[list[dict[str, Any]], int, int, int, int]:
    """(items, total, deposit used, due on top, surplus deposit); ``ins_fen`` is paid by insurance."""
    items = _fee_items(db, s["admission_no"])
    total = sum(i["amountFen"] for i in items)
    if ins_fen > total:
        raise HisError(e.FIELD_AMOUNT, f"insurance（医保支付）{yuan(ins_fen)}超过住院费用总额{yuan(total)}")
    used = min(total - ins_fen, s["deposit_fen"])
    return items, total, used, total - ins_fen - used, s["deposit_fen"] - used


def insurance_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The optional ``insurance`` object of an insured discharge (issue 17) or outpatient
    settlement (the kiosk's insured 门诊缴费): the insurance
    platform's settlement — ``setlId``, ``psnNo``, ``insuplcAdmdvs``, ``fundPay``, ``otherfundPay``
    O, ``accountPay``; the HIS takes fund + other + account as paid and the rest from the deposit."""
    raw = body.get("insurance")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HisError(e.FIELD_FORMAT, "insurance（医保结算）须为对象")
    out: dict[str, Any] = {k: fields.text(raw, k, name, 60) for k, name in (
        ("setlId", "医保结算ID"), ("psnNo", "人员编号"), ("insuplcAdmdvs", "参保地"))}
    for key, wire, name in (("fund", "fundPay", "统筹基金支付"), ("other", "otherfundPay", "其它基金支付"),
                            ("account", "accountPay", "个人账户支付")):
        out[key] = amount_fen(raw.get(wire, "0"), f"insurance.{wire}（{name}）", positive=False)
        if out[key] < 0:
            raise HisError(e.FIELD_AMOUNT, f"insurance.{wire}（{name}）不能为负")
    return out


@op("inpatient.dischargeBill", "read", "出院费用")
def discharge_bill(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{admissionNo}`` -> fees by charge item, deposit, amount due on top, surplus to refund."""
    s = _stay(db, body)
    _in_hospital(s)
    ins = insurance_of(body)
    items, total, used, due, refund = _bill(db, s, ins["fund"] + ins["other"] + ins["account"] if ins else 0)
    groups: dict[str, dict[str, Any]] = {}
    for i in items:
        g = groups.setdefault(i["chargeCode"], {"chargeCode": i["chargeCode"], "chargeName": i["chargeName"], "fen": 0})
        g["fen"] += i["amountFen"]
    return {"inpatient": render_stay(db, s), "total": yuan(total), "deposit": yuan(s["deposit_fen"]),
            "depositUsed": yuan(used), "due": yuan(due), "refundDue": yuan(refund),
            "insurancePart": yuan(total - used - due),
            "groups": [{"chargeCode": g["chargeCode"], "chargeName": g["chargeName"], "amount": yuan(g["fen"])}
                       for g in groups.values()]}


@op("inpatient.settleDischarge", "money", "出院结算")
def settle_discharge(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, admissionNo, payChannel/payRef/payAmount (when due > 0), issuer}`` -> settlement
    with ``refundDue`` (surplus deposit the caller refunds through the original channels)."""
    s = _stay(db, body)
    who = ledger.issuer(ctx, body)
    _in_hospital(s)
    ins = insurance_of(body)
    ins_fen = ins["fund"] + ins["other"] + ins["account"] if ins else 0
    items, total, used, due, refund = _bill(db, s, ins_fen)
    ext = ledger.external(body, due) if due else ledger.Payment("deposit", "", "")
    ledger.check_refusal(ctx)
    pay = ledger.Payment("deposit" if not due else "deposit+external", ext.channel, ext.ref,
                         deposit_fen=used, external_fen=due)
    p = ledger.patient_row(db, s["patient_id"])
    no = ledger.create(ctx, db, kind="discharge", appid=appid, patient_id=p["id"], amount=total, pay=pay,
                       items=items, who=who, admission_no=s["admission_no"], refund_due=refund, insurance_fen=ins_fen)
    db.execute("UPDATE inpatients SET status = 'discharged', deposit_fen = 0, discharged_on = ?, settlement_no = ?"
               " WHERE admission_no = ?", (ctx.today().isoformat(), no, s["admission_no"]))
    dept = db.execute("SELECT code, name FROM departments WHERE code = ?", (s["dept_code"],)).fetchone()
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    channels = pay.channels(str(ctx.config["prepayChannelCode"]), str(ctx.config["depositChannelCode"]))
    ledger.attach_ebill(db, no, *ebills.hospitalized(no, p, ctx.now(), items, channels, s,
                                                     (dept["code"], dept["name"]), staff, place, (used, due, refund),
                                                     ins))
    return {"settlement": ledger.render(db, no)}
