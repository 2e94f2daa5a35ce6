"""Outpatient transactions 2201-2208 (spec §5): registration, visit info, fee details,
pre-settlement, settlement and their cancels.

One valid settlement per outpatient visit: a second 2207 on the same mdtrt_id is refused until
the first is cancelled (2208) or reversed (2601) — the platform-side guard against the duplicate
settlement of spec §10.3.
"""

from __future__ import annotations

from typing import Any

from simulators.insurance import engine, fees, settle
from simulators.insurance.context import Ctx, Handler, Output, store_json
from simulators.insurance.envelope import datetime_field, node, opt, req, rows
from simulators.insurance.errors import InsFailure

CERT_COLUMNS = {"01": "ec_token", "02": "certno", "03": "card_no"}


def check_cert(ctx: Ctx, psn_no: str, cert_type: str, cert_no: str) -> None:
    """The visit's voucher (mdtrt_cert_type/no) must be the person's."""
    column = CERT_COLUMNS.get(cert_type)
    if column is None:
        raise InsFailure(f"就诊凭证类型mdtrt_cert_type（{cert_type}）无效，应为01、02或03")
    p = ctx.person(psn_no)
    if p[column] != cert_no:
        raise InsFailure("就诊凭证编号mdtrt_cert_no与人员编号psn_no不符")


def register(ctx: Ctx) -> Output:
    """2201: open an outpatient visit; the platform issues mdtrt_id."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    insutype = req(data, "insutype", "data.")
    begntime = datetime_field(data, "begntime", "data.")
    cert_type = req(data, "mdtrt_cert_type", "data.")
    cert_no = req(data, "mdtrt_cert_no", "data.")
    ipt_otp_no = req(data, "ipt_otp_no", "data.")
    for name in ("atddr_no", "dr_name", "dept_code", "dept_name", "caty"):
        req(data, name, "data.")
    ctx.insurance(psn_no, insutype)
    check_cert(ctx, psn_no, cert_type, cert_no)
    if ctx.db.execute("SELECT 1 FROM visits WHERE fixmedins_code = ? AND ipt_otp_no = ? AND state != 'cancelled'",
                      (ctx.code, ipt_otp_no)).fetchone():
        raise InsFailure(f"门诊/住院号ipt_otp_no（{ipt_otp_no}）已登记，不能重复挂号")
    mdtrt_id = ctx.new_id("mdtrt_id")
    ctx.db.execute("INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, kind, ipt_otp_no, med_type,"
                   " begntime, mdtrt_cert_type, mdtrt_cert_no, state, msgid, info_json) VALUES"
                   " (?, ?, ?, ?, 'otp', ?, '11', ?, ?, ?, 'open', ?, ?)",
                   (mdtrt_id, ctx.code, psn_no, insutype, ipt_otp_no, begntime, cert_type, cert_no, ctx.env.msgid,
                    store_json(data)))
    ctx.effect = {"mdtrt_id": mdtrt_id}
    return {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "ipt_otp_no": ipt_otp_no, "exp_content": None}}


def register_cancel(ctx: Ctx) -> Output:
    """2202: cancel the registration (no valid settlement, no unsettled fee lines left)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), psn_no, engine.OTP)
    ipt_otp_no = req(data, "ipt_otp_no", "data.")
    if ipt_otp_no != visit["ipt_otp_no"]:
        raise InsFailure(f"门诊号ipt_otp_no（{ipt_otp_no}）与就诊ID不符")
    close_visit(ctx, visit)
    return {}


def close_visit(ctx: Ctx, visit: Any) -> None:
    """Cancel a visit that has nothing settled and nothing uploaded left."""
    if visit["state"] == "cancelled":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}已撤销")
    if ctx.db.execute("SELECT 1 FROM settlements WHERE mdtrt_id = ? AND state = 'valid' AND refd_setl_flag = '0'",
                      (visit["mdtrt_id"],)).fetchone():
        raise InsFailure("该就诊存在有效结算，请先撤销结算")
    if ctx.db.execute("SELECT 1 FROM fees WHERE mdtrt_id = ? AND state = 'up'", (visit["mdtrt_id"],)).fetchone():
        raise InsFailure("该就诊存在未撤销的费用明细，请先撤销费用明细")
    ctx.db.execute("UPDATE visits SET state = 'cancelled' WHERE mdtrt_id = ?", (visit["mdtrt_id"],))


