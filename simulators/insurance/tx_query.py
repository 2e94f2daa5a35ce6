"""Queries (5xxx): settlements (5203), fee details (5204), visits (5201), diagnoses (5202),
accumulations (5206), departments and staff (5101/5102), in-hospital patients (5303), filings
(5301/5302/5304) and chronic-disease medication (5205). Output node names other than 5203's are
inferred (docs/INSURANCE.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulators.insurance import settle
from simulators.insurance.context import Ctx, Handler, Output, load_json
from simulators.insurance.envelope import node, opt, req, yuan
from simulators.insurance.errors import InsFailure


def settlement_query(ctx: Ctx) -> Output:
    """5203: one settlement by setl_id, or the latest valid one of a visit (the timeout check of
    spec §10.2: "look up the outcome with 5203 by mdtrt_id")."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    setl_id, mdtrt_id = opt(data, "setl_id"), opt(data, "mdtrt_id")
    if not setl_id and not mdtrt_id:
        raise InsFailure("结算ID setl_id和就诊ID mdtrt_id不能同时为空")
    if setl_id:
        row = ctx.settlement(setl_id)
        if mdtrt_id and row["mdtrt_id"] != mdtrt_id:
            raise InsFailure("结算ID与就诊ID不符")
    else:
        ctx.visit(mdtrt_id, psn_no)
        row = ctx.db.execute("SELECT * FROM settlements WHERE mdtrt_id = ? AND fixmedins_code = ?"
                             " AND refd_setl_flag = '0' AND state IN ('valid', 'cancelled')"
                             " ORDER BY state = 'valid' DESC, setl_time DESC, rowid DESC LIMIT 1",
                             (mdtrt_id, ctx.code)).fetchone()
        if row is None:
            raise InsFailure(f"就诊ID{mdtrt_id}没有结算信息")
    if row["psn_no"] != psn_no:
        raise InsFailure("结算信息不属于人员编号psn_no")
    if row["state"] == "reversed":
        raise InsFailure(f"结算ID{row['setl_id']}已冲正")
    out = settle.answer_of(row)
    # [I] the state beside the answer: valid / cancelled (a later 2208/2305) / cancel (a cancel row)
    out["setlinfo"]["setl_stas"] = {"valid": "1", "cancelled": "0", "cancel": "2"}.get(row["state"], "")
    out["setlinfo"]["refd_setl_flag"] = row["refd_setl_flag"]
    return out


def fee_query(ctx: Ctx) -> Output:
    """5204: the fee lines of a settlement (or the unsettled lines of a visit without setl_id)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    setl_id, mdtrt_id = opt(data, "setl_id"), req(data, "mdtrt_id", "data.")
    ctx.visit(mdtrt_id, psn_no)
    if setl_id:
        ctx.settlement(setl_id)
        found = ctx.db.execute("SELECT * FROM fees WHERE mdtrt_id = ? AND setl_id = ? ORDER BY id", (mdtrt_id, setl_id))
    else:
        found = ctx.db.execute("SELECT * FROM fees WHERE mdtrt_id = ? AND state = 'up' ORDER BY id", (mdtrt_id,))
    return {"feedetail": [_fee(r) for r in found]}


def _fee(r: Any) -> dict[str, Any]:
    line = load_json(r["detail_json"])
    return {"feedetl_sn": r["feedetl_sn"], "mdtrt_id": r["mdtrt_id"], "setl_id": r["setl_id"] or None,
            "chrg_bchno": r["chrg_bchno"], "med_list_codg": r["med_list_codg"],
            "medins_list_codg": r["medins_list_codg"], "fee_ocur_time": r["fee_ocur_time"],
            "cnt": Decimal(r["cnt"]), "pric": Decimal(r["pric"]), "det_item_fee_sumamt": yuan(r["amount"]),
            "fulamt_ownpay_amt": yuan(r["fulamt_ownpay"]), "overlmt_amt": yuan(r["overlmt"]),
            "preselfpay_amt": yuan(r["preselfpay"]), "inscp_scp_amt": yuan(r["inscp"]), "chrgitm_lv": r["lv"],
            "bilg_dept_codg": line.get("bilg_dept_codg"), "bilg_dr_codg": line.get("bilg_dr_codg")}


def visit_query(ctx: Ctx) -> Output:
    """5201: the person's visits at this institution in a period."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    begn, end = opt(data, "begntime") or "0000", opt(data, "endtime") or "9999"
    found = ctx.db.execute("SELECT * FROM visits WHERE psn_no = ? AND fixmedins_code = ? AND begntime >= ?"
                           " AND begntime <= ? AND (? = '' OR mdtrt_id = ?) AND (? = '' OR med_type = ?)"
                           " ORDER BY begntime", (psn_no, ctx.code, begn, end, opt(data, "mdtrt_id"),
                                                  opt(data, "mdtrt_id"), opt(data, "med_type"), opt(data, "med_type")))
    return {"mdtrtinfo": [{"mdtrt_id": r["mdtrt_id"], "psn_no": r["psn_no"], "fixmedins_code": ctx.code,
                           "med_type": r["med_type"], "begntime": r["begntime"], "endtime": r["endtime"],
                           "insutype": r["insutype"], "ipt_otp_no": r["ipt_otp_no"],
                           "vali_flag": "0" if r["state"] == "cancelled" else "1"} for r in found]}


