"""Demo data and the records the control endpoints add: patients (valid ID numbers, mobiles,
cards), pending charges (prescriptions of 1-20 drug lines, exam orders), inpatients with deposits
and daily fee lists; ``config.json`` (callers and their keys, sync-server settings) and
``demo.json`` (what a person needs to try the simulator).
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from simulators.his import catalog
from simulators.his.people import amount_fen, check_id_no, check_phone, make_id_no
from simulators.his.store import Store

DEFAULT_CONFIG: dict[str, Any] = {
    "syncUrl": "", "syncAppid": "", "syncKey": "", "placeCode": "",
    "payee": "自助机", "minFirstTopUp": "10.00", "cardFee": "5.00", "prepayChannelCode": "07",
    "depositChannelCode": "07", "clockSkewSeconds": 300, "syncTimeout": 10.0, "syncBudget": 8.0,
    "syncRetrySeconds": 5.0,
}

#: name, sex, birth, region, phone, social-security card, e-voucher?, hospital card?, prepay fen
DEMO_PATIENTS: tuple[tuple[str, str, str, str, str, str, bool, bool, int], ...] = (
    ("张伟", "男", "1985-03-12", "110101", "13801380001", "", False, True, 200000),
    ("李娜", "女", "1990-07-25", "310104", "13912345678", "A12345678", True, False, 0),
    ("王芳", "女", "1962-11-02", "440106", "13600136000", "B23456789", True, True, 20000),
    ("刘洋", "男", "1978-01-30", "320102", "15800158000", "C34567890", False, True, 0),
    ("陈静", "女", "2016-05-18", "510104", "18600186000", "", False, True, 10000),
    ("杨磊", "男", "1955-09-09", "420102", "13700137000", "D45678901", True, False, 0),
    ("赵丽", "女", "1995-12-01", "330106", "15900159000", "", False, True, 30000),
    ("黄强", "男", "1969-04-14", "370102", "13300133000", "E56789012", True, True, 0),
)


def load_config(data_dir: Path) -> dict[str, Any]:
    """``config.json`` of the data directory, created with fresh caller keys on the first start."""
    path = Path(data_dir) / "config.json"
    if path.exists():
        return dict(DEFAULT_CONFIG | json.loads(path.read_text(encoding="utf-8")))
    cfg = dict(DEFAULT_CONFIG)
    cfg["callers"] = [
        {"appid": "KIOSK01", "key": secrets.token_hex(16), "name": "门诊自助机01"},
        {"appid": "CASHIER01", "key": secrets.token_hex(16), "name": "收费窗口01"},
    ]
    save_config(data_dir, cfg)
    return cfg


def save_config(data_dir: Path, cfg: dict[str, Any]) -> None:
    """Write ``config.json`` (0600: it holds the callers' keys)."""
    path = Path(data_dir) / "config.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)


def _next_id(db: sqlite3.Connection, table: str, column: str, prefix: str, width: int) -> str:
    row = db.execute(f"SELECT MAX({column}) AS m FROM {table} WHERE {column} LIKE ?", (prefix + "%",)).fetchone()
    last = int(row["m"][len(prefix):]) if row["m"] else 0
    return f"{prefix}{last + 1:0{width}d}"


def new_card_no(db: sqlite3.Connection) -> str:
    """The next hospital card number (``88`` + 8 digits)."""
    return _next_id(db, "patients", "hospital_card", "88", 8)


def add_patient(db: sqlite3.Connection, *, name: str, sex: str, birth: str, id_no: str, phone: str,
                ss_card: str = "", evoucher: str = "", hospital_card: str = "", prepay_fen: int = 0,
                address: str = "", now: datetime) -> str:
    """Insert a patient; returns the patient id (``P`` + 8 digits)."""
    pid = _next_id(db, "patients", "id", "P", 8)
    db.execute("INSERT INTO patients (id, name, sex, birth, id_no, phone, ss_card, hospital_card, evoucher, address,"
               " prepay_fen, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (pid, name, sex, birth, id_no, phone, ss_card or None, hospital_card or None, evoucher or None,
                address, prepay_fen, now.isoformat(timespec="seconds")))
    return pid


