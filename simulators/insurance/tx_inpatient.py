"""Inpatient transactions: admission and discharge (2401-2405), fee details (2301/2302),
pre-settlement, settlement and its cancel (2303-2305).

One person is in hospital at most once per institution at a time; mid-stay settlements
(mid_setl_flag 1) are allowed while in hospital, the final one (0) only after the discharge
registration (2402), and at most one valid final settlement per stay.
"""

from __future__ import annotations

from typing import Any

from simulators.insurance import engine, fees, settle
from simulators.insurance.context import Ctx, Handler, Output, store_json
from simulators.insurance.envelope import datetime_field, node, opt, req, rows
from simulators.insurance.errors import InsFailure
from simulators.insurance.tx_outpatient import check_cert

ADM_REQUIRED = ("med_type", "ipt_no", "atddr_no", "chfpdr_name", "adm_dept_codg", "adm_dept_name",
                "dscg_maindiag_code", "dscg_maindiag_name")


def _diseinfo(ctx: Ctx, required: bool) -> list[dict[str, Any]]:
    diseinfo = rows(ctx.env.input, "diseinfo", required)
    for i, d in enumerate(diseinfo, 1):
        for name in ("diag_type", "diag_srt_no", "diag_code", "diag_name"):
            req(d, name, f"diseinfo第{i}条.")
    return diseinfo


def admit(ctx: Ctx) -> Output:
    """2401: admission; the platform issues mdtrt_id (output node ``result``)."""
    info = node(ctx.env.input, "mdtrtinfo")
    psn_no = req(info, "psn_no", "mdtrtinfo.")
    insutype = req(info, "insutype", "mdtrtinfo.")
    begntime = datetime_field(info, "begntime", "mdtrtinfo.")
    cert_type, cert_no = req(info, "mdtrt_cert_type", "mdtrtinfo."), req(info, "mdtrt_cert_no", "mdtrtinfo.")
    for name in ADM_REQUIRED:
        req(info, name, "mdtrtinfo.")
    diseinfo = _diseinfo(ctx, False)
    ctx.insurance(psn_no, insutype)
    check_cert(ctx, psn_no, cert_type, cert_no)
    if ctx.db.execute("SELECT 1 FROM visits WHERE fixmedins_code = ? AND psn_no = ? AND kind = 'ipt'"
                      " AND state = 'open'", (ctx.code, psn_no)).fetchone():
        raise InsFailure("该人员在本机构已有在院登记，不能重复办理入院")
    ipt_no = opt(info, "ipt_no")
    if ctx.db.execute("SELECT 1 FROM visits WHERE fixmedins_code = ? AND ipt_otp_no = ? AND state != 'cancelled'",
                      (ctx.code, ipt_no)).fetchone():
        raise InsFailure(f"住院号ipt_no（{ipt_no}）已登记")
    mdtrt_id = ctx.new_id("mdtrt_id")
    ctx.db.execute("INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, kind, ipt_otp_no, med_type,"
                   " begntime, mdtrt_cert_type, mdtrt_cert_no, state, msgid, info_json, diseinfo_json) VALUES"
                   " (?, ?, ?, ?, 'ipt', ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                   (mdtrt_id, ctx.code, psn_no, insutype, ipt_no, opt(info, "med_type"), begntime, cert_type, cert_no,
                    ctx.env.msgid, store_json(info), store_json(diseinfo)))
    ctx.effect = {"mdtrt_id": mdtrt_id}
    return {"result": {"mdtrt_id": mdtrt_id}}


def discharge(ctx: Ctx) -> Output:
    """2402: discharge registration (the final settlement may follow)."""
    info = node(ctx.env.input, "dscginfo")
    visit = ctx.visit(req(info, "mdtrt_id", "dscginfo."), req(info, "psn_no", "dscginfo."), engine.IPT)
    if visit["state"] != "open":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}不是在院状态，不能办理出院")
    endtime = datetime_field(info, "endtime", "dscginfo.")
    if endtime < visit["begntime"]:
        raise InsFailure("出院时间endtime早于入院时间")
    req(info, "insutype", "dscginfo.")
    for name in ("dise_codg", "dise_name", "dscg_way"):
        req(info, name, "dscginfo.")
    diseinfo = _diseinfo(ctx, False)
    ctx.db.execute("UPDATE visits SET state = 'discharged', endtime = ?, dscg_json = ?,"
                   " diseinfo_json = CASE WHEN ? = '[]' THEN diseinfo_json ELSE ? END WHERE mdtrt_id = ?",
                   (endtime, store_json(info), store_json(diseinfo), store_json(diseinfo), visit["mdtrt_id"]))
    ctx.effect = {"mdtrt_id": visit["mdtrt_id"]}
    return {}


