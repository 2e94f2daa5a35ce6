"""The unsigned ``/_sim`` control actions: add persons and catalogue versions, look at state.
Bad input answers E3601 naming the field and changes nothing."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.insurance import errors
from simulators.insurance.context import load_json
from simulators.insurance.envelope import yuan
from simulators.insurance.errors import ControlError
from simulators.insurance.platform import Platform

LIST_TYPES = {f"13{n:02d}" for n in range(1, 20)}


def _text(body: dict[str, Any], name: str, pattern: str = r".+") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise ControlError(errors.CONTROL_PARAM, f"字段{name}缺失或格式错误")
    return value


def add_person(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    """A new insured person: psn_no, certno, psn_name, gend, brdy, card_no, card_sn, ec_token,
    insurances [{insutype, psn_type, psn_insu_stas, insuplc_admdvs, balc (yuan)}]."""
    psn_no = _text(body, "psn_no", r"\d{1,30}")
    values = [psn_no, _text(body, "certno", r"[0-9X]{15,18}"), _text(body, "psn_name"),
              _text(body, "gend", r"[12]"), _text(body, "brdy", r"\d{4}-\d{2}-\d{2}"), _text(body, "card_no"),
              _text(body, "card_sn"), _text(body, "ec_token"), str(body.get("emp_name") or "")]
    insurances = body.get("insurances")
    if not isinstance(insurances, list) or not insurances:
        raise ControlError(errors.CONTROL_PARAM, "字段insurances必须是非空数组")
    rows = []
    for ins in insurances:
        if not isinstance(ins, dict):
            raise ControlError(errors.CONTROL_PARAM, "insurances的每一项必须是JSON对象")
        try:
            balc = int(Decimal(str(ins.get("balc", "0"))) * 100)
        except InvalidOperation:
            raise ControlError(errors.CONTROL_PARAM, "字段balc不是有效金额") from None
        rows.append((psn_no, _text(ins, "insutype", r"\d{3,5}"), str(ins.get("psn_type") or "11"),
                     str(ins.get("psn_insu_stas") or "1"), _text(ins, "insuplc_admdvs", r"\d{6}"), balc))
    with platform.store.tx() as db:
        if db.execute("SELECT 1 FROM persons WHERE psn_no = ? OR certno = ?", (psn_no, values[1])).fetchone():
            raise ControlError(errors.CONTROL_PARAM, "人员编号或证件号码已存在")
        db.execute("INSERT INTO persons VALUES (?, '01', ?, ?, ?, '01', ?, ?, ?, ?, ?)",
                   (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8]))
        for r in rows:
            db.execute("INSERT INTO insurances VALUES (?, ?, ?, ?, '2015-01-01', NULL, '0', ?, ?)", r)
    return person_state(platform, psn_no)


def person_state(platform: Platform, psn_no: str) -> dict[str, Any]:
    """A person's insurances (balances) and accumulations."""
    with platform.store.tx() as db:
        if db.execute("SELECT 1 FROM persons WHERE psn_no = ?", (psn_no,)).fetchone() is None:
            raise ControlError(errors.CONTROL_NOT_FOUND, f"人员{psn_no}不存在")
        ins = [{"insutype": r["insutype"], "psn_insu_stas": r["psn_insu_stas"], "balc": str(yuan(r["balc"])),
                "insuplc_admdvs": r["insuplc_admdvs"]}
               for r in db.execute("SELECT * FROM insurances WHERE psn_no = ?", (psn_no,))]
        acc = [{"year": r["year"], "insutype": r["insutype"], "kind": r["kind"],
                "deductible_used": str(yuan(r["deductible_used"])), "fund_paid": str(yuan(r["fund_paid"])),
                "medfee": str(yuan(r["medfee"]))}
               for r in db.execute("SELECT * FROM accumulations WHERE psn_no = ?", (psn_no,))]
    return {"psn_no": psn_no, "insurances": ins, "accumulations": acc}