def add_charge(db: sqlite3.Connection, patient_id: str, kind: str, lines: list[dict[str, Any]], *,
               dept_code: str, doctor_name: str, now: datetime, title: str = "") -> str:
    """Insert a pending prescription (``CF``) or exam order (``JC``) with its lines; returns its id.

    A line: code, name, spec, unit, priceFen, qty, chargeCode, chargeName, listType.
    """
    prefix = "CF" if kind == "prescription" else "JC"
    cid = _next_id(db, "charges", "id", prefix, 10)
    title = title or ("门诊处方" if kind == "prescription" else "检查检验申请单")
    db.execute("INSERT INTO charges (id, patient_id, kind, title, dept_code, doctor_name, created_at, status)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
               (cid, patient_id, kind, title, dept_code, doctor_name, now.isoformat(timespec="seconds")))
    db.executemany("INSERT INTO charge_lines (charge_id, line_no, code, name, spec, unit, price_fen, qty, charge_code,"
                   " charge_name, list_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(cid, i, ln["code"], ln["name"], ln.get("spec", ""), ln.get("unit", "项"), ln["priceFen"],
                     ln["qty"], ln["chargeCode"], ln["chargeName"], ln.get("listType", ""))
                    for i, ln in enumerate(lines, 1)])
    return cid


