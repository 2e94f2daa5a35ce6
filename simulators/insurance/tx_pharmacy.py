"""Pharmacy settlement (2101 pre-settle, 2102 settle, 2103 cancel): one call carries the person,
the drug lines (``drugdetail[]``) and the settlement; the platform opens a visit (med_type 41 by
default), stores the lines and settles them as outpatient.

The spec has no field lists for these; the nodes follow 2204/2207 ([I], docs/INSURANCE.md).
Output: ``setlinfo``, ``setldetail[]`` and ``detlcutinfo[]`` (the per-line split, as 2204's ``result``).
"""

from __future__ import annotations

from typing import Any

from simulators.insurance import engine, fees, settle
from simulators.insurance.context import Ctx, Handler, Output, store_json
from simulators.insurance.envelope import datetime_field, node, opt, req, rows
from simulators.insurance.errors import InsFailure
from simulators.insurance.tx_outpatient import check_cert


def _open(ctx: Ctx) -> tuple[dict[str, Any], Any, list[dict[str, Any]]]:
    """Open the visit and store the lines; (data, visit row, detlcutinfo)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    insutype = req(data, "insutype", "data.")
    begntime = datetime_field(data, "begntime", "data.")
    ipt_otp_no = req(data, "ipt_otp_no", "data.")
    cert_type, cert_no = req(data, "mdtrt_cert_type", "data."), req(data, "mdtrt_cert_no", "data.")
    ctx.insurance(psn_no, insutype)
    check_cert(ctx, psn_no, cert_type, cert_no)
    if ctx.db.execute("SELECT 1 FROM visits WHERE fixmedins_code = ? AND ipt_otp_no = ? AND state != 'cancelled'",
                      (ctx.code, ipt_otp_no)).fetchone():
        raise InsFailure(f"就诊号ipt_otp_no（{ipt_otp_no}）已结算，不能重复结算")
    mdtrt_id = ctx.new_id("mdtrt_id")
    ctx.db.execute("INSERT INTO visits (mdtrt_id, fixmedins_code, psn_no, insutype, kind, ipt_otp_no, med_type,"
                   " begntime, mdtrt_cert_type, mdtrt_cert_no, state, msgid, info_json) VALUES"
                   " (?, ?, ?, ?, 'otp', ?, ?, ?, ?, ?, 'open', ?, ?)",
                   (mdtrt_id, ctx.code, psn_no, insutype, ipt_otp_no, opt(data, "med_type") or "41", begntime,
                    cert_type, cert_no, ctx.env.msgid, store_json(data)))
    lines = [dict(line, mdtrt_id=mdtrt_id, psn_no=psn_no, chrg_bchno=opt(line, "chrg_bchno") or "0")
             for line in rows(ctx.env.input, "drugdetail")]
    cut = fees.upload(ctx, lines, engine.OTP)
    visit = ctx.db.execute("SELECT * FROM visits WHERE mdtrt_id = ?", (mdtrt_id,)).fetchone()
    return dict(data, mdtrt_id=mdtrt_id), visit, cut


def pre_settle(ctx: Ctx) -> Output:
    """2101: the split of the lines; nothing is kept."""
    ctx.db.execute("SAVEPOINT pharmacy_pre")
    try:
        data, visit, cut = _open(ctx)
        _, info, detail = settle.compute(ctx, data, engine.OTP, visit, settle.fee_rows(ctx, visit["mdtrt_id"], None),
                                         None)
        info["mdtrt_id"] = None  # no visit exists after a pre-settlement
    finally:
        ctx.db.execute("ROLLBACK TO pharmacy_pre")
        ctx.db.execute("RELEASE pharmacy_pre")
    ctx.effect = {}
    return {"setlinfo": info, "setldetail": detail, "detlcutinfo": cut}


def settle_pharmacy(ctx: Ctx) -> Output:
    """2102: open the visit, store the lines, settle them."""
    data, visit, cut = _open(ctx)
    out = settle.commit(ctx, "2102", engine.OTP, visit, data, settle.fee_rows(ctx, visit["mdtrt_id"], None))
    ctx.db.execute("UPDATE visits SET state = 'discharged' WHERE mdtrt_id = ?", (visit["mdtrt_id"],))
    return {**out, "detlcutinfo": cut}


def cancel_pharmacy(ctx: Ctx) -> Output:
    """2103: cancel the settlement and its lines (the visit closes)."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    orig = ctx.settlement(req(data, "setl_id", "data."))
    if orig["psn_no"] != psn_no or orig["infno"] != "2102":
        raise InsFailure("结算ID不是该人员的药店结算")
    out = settle.cancel(ctx, "2103", orig)
    ctx.db.execute("UPDATE fees SET state = 'cancelled' WHERE mdtrt_id = ? AND state = 'up'", (orig["mdtrt_id"],))
    ctx.db.execute("UPDATE visits SET state = 'cancelled' WHERE mdtrt_id = ?", (orig["mdtrt_id"],))
    return out


REGISTRY: dict[str, Handler] = {"2101": pre_settle, "2102": settle_pharmacy, "2103": cancel_pharmacy}
