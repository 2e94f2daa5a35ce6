"""Patients and their prepayment account: find (by social-security card, ID number, insurance
e-voucher token or hospital card), register a hospital card (办就诊卡, seed 004), balance, top-up."""

from __future__ import annotations

import sqlite3
from typing import Any

from simulators.his import catalog, ebills, fields, ledger
from simulators.his import errors as e
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.people import amount_fen, check_id_no, check_phone, id_birth, id_sex, yuan
from simulators.his.registry import op
from simulators.his.seed import add_patient, new_card_no

FIND_BY = {"ssCard": "ss_card", "idNo": "id_no", "eVoucher": "evoucher", "hospitalCard": "hospital_card"}


def render_patient(row: dict[str, Any]) -> dict[str, Any]:
    """A patient on the wire (identifiers in full: the caller needs them on the e-bill and masks
    them on screens and receipts)."""
    return {"patientId": row["id"], "name": row["name"], "sex": row["sex"], "birthDate": row["birth"],
            "idNo": row["id_no"], "phone": row["phone"], "ssCard": row["ss_card"] or "",
            "hospitalCard": row["hospital_card"] or "", "hasEVoucher": bool(row["evoucher"]),
            "address": row["address"], "prepayBalance": yuan(row["prepay_fen"])}


@op("patient.find", "read", "查询患者")
def find(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{by, value}`` -> ``{patient}``."""
    by = fields.choice(body, "by", "查询方式", tuple(FIND_BY))
    value = fields.text(body, "value", "查询值", 128)
    if by == "idNo":
        value = check_id_no(value, "value")
    row = db.execute(f"SELECT * FROM patients WHERE {FIND_BY[by]} = ?", (value,)).fetchone()
    if row is None:
        raise HisError(e.PATIENT_NOT_FOUND, "未找到该患者，请核对卡号或证件号码，或先办理就诊卡")
    return {"patient": render_patient(dict(row))}


@op("patient.register", "money", "办理就诊卡")
def register(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """办就诊卡: name, sex, birthDate, idNo, phone (all required), firstTopUp, cardFee (optional),
    payChannel/payRef/payAmount when money is due -> patient with a new hospital card."""
    name = fields.text(body, "name", "姓名", 30)
    sex = fields.choice(body, "sex", "性别", ("男", "女"))
    birth = fields.day(body, "birthDate", "出生日期")
    id_no = check_id_no(fields.text(body, "idNo", "身份证号码", 18))
    phone = check_phone(fields.text(body, "phone", "手机号码", 11))
    address = fields.text(body, "address", "住址", 100, required=False)
    if birth is None or birth.isoformat() != id_birth(id_no):
        raise HisError(e.ID_NUMBER_INVALID, "birthDate（出生日期）与身份证号码中的出生日期不一致")
    if sex != id_sex(id_no):
        raise HisError(e.ID_NUMBER_INVALID, "sex（性别）与身份证号码不一致")
    top_up = amount_fen(body.get("firstTopUp", "0"), "firstTopUp（首次充值金额）", positive=False)
    minimum = amount_fen(ctx.config["minFirstTopUp"], "minFirstTopUp", positive=False)
    if top_up < minimum:
        raise HisError(e.FIRST_TOP_UP_LOW, f"firstTopUp（首次充值金额）不能低于{yuan(minimum)}元")
    fee = amount_fen(body.get("cardFee") or "0", "cardFee（工本费）", positive=False)
    configured_fee = amount_fen(ctx.config["cardFee"], "cardFee", positive=False)
    if fee and fee != configured_fee:
        raise HisError(e.PAY_AMOUNT_MISMATCH, f"cardFee（工本费）应为{yuan(configured_fee)}元")
    who = ledger.issuer(ctx, body)
    pay = ledger.external(body, top_up + fee) if top_up + fee else None
    ledger.check_refusal(ctx)
    existing = db.execute("SELECT * FROM patients WHERE id_no = ?", (id_no,)).fetchone()
    if existing is not None and existing["hospital_card"]:
        raise HisError(e.CARD_EXISTS, "该身份证号码已办理就诊卡，请直接使用或到人工窗口补卡")
    now = ctx.now()
    card = new_card_no(db)
    if existing is not None:  # known patient (e.g. registered with a social-security card) gets a card
        pid = existing["id"]
        db.execute("UPDATE patients SET hospital_card = ?, phone = ? WHERE id = ?", (card, phone, pid))
    else:
        pid = add_patient(db, name=name, sex=sex, birth=birth.isoformat(), id_no=id_no, phone=phone,
                          hospital_card=card, address=address, now=now)
    answer: dict[str, Any] = {"cardFee": None, "topUp": None}
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    patient = dict(db.execute("SELECT * FROM patients WHERE id = ?", (pid,)).fetchone())
    if fee and pay is not None:
        code, cname, iname = catalog.CARD_FEE_CODE
        items = [{"code": code, "name": iname, "spec": "", "unit": "张", "priceFen": fee, "qty": 1,
                  "amountFen": fee, "chargeCode": code, "chargeName": cname}]
        part = ledger.Payment("external", pay.channel, pay.ref, external_fen=fee)
        no = ledger.create(ctx, db, kind="card", appid=appid, patient_id=pid, amount=fee, pay=part, items=items, who=who)
        ledger.attach_ebill(db, no, *ebills.outpatient(no, patient, now, items, [(pay.channel, fee)],
                                                       ("MZ", "门诊"), staff, place))
        answer["cardFee"] = ledger.render(db, no)
    if top_up and pay is not None:
        part = ledger.Payment("external", pay.channel, pay.ref, external_fen=top_up)
        answer["topUp"] = _top_up(ctx, db, appid, patient, top_up, part, who, staff, place)
    patient = dict(db.execute("SELECT * FROM patients WHERE id = ?", (pid,)).fetchone())
    return {"patient": render_patient(patient), "hospitalCard": card} | answer


def _top_up(ctx: HisContext, db: sqlite3.Connection, appid: str, patient: dict[str, Any], fen: int,
            pay: ledger.Payment, who: str, staff: str, place: str) -> dict[str, Any]:
    before = int(patient["prepay_fen"])
    db.execute("UPDATE patients SET prepay_fen = prepay_fen + ? WHERE id = ?", (fen, patient["id"]))
    items = [{"code": "YJJ", "name": "门诊预交金", "spec": "", "unit": "元", "priceFen": fen, "qty": 1, "amountFen": fen,
              "chargeCode": "YJJ", "chargeName": "门诊预交金"}]
    no = ledger.create(ctx, db, kind="prepay", appid=appid, patient_id=patient["id"], amount=fen, pay=pay,
                       items=items, who=who)
    hospital_no = patient["hospital_card"] or patient["ss_card"] or patient["id"]
    ledger.attach_ebill(db, no, *ebills.voucher(no, "12", patient, ctx.now(), fen, before, [(pay.channel, fen)],
                                                ("MZ", "门诊"), ctx.today(), hospital_no, staff, place))
    return ledger.render(db, no)


@op("prepay.balance", "read", "预交金余额")
def balance(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{patientId}`` -> ``{patientId, balance}``."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    return {"patientId": p["id"], "balance": yuan(p["prepay_fen"])}


@op("prepay.topUp", "money", "预交金充值")
def top_up(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, patientId, amount, payChannel, payRef, payAmount}`` -> ``{settlement}``."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    fen = amount_fen(body.get("amount"), "amount（充值金额）")
    who = ledger.issuer(ctx, body)
    pay = ledger.external(body, fen)
    ledger.check_refusal(ctx)
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    return {"settlement": _top_up(ctx, db, appid, p, fen, pay, who, staff, place)}