def admission_change(ctx: Ctx) -> Output:
    """2403: change the admission data (while in hospital)."""
    info = node(ctx.env.input, "adminfo")
    visit = ctx.visit(req(info, "mdtrt_id", "adminfo."), req(info, "psn_no", "adminfo."), engine.IPT)
    if visit["state"] != "open":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}不是在院状态，不能变更入院信息")
    begntime = datetime_field(info, "begntime", "adminfo.", required=False) or visit["begntime"]
    diseinfo = _diseinfo(ctx, False)
    ctx.db.execute("UPDATE visits SET begntime = ?, med_type = COALESCE(NULLIF(?, ''), med_type), info_json = ?,"
                   " diseinfo_json = CASE WHEN ? = '[]' THEN diseinfo_json ELSE ? END WHERE mdtrt_id = ?",
                   (begntime, opt(info, "med_type"), store_json(info), store_json(diseinfo), store_json(diseinfo),
                    visit["mdtrt_id"]))
    return {}


def admission_cancel(ctx: Ctx) -> Output:
    """2404: cancel the admission (nothing settled, nothing uploaded left, not discharged)."""
    data = node(ctx.env.input, "data")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), req(data, "psn_no", "data."), engine.IPT)
    if visit["state"] == "discharged":
        raise InsFailure("已办理出院，请先撤销出院（2405）")
    from simulators.insurance.tx_outpatient import close_visit

    close_visit(ctx, visit)
    return {}


def discharge_cancel(ctx: Ctx) -> Output:
    """2405: back in hospital (no valid final settlement)."""
    data = node(ctx.env.input, "data")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), req(data, "psn_no", "data."), engine.IPT)
    if visit["state"] != "discharged":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}未办理出院")
    if _final(ctx, visit["mdtrt_id"]):
        raise InsFailure("该住院已出院结算，请先撤销结算（2305）")
    ctx.db.execute("UPDATE visits SET state = 'open', endtime = NULL WHERE mdtrt_id = ?", (visit["mdtrt_id"],))
    return {}


def _final(ctx: Ctx, mdtrt_id: str) -> bool:
    return ctx.db.execute("SELECT 1 FROM settlements WHERE mdtrt_id = ? AND state = 'valid' AND refd_setl_flag = '0'"
                          " AND mid_setl_flag = '0'", (mdtrt_id,)).fetchone() is not None


def fee_upload(ctx: Ctx) -> Output:
    """2301: inpatient fee lines (negative cnt for refunds, with init_feedetl_sn)."""
    return {"result": fees.upload(ctx, rows(ctx.env.input, "feedetail"), engine.IPT)}


def fee_cancel(ctx: Ctx) -> Output:
    """2302: cancel unsettled lines: ``data`` is an array of {feedetl_sn ("0000" = all), mdtrt_id, psn_no}."""
    items = rows(ctx.env.input, "data")
    for i, item in enumerate(items, 1):
        where = f"data第{i}条."
        fees.cancel(ctx, req(item, "mdtrt_id", where), req(item, "psn_no", where), req(item, "feedetl_sn", where),
                    "feedetl_sn", engine.IPT)
    return {}


def _settle_args(ctx: Ctx) -> tuple[dict[str, Any], Any, list[Any], str]:
    data = node(ctx.env.input, "data")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), req(data, "psn_no", "data."), engine.IPT)
    mid = opt(data, "mid_setl_flag") or "0"
    if mid not in ("0", "1"):
        raise InsFailure("中途结算标志mid_setl_flag必须是0或1")
    if visit["state"] == "cancelled":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}已撤销")
    if mid == "0" and visit["state"] != "discharged":
        raise InsFailure("未办理出院（2402），不能进行出院结算；在院期间请使用中途结算（mid_setl_flag=1）")
    if mid == "1" and visit["state"] != "open":
        raise InsFailure("已办理出院，不能中途结算")
    return data, visit, settle.fee_rows(ctx, visit["mdtrt_id"], None), mid


def pre_settle(ctx: Ctx) -> Output:
    """2303: the split without settling."""
    data, visit, lines, _ = _settle_args(ctx)
    _, info, detail = settle.compute(ctx, data, engine.IPT, visit, lines, None)
    return {"setlinfo": info, "setldetail": detail}


def settle_ipt(ctx: Ctx) -> Output:
    """2304: settle every unsettled line of the stay."""
    data, visit, lines, mid = _settle_args(ctx)
    if mid == "0" and _final(ctx, visit["mdtrt_id"]):
        raise InsFailure("该住院已存在有效的出院结算，不能重复结算；如需重新结算请先撤销（2305）")
    return settle.commit(ctx, "2304", engine.IPT, visit, data, lines, mid)


def settle_cancel(ctx: Ctx) -> Output:
    """2305: cancel an inpatient settlement (answer with negative amounts)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    orig = ctx.settlement(req(data, "setl_id", "data."))
    if orig["mdtrt_id"] != req(data, "mdtrt_id", "data.") or orig["psn_no"] != psn_no:
        raise InsFailure("结算ID与就诊ID、人员编号不符")
    if orig["kind"] != engine.IPT:
        raise InsFailure("该结算是门诊结算，请使用2208撤销")
    return settle.cancel(ctx, "2305", orig)


REGISTRY: dict[str, Handler] = {
    "2401": admit, "2402": discharge, "2403": admission_change, "2404": admission_cancel, "2405": discharge_cancel,
    "2301": fee_upload, "2302": fee_cancel, "2303": pre_settle, "2304": settle_ipt, "2305": settle_cancel,
}
