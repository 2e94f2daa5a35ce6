"""Outpatient clinic: departments, doctors, slots with remaining counts (普通/专家/急诊), 挂号 now,
appointments (book, list, check in with a queue number, cancel giving the slot back)."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from simulators.his import catalog, ebills, fields, ledger
from simulators.his import errors as e
from simulators.his.context import HisContext
from simulators.his.errors import HisError
from simulators.his.people import yuan
from simulators.his.registry import op

STATUS_TEXT = {"booked": "已预约", "checked_in": "已签到", "cancelled": "已取消"}


def _dept(db: sqlite3.Connection, code: str) -> tuple[str, str]:
    row = db.execute("SELECT code, name FROM departments WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise HisError(e.DEPT_NOT_FOUND, f"deptCode（科室编码）{code}不存在")
    return row["code"], row["name"]


def _fee(slot_type: str) -> int:
    return sum(f[3] for f in catalog.SLOT_FEES[slot_type])


def render_slot(row: sqlite3.Row) -> dict[str, Any]:
    """A slot on the wire."""
    return {"slotId": row["id"], "deptCode": row["dept_code"], "deptName": row["dept_name"],
            "doctorCode": row["doctor_code"], "doctorName": row["doctor_name"] or "", "date": row["day"],
            "period": row["period"], "type": row["type"], "fee": yuan(_fee(row["type"])), "total": row["total"],
            "remaining": row["remaining"]}


_SLOT_SQL = ("SELECT s.*, d.name AS dept_name, doc.name AS doctor_name FROM slots s"
             " JOIN departments d ON d.code = s.dept_code LEFT JOIN doctors doc ON doc.code = s.doctor_code")


@op("dept.list", "read", "科室列表")
def departments(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """-> ``{departments: [{deptCode, name, location}]}``."""
    rows = db.execute("SELECT * FROM departments ORDER BY rowid").fetchall()
    return {"departments": [{"deptCode": r["code"], "name": r["name"], "location": r["location"]} for r in rows]}


@op("doctor.list", "read", "医生列表")
def doctors(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{deptCode?}`` -> ``{doctors: [{doctorCode, name, title, deptCode, expert}]}``."""
    code = fields.text(body, "deptCode", "科室编码", 10, required=False)
    if code:
        _dept(db, code)
    rows = db.execute("SELECT * FROM doctors WHERE ? = '' OR dept_code = ? ORDER BY code", (code, code)).fetchall()
    return {"doctors": [{"doctorCode": r["code"], "name": r["name"], "title": r["title"], "deptCode": r["dept_code"],
                         "expert": bool(r["expert"])} for r in rows]}


def _bookable(ctx: HisContext, day: date) -> None:
    if day not in catalog.bookable_days(ctx.today()):
        raise HisError(e.DATE_OUT_OF_RANGE, f"date（就诊日期）只能是今天起{catalog.BOOKING_DAYS}天内")