def diagnosis_query(ctx: Ctx) -> Output:
    """5202: the diagnoses uploaded for a visit (2203/2401/2402)."""
    data = node(ctx.env.input, "data")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), req(data, "psn_no", "data."))
    return {"diseinfo": list(load_json(visit["diseinfo_json"]))}


def accumulation_query(ctx: Ctx) -> Output:
    """5206: the person's accumulations of a year (cum_ym yyyyMM or yyyy; default this year)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    ctx.person(psn_no)
    year = (opt(data, "cum_ym") or str(ctx.now.year))[:4]
    out: list[dict[str, Any]] = []
    for r in ctx.db.execute("SELECT * FROM accumulations WHERE psn_no = ? AND year = ? ORDER BY insutype, kind",
                            (psn_no, year)):
        for code, name, value in (("D", "起付线累计", r["deductible_used"]), ("F", "统筹基金支付累计", r["fund_paid"]),
                                  ("M", "医疗费用累计", r["medfee"])):
            out.append({"insutype": r["insutype"], "year": year, "cum_type_code": f"{r['kind']}_{code}",
                        "cum_type_name": name, "cum": yuan(value)})
    return {"cuminfo": out}


def dept_query(ctx: Ctx) -> Output:
    """5101: departments uploaded with 3401 (``feedetail`` node name as in the spec's family)."""
    found = ctx.db.execute("SELECT payload_json FROM uploads WHERE fixmedins_code = ? AND infno = '3401'"
                           " AND state = 'ok' ORDER BY id", (ctx.code,))
    return {"feedetail": [load_json(r["payload_json"]) for r in found]}


def staff_query(ctx: Ctx) -> Output:
    """5102: medical staff (none registered in the simulator: an empty list)."""
    node(ctx.env.input, "data")
    return {"feedetail": []}


def in_hospital_query(ctx: Ctx) -> Output:
    """5303: the institution's patients currently admitted (2401, not discharged)."""
    found = ctx.db.execute("SELECT * FROM visits WHERE fixmedins_code = ? AND kind = 'ipt' AND state = 'open'"
                           " ORDER BY begntime", (ctx.code,))
    return {"data": [{"mdtrt_id": r["mdtrt_id"], "psn_no": r["psn_no"], "insutype": r["insutype"],
                      "begntime": r["begntime"], "ipt_no": r["ipt_otp_no"], "med_type": r["med_type"]} for r in found]}


def _filings(ctx: Ctx, infno: str, node_name: str) -> Output:
    """The person's live filings uploaded with ``infno`` (2501/2503/2505), newest first."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    ctx.person(psn_no)
    found = ctx.db.execute("SELECT * FROM uploads WHERE fixmedins_code = ? AND infno = ? AND state = 'ok'"
                           " AND json_extract(payload_json, '$.psn_no') = ? ORDER BY id DESC", (ctx.code, infno, psn_no))
    return {node_name: [dict(load_json(r["payload_json"]), trt_dcla_detl_sn=r["ukey"]) for r in found]}


def chronic_filing_query(ctx: Ctx) -> Output:
    """5301: chronic/special disease filings (2503)."""
    return _filings(ctx, "2503", "feedetail")


def fixed_point_query(ctx: Ctx) -> Output:
    """5302: designated-institution filings (2505)."""
    return _filings(ctx, "2505", "psnfixmedin")


def referral_query(ctx: Ctx) -> Output:
    """5304: referral filings (2501)."""
    return _filings(ctx, "2501", "refmedin")


def chronic_drug_query(ctx: Ctx) -> Output:
    """5205: fee lines of the person's chronic/special disease visits (med_type 14) in a period."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    ctx.person(psn_no)
    begn, end = opt(data, "begntime") or "0000", opt(data, "endtime") or "9999"
    found = ctx.db.execute("SELECT f.* FROM fees f JOIN visits v ON v.mdtrt_id = f.mdtrt_id WHERE v.psn_no = ?"
                           " AND v.fixmedins_code = ? AND v.med_type = '14' AND f.state = 'settled'"
                           " AND f.fee_ocur_time >= ? AND f.fee_ocur_time <= ? ORDER BY f.id",
                           (psn_no, ctx.code, begn, end))
    return {"feedetail": [_fee(r) for r in found]}


REGISTRY: dict[str, Handler] = {
    "5301": chronic_filing_query, "5302": fixed_point_query, "5304": referral_query, "5205": chronic_drug_query,
    "5203": settlement_query, "5204": fee_query, "5201": visit_query, "5202": diagnosis_query,
    "5206": accumulation_query, "5101": dept_query, "5102": staff_query, "5303": in_hospital_query,
}
