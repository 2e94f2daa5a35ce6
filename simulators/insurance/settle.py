"""Settling a visit's uploaded fee lines and undoing it: shared by outpatient (2206/2207/2208),
inpatient (2303/2304/2305) and reversal (2601).

A settlement row keeps the answer it gave (``setlinfo``/``setldetail``) so that 5203 returns
exactly what 2207 returned, also when that answer never reached the client (timeout_commit).
A cancel (2208/2305) is a row of its own with ``refd_setl_flag`` 1 and negative amounts; a
reversal (2601) leaves no row: the original (or the cancel) becomes ``reversed``.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from simulators.insurance import engine
from simulators.insurance.context import Ctx, load_json, store_json
from simulators.insurance.envelope import fen, opt, req, yuan
from simulators.insurance.errors import InsFailure
from simulators.insurance.tx_base import age_on

#: setlinfo money fields (negated in a cancel's answer).
MONEY = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt", "act_pay_dedc",
         "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt",
         "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "acct_mulaid_pay")
CLR_TYPE = {engine.OTP: "11", engine.IPT: "21"}
KIND_NAME = {engine.OTP: "门诊", engine.IPT: "住院"}


def fee_rows(ctx: Ctx, mdtrt_id: str, chrg_bchno: str | None) -> list[sqlite3.Row]:
    """The unsettled fee lines of a visit (of one charge batch when given)."""
    if chrg_bchno is None:
        return list(ctx.db.execute("SELECT * FROM fees WHERE mdtrt_id = ? AND state = 'up' ORDER BY id", (mdtrt_id,)))
    return list(ctx.db.execute("SELECT * FROM fees WHERE mdtrt_id = ? AND chrg_bchno = ? AND state = 'up'"
                               " ORDER BY id", (mdtrt_id, chrg_bchno)))


def accumulated(ctx: Ctx, psn_no: str, insutype: str, kind: str) -> engine.Accumulated:
    """The person's accumulations of this year."""
    row = ctx.db.execute("SELECT * FROM accumulations WHERE psn_no = ? AND year = ? AND insutype = ? AND kind = ?",
                         (psn_no, str(ctx.now.year), insutype, kind)).fetchone()
    return engine.Accumulated() if row is None else engine.Accumulated(row["deductible_used"], row["fund_paid"])