@op("slot.list", "read", "号源查询")
def slots(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{deptCode, date, type?}`` -> ``{slots: [...]}`` with remaining counts."""
    code, _ = _dept(db, fields.text(body, "deptCode", "科室编码", 10))
    day = fields.day(body, "date", "就诊日期")
    assert day is not None
    kind = fields.optional_choice(body, "type", "号别", catalog.SLOT_TYPES)
    _bookable(ctx, day)
    catalog.ensure_slots(db, day)  # read connection: autocommit insert of a new day's slots
    rows = db.execute(_SLOT_SQL + " WHERE s.dept_code = ? AND s.day = ? AND (? = '' OR s.type = ?) ORDER BY s.id",
                      (code, day.isoformat(), kind, kind)).fetchall()
    return {"slots": [render_slot(r) for r in rows]}


def render_appointment(db: sqlite3.Connection, appt_id: int) -> dict[str, Any]:
    """An appointment on the wire."""
    a = db.execute("SELECT * FROM appointments WHERE id = ?", (appt_id,)).fetchone()
    slot = db.execute(_SLOT_SQL + " WHERE s.id = ?", (a["slot_id"],)).fetchone()
    return {"appointmentNo": a["no"], "patientId": a["patient_id"], "status": a["status"],
            "statusText": STATUS_TEXT[a["status"]], "queueNo": a["queue_no"], "settlementNo": a["settlement_no"],
            "slot": render_slot(slot), "createdAt": a["created_at"], "checkedInAt": a["checked_in_at"],
            "cancelledAt": a["cancelled_at"]}


def _take_slot(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any], now_only: bool) -> dict[str, Any]:
    patient = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    slot_id = fields.integer(body, "slotId", "号源编号")
    who = ledger.issuer(ctx, body)
    slot = db.execute(_SLOT_SQL + " WHERE s.id = ?", (slot_id,)).fetchone()
    if slot is None:
        raise HisError(e.SLOT_NOT_FOUND, f"slotId（号源编号）{slot_id}不存在")
    day = date.fromisoformat(slot["day"])
    if now_only and day != ctx.today():
        raise HisError(e.NOT_TODAY, "现场挂号只能挂当天的号，其他日期请预约")
    _bookable(ctx, day)
    if db.execute("SELECT 1 FROM appointments WHERE patient_id = ? AND slot_id = ? AND status != 'cancelled'",
                  (patient["id"], slot_id)).fetchone():
        raise HisError(e.DUPLICATE_BOOKING, "该患者已预约此号源，不能重复预约")
    if db.execute("UPDATE slots SET remaining = remaining - 1 WHERE id = ? AND remaining > 0", (slot_id,)).rowcount != 1:
        raise HisError(e.SLOT_FULL, f"{slot['dept_name']}{slot['day']}{slot['period']}{slot['type']}号已约满")
    fee = _fee(slot["type"])
    pay = ledger.take_payment(ctx, db, body, patient["id"], fee)
    ledger.check_refusal(ctx)
    now = ctx.now()
    cur = db.execute("INSERT INTO appointments (patient_id, slot_id, status, created_at) VALUES (?, ?, 'booked', ?)",
                     (patient["id"], slot_id, now.isoformat(timespec="seconds")))
    appt_no = f"YY{now:%Y%m%d}{cur.lastrowid:06d}"
    items = [{"code": f"GH{i}", "name": name, "spec": slot["type"], "unit": "次", "priceFen": fen, "qty": 1,
              "amountFen": fen, "chargeCode": code, "chargeName": cname}
             for i, (code, cname, name, fen) in enumerate(catalog.SLOT_FEES[slot["type"]], 1)]
    no = ledger.create(ctx, db, kind="registration", appid=appid, patient_id=patient["id"], amount=fee, pay=pay,
                       items=items, who=who)
    db.execute("UPDATE appointments SET no = ?, settlement_no = ? WHERE id = ?", (appt_no, no, cur.lastrowid))
    staff = str(ctx.config.get("payee") or ctx.caller_name(appid))
    place = str(ctx.config.get("placeCode", "")) if who == "his" else ""
    channels = pay.channels(str(ctx.config["prepayChannelCode"]), str(ctx.config["depositChannelCode"]))
    ledger.attach_ebill(db, no, *ebills.registration(no, patient, now, items, channels,
                                                     (slot["dept_code"], slot["dept_name"]), day, appt_no, staff, place))
    if now_only:
        _check_in(db, int(cur.lastrowid or 0), now.isoformat(timespec="seconds"))
    return {"appointment": render_appointment(db, int(cur.lastrowid or 0)), "settlement": ledger.render(db, no)}


@op("registration.create", "money", "当日挂号")
def register_now(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """挂号 for today: takes a slot, pays the fee, checks in at once (queue number)."""
    return _take_slot(ctx, db, appid, body, now_only=True)


@op("appointment.book", "money", "预约挂号")
def book(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """预约挂号 for today or a later day: takes a slot and pays the fee; check in on the day."""
    return _take_slot(ctx, db, appid, body, now_only=False)


@op("appointment.list", "read", "预约记录")
def appointments(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{patientId, status?}`` -> ``{appointments: [...]}`` newest first."""
    p = ledger.patient_row(db, fields.text(body, "patientId", "患者编号"))
    status = fields.optional_choice(body, "status", "状态", tuple(STATUS_TEXT))
    rows = db.execute("SELECT id FROM appointments WHERE patient_id = ? AND (? = '' OR status = ?) ORDER BY id DESC",
                      (p["id"], status, status)).fetchall()
    return {"appointments": [render_appointment(db, r["id"]) for r in rows]}


def _appointment(db: sqlite3.Connection, body: dict[str, Any]) -> sqlite3.Row:
    no = fields.text(body, "appointmentNo", "预约单号")
    row = db.execute("SELECT a.*, s.day FROM appointments a JOIN slots s ON s.id = a.slot_id WHERE a.no = ?",
                     (no,)).fetchone()
    if row is None:
        raise HisError(e.APPOINTMENT_NOT_FOUND, f"appointmentNo（预约单号）{no}不存在")
    return row  # type: ignore[no-any-return]  # sqlite3.Row from fetchone() is typed Any


def _check_in(db: sqlite3.Connection, appt_id: int, when: str) -> None:
    slot_id = db.execute("SELECT slot_id FROM appointments WHERE id = ?", (appt_id,)).fetchone()["slot_id"]
    queue = db.execute("SELECT COALESCE(MAX(queue_no), 0) + 1 AS q FROM appointments WHERE slot_id = ?",
                       (slot_id,)).fetchone()["q"]
    db.execute("UPDATE appointments SET status = 'checked_in', queue_no = ?, checked_in_at = ? WHERE id = ?",
               (queue, when, appt_id))


@op("appointment.checkIn", "write", "预约签到")
def check_in(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """签到 on the visit day -> queue number; a second check-in is refused."""
    a = _appointment(db, body)
    if a["status"] == "checked_in":
        raise HisError(e.ALREADY_CHECKED_IN, f"该预约已签到，排队号{a['queue_no']}，请勿重复签到")
    if a["status"] == "cancelled":
        raise HisError(e.CANNOT_CANCEL, "该预约已取消，不能签到")
    if a["day"] != ctx.today().isoformat():
        raise HisError(e.NOT_TODAY, f"只能在就诊当天（{a['day']}）签到")
    _check_in(db, a["id"], ctx.now().isoformat(timespec="seconds"))
    out = render_appointment(db, a["id"])
    return {"appointment": out, "queueNo": out["queueNo"]}


def cancel_appointment(ctx: HisContext, db: sqlite3.Connection, appid: str, appt: sqlite3.Row,
                       reason: str) -> dict[str, Any]:
    """Cancel a booked (not checked-in) appointment: the slot comes back and the fee is refunded."""
    if appt["status"] != "booked":
        raise HisError(e.CANNOT_CANCEL, f"预约状态为{STATUS_TEXT[appt['status']]}，不能取消")
    db.execute("UPDATE appointments SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
               (ctx.now().isoformat(timespec="seconds"), appt["id"]))
    db.execute("UPDATE slots SET remaining = remaining + 1 WHERE id = ?", (appt["slot_id"],))
    return ledger.refund(ctx, db, appid, ledger.get(db, appt["settlement_no"]), reason)


@op("appointment.cancel", "money", "取消预约")
def cancel(ctx: HisContext, db: sqlite3.Connection, appid: str, body: dict[str, Any]) -> dict[str, Any]:
    """``{requestId, appointmentNo, reason?}`` -> ``{appointment, refund}``."""
    a = _appointment(db, body)
    refund = cancel_appointment(ctx, db, appid, a, fields.text(body, "reason", "取消原因", 100, required=False))
    return {"appointment": render_appointment(db, a["id"]), "refund": refund}