def add_catalogue(platform: Platform, body: dict[str, Any]) -> dict[str, Any]:
    """A new version of catalogue rows: {list_type, items: [{code, name, lv, selfpay_prop,
    pric_uplmt, vali_flag}]}; answers the new ver."""
    list_type = _text(body, "list_type", r"13\d\d")
    if list_type not in LIST_TYPES:
        raise ControlError(errors.CONTROL_PARAM, "字段list_type必须是1301到1319")
    items = body.get("items")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ControlError(errors.CONTROL_PARAM, "字段items必须是非空对象数组")
    checked = []
    for item in items:
        lv = _text(item, "lv", r"0[123]")
        try:
            prop = Decimal(str(item.get("selfpay_prop", "0")))
            limit = None if item.get("pric_uplmt") in (None, "") else Decimal(str(item["pric_uplmt"]))
        except InvalidOperation:
            raise ControlError(errors.CONTROL_PARAM, "字段selfpay_prop或pric_uplmt不是有效数值") from None
        if not 0 <= prop <= 1:
            raise ControlError(errors.CONTROL_PARAM, "字段selfpay_prop必须在0到1之间")
        checked.append((list_type, _text(item, "code"), _text(item, "name"), lv, str(prop),
                        None if limit is None else str(limit), str(item.get("spec") or ""),
                        "0" if item.get("vali_flag") == "0" else "1"))
    with platform.store.tx() as db:
        last = db.execute("SELECT MAX(ver) FROM catalogue").fetchone()[0] or "0"
        ver = max(f"{platform.now():%Y%m%d%H%M%S}000", str(int(last) + 1).zfill(17))
        for row in checked:
            db.execute("INSERT INTO catalogue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (*row[:7], ver, row[7]))
    return {"ver": ver, "count": len(checked)}


def settlements(platform: Platform, args: dict[str, str]) -> dict[str, Any]:
    """Settlement rows (filter by fixmedins_code, mdtrt_id, psn_no)."""
    with platform.store.tx() as db:
        found = db.execute("SELECT * FROM settlements WHERE (? = '' OR fixmedins_code = ?) AND (? = '' OR mdtrt_id = ?)"
                           " AND (? = '' OR psn_no = ?) ORDER BY rowid",
                           (args.get("fixmedins_code", ""), args.get("fixmedins_code", ""), args.get("mdtrt_id", ""),
                            args.get("mdtrt_id", ""), args.get("psn_no", ""), args.get("psn_no", "")))
        out = [{"setl_id": r["setl_id"], "medins_setl_id": r["medins_setl_id"], "infno": r["infno"],
                "mdtrt_id": r["mdtrt_id"], "psn_no": r["psn_no"], "state": r["state"],
                "refd_setl_flag": r["refd_setl_flag"], "orig_setl_id": r["orig_setl_id"],
                "medfee": str(yuan(r["medfee"])), "fund": str(yuan(r["fund"])), "acct": str(yuan(r["acct"])),
                "cash": str(yuan(r["cash"])), "dedc": str(yuan(r["dedc"]))} for r in found]
    return {"settlements": out}


def visit(platform: Platform, mdtrt_id: str) -> dict[str, Any]:
    """A visit's state (open | discharged | cancelled), its admission data and its fee lines
    (state up | settled | cancelled): what the way back (2302 / 2404 / 2405) changes."""
    with platform.store.tx() as db:
        v = db.execute("SELECT * FROM visits WHERE mdtrt_id = ?", (mdtrt_id,)).fetchone()
        if v is None:
            raise ControlError(errors.CONTROL_NOT_FOUND, f"就诊ID{mdtrt_id}不存在")
        fees = [{"feedetl_sn": r["feedetl_sn"], "state": r["state"], "amount": str(yuan(r["amount"]))}
                for r in db.execute("SELECT * FROM fees WHERE mdtrt_id = ? ORDER BY id", (mdtrt_id,))]
    return {"mdtrt_id": mdtrt_id, "kind": v["kind"], "state": v["state"], "psn_no": v["psn_no"],
            "med_type": v["med_type"], "begntime": v["begntime"], "endtime": v["endtime"],
            "adminfo": load_json(v["info_json"]), "diseinfo": load_json(v["diseinfo_json"]), "fees": fees}


def message(platform: Platform, fixmedins_code: str, msgid: str) -> dict[str, Any]:
    """What the platform recorded for one msgid."""
    with platform.store.tx() as db:
        row = db.execute("SELECT * FROM messages WHERE fixmedins_code = ? AND msgid = ?",
                         (fixmedins_code, msgid)).fetchone()
    if row is None:
        raise ControlError(errors.CONTROL_NOT_FOUND, f"报文{msgid}不存在")
    return {"msgid": msgid, "infno": row["infno"], "state": row["state"], "err_msg": row["err_msg"],
            "effect": {k: str(v) for k, v in load_json(row["effect_json"]).items()}}


def vouchers(platform: Platform) -> dict[str, Any]:
    """Every voucher the voucher centre holds."""
    with platform.store.tx() as db:
        return {"vouchers": [{"fixmedins_code": r["fixmedins_code"], "setl_id": r["setl_id"],
                              "bill_code": r["bill_code"], "bill_no": r["bill_no"], "state": r["state"],
                              "upload_count": r["upload_count"]}
                             for r in db.execute("SELECT * FROM vouchers ORDER BY id")]}