def compute(ctx: Ctx, data: dict[str, Any], kind: str, visit: sqlite3.Row, lines: list[sqlite3.Row],
            setl_id: str | None) -> tuple[engine.Parts, dict[str, Any], list[dict[str, Any]]]:
    """Check the request against the visit and its lines and split the money (nothing written)."""
    psn_no = visit["psn_no"]
    insutype = req(data, "insutype", "data.")
    if insutype != visit["insutype"]:
        raise InsFailure(f"险种类型insutype（{insutype}）与登记时的险种（{visit['insutype']}）不一致")
    req(data, "mdtrt_cert_type", "data.")
    req(data, "mdtrt_cert_no", "data.")
    setlway = req(data, "psn_setlway", "data.")
    if setlway not in ("01", "02"):
        raise InsFailure(f"个人结算方式psn_setlway（{setlway}）无效，应为01（按项目）或02（按定额）")
    acct_flag = req(data, "acct_used_flag", "data.")
    if acct_flag not in ("0", "1"):
        raise InsFailure("个人账户使用标志acct_used_flag必须是0或1")
    medfee = fen(data, "medfee_sumamt", "data.")
    insu = ctx.insurance(psn_no, insutype)
    policy = engine.policy_for(insutype, kind)
    if policy is None:
        raise InsFailure(f"险种{insutype}暂不支持{KIND_NAME[kind]}结算")
    if not lines:
        raise InsFailure("没有待结算的费用明细，请先上传费用明细")
    splits = [engine.LineSplit(r["amount"], r["fulamt_ownpay"], r["overlmt"], r["preselfpay"], r["inscp"])
              for r in lines]
    totals = engine.add_up(splits)
    if totals.medfee != medfee:
        raise InsFailure(f"医疗费总额medfee_sumamt（{yuan(medfee)}）与已上传费用明细合计（{yuan(totals.medfee)}）不符")
    if totals.medfee <= 0:
        raise InsFailure("医疗费总额必须大于0")
    parts = engine.settle(totals, policy, accumulated(ctx, psn_no, insutype, kind), insu["balc"], acct_flag == "1")
    p = ctx.person(psn_no)
    med_type = opt(data, "med_type") or visit["med_type"]
    fund_sum = parts.fund + (parts.acct if ctx.knob("fund_includes_acct") else 0)
    info: dict[str, Any] = {
        "mdtrt_id": visit["mdtrt_id"], "setl_id": setl_id, "psn_no": psn_no, "psn_name": p["psn_name"],
        "psn_cert_type": p["psn_cert_type"], "certno": p["certno"], "gend": p["gend"], "naty": p["naty"],
        "brdy": p["brdy"], "age": age_on(p["brdy"], ctx.now.date()), "insutype": insutype,
        "psn_type": insu["psn_type"], "cvlserv_flag": insu["cvlserv_flag"], "setl_time": ctx.stamp,
        "mdtrt_cert_type": opt(data, "mdtrt_cert_type"), "med_type": med_type,
        "medfee_sumamt": yuan(totals.medfee), "fulamt_ownpay_amt": yuan(totals.fulamt_ownpay),
        "overlmt_selfpay": yuan(totals.overlmt), "preselfpay_amt": yuan(totals.preselfpay),
        "inscp_scp_amt": yuan(totals.inscp), "act_pay_dedc": yuan(parts.dedc), "hifp_pay": yuan(parts.fund),
        "pool_prop_selfpay": parts.ratio.quantize(Decimal("0.0001")), "cvlserv_pay": yuan(0), "hifes_pay": yuan(0),
        "hifmi_pay": yuan(0), "hifob_pay": yuan(0), "maf_pay": yuan(0), "oth_pay": yuan(0),
        "fund_pay_sumamt": yuan(fund_sum), "psn_part_amt": yuan(parts.psn_part), "acct_pay": yuan(parts.acct),
        "psn_cash_pay": yuan(parts.cash), "hosp_part_amt": yuan(0), "balc": yuan(parts.balc_after),
        "acct_mulaid_pay": yuan(0), "medins_setl_id": ctx.env.msgid, "clr_optins": insu["insuplc_admdvs"],
        "clr_way": "1" if setl_id else None, "clr_type": CLR_TYPE[kind],
    }
    detail: list[dict[str, Any]] = [{
        "fund_pay_type": policy.fund_pay_type, "inscp_scp_amt": yuan(totals.inscp),
        "crt_payb_lmt_amt": yuan(max(0, policy.cap - accumulated(ctx, psn_no, insutype, kind).fund_paid - parts.fund)),
        "fund_payamt": yuan(parts.fund), "fund_pay_type_name": policy.fund_pay_type_name,
        "setl_proc_info": f"起付线{yuan(parts.dedc)}，报销比例{parts.ratio}"}]
    if parts.acct:
        detail.append({"fund_pay_type": engine.ACCOUNT_PAY_TYPE[0], "inscp_scp_amt": yuan(totals.inscp),
                       "crt_payb_lmt_amt": yuan(0), "fund_payamt": yuan(parts.acct),
                       "fund_pay_type_name": engine.ACCOUNT_PAY_TYPE[1], "setl_proc_info": None})
    return parts, info, detail


def _accumulate(ctx: Ctx, psn_no: str, year: str, insutype: str, kind: str, sign: int, dedc: int, fund: int,
                medfee: int, acct: int) -> None:
    ctx.db.execute("INSERT INTO accumulations VALUES (?, ?, ?, ?, 0, 0, 0) ON CONFLICT DO NOTHING",
                   (psn_no, year, insutype, kind))
    ctx.db.execute("UPDATE accumulations SET deductible_used = deductible_used + ?, fund_paid = fund_paid + ?,"
                   " medfee = medfee + ? WHERE psn_no = ? AND year = ? AND insutype = ? AND kind = ?",
                   (sign * dedc, sign * fund, sign * medfee, psn_no, year, insutype, kind))
    ctx.db.execute("UPDATE insurances SET balc = balc - ? WHERE psn_no = ? AND insutype = ?",
                   (sign * acct, psn_no, insutype))


def commit(ctx: Ctx, infno: str, kind: str, visit: sqlite3.Row, data: dict[str, Any], lines: list[sqlite3.Row],
           mid_setl_flag: str = "0") -> dict[str, Any]:
    """Settle: compute, write the settlement, mark the lines, add to the year; the answer's output."""
    setl_id = ctx.new_id("setl_id")
    parts, info, detail = compute(ctx, data, kind, visit, lines, setl_id)
    ctx.db.execute(
        "INSERT INTO settlements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0', '', 'valid', ?, ?, ?, ?, ?, ?, ?, ?)",
        (setl_id, ctx.env.msgid, ctx.code, infno, visit["mdtrt_id"], visit["psn_no"], visit["insutype"], kind,
         info["med_type"], CLR_TYPE[kind], info["clr_optins"], ctx.stamp, mid_setl_flag, str(ctx.now.year),
         parts.totals.medfee, parts.fund, parts.acct, parts.cash, parts.dedc, store_json(info), store_json(detail)))
    ids = [r["id"] for r in lines]
    ctx.db.executemany("UPDATE fees SET state = 'settled', setl_id = ? WHERE id = ?", [(setl_id, i) for i in ids])
    _accumulate(ctx, visit["psn_no"], str(ctx.now.year), visit["insutype"], kind, 1, parts.dedc, parts.fund,
                parts.totals.medfee, parts.acct)
    ctx.effect = {"setl_id": setl_id, "fee_ids": ids}
    return {"setlinfo": info, "setldetail": detail}