def visit_info(ctx: Ctx) -> Output:
    """2203/2203A: the visit's medical type and diagnoses."""
    info = node(ctx.env.input, "mdtrtinfo")
    psn_no = req(info, "psn_no", "mdtrtinfo.")
    visit = ctx.visit(req(info, "mdtrt_id", "mdtrtinfo."), psn_no, engine.OTP)
    if visit["state"] != "open":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}已撤销")
    med_type = req(info, "med_type", "mdtrtinfo.")
    datetime_field(info, "begntime", "mdtrtinfo.")
    diseinfo = rows(ctx.env.input, "diseinfo")
    for i, d in enumerate(diseinfo, 1):
        for name in ("diag_type", "diag_srt_no", "diag_code", "diag_name"):
            req(d, name, f"diseinfo第{i}条.")
    ctx.db.execute("UPDATE visits SET med_type = ?, info_json = ?, diseinfo_json = ? WHERE mdtrt_id = ?",
                   (med_type, store_json(info), store_json(diseinfo), visit["mdtrt_id"]))
    return {}


def fee_upload(ctx: Ctx) -> Output:
    """2204: outpatient fee lines; answered with their catalogue split."""
    return {"result": fees.upload(ctx, rows(ctx.env.input, "feedetail"), engine.OTP)}


def fee_cancel(ctx: Ctx) -> Output:
    """2205: cancel a charge batch's unsettled lines ("0000" = all unsettled lines of the visit)."""
    data = node(ctx.env.input, "data")
    fees.cancel(ctx, req(data, "mdtrt_id", "data."), req(data, "psn_no", "data."), req(data, "chrg_bchno", "data."),
                "chrg_bchno", engine.OTP)
    return {}


def _settle_args(ctx: Ctx) -> tuple[dict[str, Any], Any, list[Any]]:
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    visit = ctx.visit(req(data, "mdtrt_id", "data."), psn_no, engine.OTP)
    if visit["state"] != "open":
        raise InsFailure(f"就诊ID{visit['mdtrt_id']}已撤销")
    req(data, "med_type", "data.")
    bchno = req(data, "chrg_bchno", "data.")
    return data, visit, settle.fee_rows(ctx, visit["mdtrt_id"], bchno)


def pre_settle(ctx: Ctx) -> Output:
    """2206: the split without settling (setl_id and clr_way null)."""
    data, visit, lines = _settle_args(ctx)
    _, info, detail = settle.compute(ctx, data, engine.OTP, visit, lines, None)
    return {"setlinfo": info, "setldetail": detail}


def settle_otp(ctx: Ctx) -> Output:
    """2207: settle the charge batch."""
    data, visit, lines = _settle_args(ctx)
    if ctx.db.execute("SELECT setl_id FROM settlements WHERE mdtrt_id = ? AND state = 'valid' AND refd_setl_flag = '0'",
                      (visit["mdtrt_id"],)).fetchone():
        raise InsFailure("该就诊已存在有效结算，不能重复结算；如需重新结算请先撤销（2208）")
    opt(data, "invono")
    return settle.commit(ctx, "2207", engine.OTP, visit, data, lines)


def settle_cancel(ctx: Ctx) -> Output:
    """2208: cancel an outpatient settlement (answer with negative amounts)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    orig = ctx.settlement(req(data, "setl_id", "data."))
    if orig["mdtrt_id"] != req(data, "mdtrt_id", "data.") or orig["psn_no"] != psn_no:
        raise InsFailure("结算ID与就诊ID、人员编号不符")
    if orig["kind"] != engine.OTP:
        raise InsFailure("该结算是住院结算，请使用2305撤销")
    return settle.cancel(ctx, "2208", orig)


REGISTRY: dict[str, Handler] = {
    "2201": register, "2202": register_cancel, "2203": visit_info, "2203A": visit_info, "2204": fee_upload,
    "2205": fee_cancel, "2206": pre_settle, "2207": settle_otp, "2208": settle_cancel,
}