def control_patient(db: sqlite3.Connection, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A patient from ``POST /_sim/patients``: defaults for what the test leaves out, a valid ID
    number not yet in use when none is given."""
    rng = random.Random()
    sex = str(body.get("sex", "男"))
    birth = str(body.get("birthDate", "1980-01-01"))
    if body.get("idNo"):
        id_no = check_id_no(str(body["idNo"]))
    else:
        while True:
            id_no = make_id_no("110105", date.fromisoformat(birth), rng.randint(1, 499), sex == "男")
            if db.execute("SELECT 1 FROM patients WHERE id_no = ?", (id_no,)).fetchone() is None:
                break
    phone = check_phone(str(body.get("phone", f"139{rng.randint(0, 99999999):08d}")))
    card = body.get("hospitalCard", new_card_no(db) if body.get("withCard", True) else "")
    pid = add_patient(db, name=str(body.get("name", "测试患者")), sex=sex, birth=birth, id_no=id_no, phone=phone,
                      ss_card=str(body.get("ssCard", "")), evoucher=str(body.get("eVoucher", "")),
                      hospital_card=str(card or ""), now=now,
                      prepay_fen=amount_fen(body.get("prepay", "0"), "prepay", positive=False))
    return dict(db.execute("SELECT * FROM patients WHERE id = ?", (pid,)).fetchone())


def drug_lines(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` (1-20) distinct drug lines drawn from the catalog."""
    picks = rng.sample(catalog.DRUGS, min(count, len(catalog.DRUGS)))
    return [{"code": c, "name": n, "spec": s, "unit": u, "priceFen": p, "qty": rng.randint(1, 3),
             "chargeCode": cc, "chargeName": cn, "listType": lt} for c, n, s, u, p, cc, cn, lt in picks]


def exam_lines(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` distinct exam lines drawn from the catalog."""
    picks = rng.sample(catalog.EXAMS, min(count, len(catalog.EXAMS)))
    return [{"code": c, "name": n, "spec": s, "unit": u, "priceFen": p, "qty": 1, "chargeCode": cc,
             "chargeName": cn, "listType": "检查检验"} for c, n, s, u, p, cc, cn in picks]


def add_inpatient(db: sqlite3.Connection, patient_id: str, *, dept_code: str, days: int, deposit_fen: int,
                  today: date, rng: random.Random, ward: str = "", bed: str = "") -> str:
    """Admit a patient ``days`` days ago (at least 1) with a deposit and one fee list per day."""
    no = _next_id(db, "inpatients", "admission_no", "ZY", 8)
    admitted = today - timedelta(days=max(days, 1) - 1)
    db.execute("INSERT INTO inpatients (admission_no, patient_id, dept_code, ward, bed, admitted_on, status,"
               " deposit_fen) VALUES (?, ?, ?, ?, ?, ?, 'in', ?)",
               (no, patient_id, dept_code, ward or f"{dept_code}病区", bed or f"{rng.randint(1, 40):02d}床",
                admitted.isoformat(), deposit_fen))
    for i in range(max(days, 1)):
        day = (admitted + timedelta(days=i)).isoformat()
        items = list(catalog.WARD_DAILY) + rng.sample(catalog.WARD_EXTRA, rng.randint(1, 3))
        db.executemany("INSERT INTO daily_fees (admission_no, day, code, name, spec, unit, price_fen, qty,"
                       " charge_code, charge_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [(no, day, c, n, s, u, p, 1, cc, cn) for c, n, s, u, p, cc, cn in items])
    return no


def seed_demo(store: Store, data_dir: Path, now: datetime) -> None:
    """First start: departments, doctors, slots, demo patients with charges and inpatients, demo.json."""
    if store.meta("seeded") == "1":
        return
    rng = random.Random(20261203)
    today = now.date()
    with store.tx() as db:
        db.executemany("INSERT OR IGNORE INTO departments (code, name, location) VALUES (?, ?, ?)", catalog.DEPARTMENTS)
        db.executemany("INSERT OR IGNORE INTO doctors (code, dept_code, name, title, expert) VALUES (?, ?, ?, ?, ?)",
                       [(c, d, n, t, int(x)) for c, d, n, t, x in catalog.DOCTORS])
        for day in catalog.bookable_days(today):
            catalog.ensure_slots(db, day)
        pids = []
        for i, (name, sex, birth, region, phone, ss, ev, card, prepay) in enumerate(DEMO_PATIENTS, 1):
            id_no = make_id_no(region, date.fromisoformat(birth), 100 + i, sex == "男")
            pids.append(add_patient(
                db, name=name, sex=sex, birth=birth, id_no=id_no, phone=phone, ss_card=ss,
                evoucher=f"EV{secrets.token_hex(12).upper()}" if ev else "",
                hospital_card=new_card_no(db) if card else "", prepay_fen=prepay, now=now))
        # pending charges: prescriptions of 1-20 lines and exam orders
        for pid, lines, exams in ((pids[0], 12, 2), (pids[1], 3, 1), (pids[4], 1, 0), (pids[6], 20, 3),
                                  (pids[7], 5, 0)):
            add_charge(db, pid, "prescription", drug_lines(rng, lines), dept_code="NK", doctor_name="李秀英", now=now)
            if exams:
                add_charge(db, pid, "exam", exam_lines(rng, exams), dept_code="NK", doctor_name="李秀英", now=now)
        add_inpatient(db, pids[2], dept_code="NK", days=5, deposit_fen=300000, today=today, rng=rng)
        add_inpatient(db, pids[3], dept_code="WK", days=3, deposit_fen=50000, today=today, rng=rng)
        add_inpatient(db, pids[5], dept_code="NK", days=8, deposit_fen=200000, today=today, rng=rng)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seeded', '1')")
    write_demo_json(store, data_dir)


def write_demo_json(store: Store, data_dir: Path) -> None:
    """``demo.json``: callers with keys, and the demo patients with their identifiers."""
    cfg = load_config(data_dir)
    with store.read() as db:
        patients = [dict(r) for r in db.execute(
            "SELECT p.id, p.name, p.sex, p.birth, p.id_no AS idNo, p.phone, p.ss_card AS ssCard,"
            " p.hospital_card AS hospitalCard, p.evoucher AS eVoucher,"
            " (SELECT admission_no FROM inpatients i WHERE i.patient_id = p.id AND i.status = 'in') AS admissionNo"
            " FROM patients p ORDER BY p.id LIMIT 20")]
    demo = {"callers": cfg["callers"], "patients": patients}
    path = Path(data_dir) / "demo.json"
    path.write_text(json.dumps(demo, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