def _negate(info: dict[str, Any]) -> dict[str, Any]:
    out = dict(info)
    for name in MONEY:
        if isinstance(out.get(name), Decimal):
            out[name] = -out[name]
    return out


def cancel(ctx: Ctx, infno: str, orig: sqlite3.Row) -> dict[str, Any]:
    """2208/2305: a cancel row with the negated amounts; the lines become unsettled again."""
    if orig["refd_setl_flag"] != "0":
        raise InsFailure(f"结算ID{orig['setl_id']}是撤销记录，不能再撤销")
    if orig["state"] != "valid":
        raise InsFailure(f"结算ID{orig['setl_id']}已撤销或已冲正")
    cancel_id = ctx.new_id("setl_id")
    info = _negate(load_json(orig["setlinfo_json"]))
    balc = ctx.db.execute("SELECT balc FROM insurances WHERE psn_no = ? AND insutype = ?",
                          (orig["psn_no"], orig["insutype"])).fetchone()[0] + orig["acct"]
    info.update(setl_id=cancel_id if ctx.knob("cancel_new_setl_id") else orig["setl_id"], setl_time=ctx.stamp,
                medins_setl_id=ctx.env.msgid, balc=yuan(balc))
    detail = [dict(d, fund_payamt=-d["fund_payamt"]) for d in load_json(orig["setldetail_json"])]
    ctx.db.execute(
        "INSERT INTO settlements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '1', ?, 'cancel', ?, ?, ?, ?, ?, ?, ?, ?)",
        (cancel_id, ctx.env.msgid, ctx.code, infno, orig["mdtrt_id"], orig["psn_no"], orig["insutype"], orig["kind"],
         orig["med_type"], orig["clr_type"], orig["setl_optins"], ctx.stamp, orig["mid_setl_flag"],
         orig["setl_id"], orig["year"], -orig["medfee"], -orig["fund"], -orig["acct"], -orig["cash"], -orig["dedc"],
         store_json(info), store_json(detail)))
    ids = release(ctx, orig, "cancelled")
    ctx.effect = {"cancel_setl_id": cancel_id, "orig_setl_id": orig["setl_id"], "fee_ids": ids}
    return {"setlinfo": info, "setldetail": detail}


def release(ctx: Ctx, orig: sqlite3.Row, state: str) -> list[int]:
    """Mark a settlement cancelled/reversed: its lines unsettled, its money off the year and back
    on the account. Returns the fee ids it had."""
    ids = [r["id"] for r in ctx.db.execute("SELECT id FROM fees WHERE setl_id = ?", (orig["setl_id"],))]
    ctx.db.execute("UPDATE fees SET state = 'up', setl_id = '' WHERE setl_id = ?", (orig["setl_id"],))
    ctx.db.execute("UPDATE settlements SET state = ? WHERE setl_id = ?", (state, orig["setl_id"]))
    _accumulate(ctx, orig["psn_no"], orig["year"], orig["insutype"], orig["kind"], -1, orig["dedc"], orig["fund"],
                orig["medfee"], orig["acct"])
    return ids


def restore(ctx: Ctx, orig: sqlite3.Row, fee_ids: list[int]) -> None:
    """Undo a cancel (2601 of a 2208/2305): the original settlement is valid again."""
    if orig["state"] != "cancelled":
        raise InsFailure(f"原结算{orig['setl_id']}状态已变化，不能冲正撤销交易")
    for i in fee_ids:
        row = ctx.db.execute("SELECT state FROM fees WHERE id = ?", (i,)).fetchone()
        if row is None or row["state"] != "up":
            raise InsFailure("原结算的费用明细已变化（已重新结算或撤销），不能冲正撤销交易")
    balc = ctx.db.execute("SELECT balc FROM insurances WHERE psn_no = ? AND insutype = ?",
                          (orig["psn_no"], orig["insutype"])).fetchone()[0]
    if balc < orig["acct"]:
        raise InsFailure("个人账户余额不足，不能冲正撤销交易")
    ctx.db.executemany("UPDATE fees SET state = 'settled', setl_id = ? WHERE id = ?",
                       [(orig["setl_id"], i) for i in fee_ids])
    ctx.db.execute("UPDATE settlements SET state = 'valid' WHERE setl_id = ?", (orig["setl_id"],))
    _accumulate(ctx, orig["psn_no"], orig["year"], orig["insutype"], orig["kind"], 1, orig["dedc"], orig["fund"],
                orig["medfee"], orig["acct"])


def answer_of(row: sqlite3.Row) -> dict[str, Any]:
    """A stored settlement's answer (5203)."""
    return {"setlinfo": load_json(row["setlinfo_json"]), "setldetail": load_json(row["setldetail_json"])}
