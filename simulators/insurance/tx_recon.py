"""Reconciliation: totals (3201) and details (3202) of an institution's settlements in a period.

Which rows count (docs/INSURANCE.md "Reconciliation"): with ``refd_setl_flag`` "0" (the default)
the settlements still valid; with "1" every settlement and every cancel row (negative), so a
cancelled pair adds up to zero. Reversed (2601) settlements never count: for the platform they
did not happen. The detail file lists settlements and cancels, one per line (7 columns, the
``recon_separator`` knob); the answer file lists only the lines that disagree (10 columns).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from simulators.insurance.context import Ctx, Handler, Output, load_json
from simulators.insurance.envelope import date_field, decimal, fen, node, opt, req, text, yuan
from simulators.insurance.errors import InsFailure
from simulators.insurance.tx_files import load_file, save_file, unzip_one, zip_one

RESULT_COLUMNS = ("psn_no", "mdtrt_id", "setl_id", "msgid", "stmt_rslt", "refd_setl_flag", "memo", "medfee_sumamt",
                  "fund_pay_sumamt", "acct_pay")


def _period(ctx: Ctx, data: dict[str, Any]) -> tuple[str, str]:
    begn = date_field(data, "stmt_begndate", "data.")
    end = date_field(data, "stmt_enddate", "data.")
    if end < begn:
        raise InsFailure("对账结束日期stmt_enddate早于开始日期stmt_begndate")
    return begn, end


def _rows(ctx: Ctx, begn: str, end: str, setl_optins: str, refd: str, extra: str = "",
          args: tuple[str, ...] = ()) -> list[sqlite3.Row]:
    states = "('valid')" if refd == "0" else "('valid', 'cancelled', 'cancel')"
    return list(ctx.db.execute(
        f"SELECT * FROM settlements WHERE fixmedins_code = ? AND setl_optins = ? AND substr(setl_time, 1, 10) >= ?"  # noqa: S608
        f" AND substr(setl_time, 1, 10) <= ? AND state IN {states}{extra} ORDER BY setl_time, rowid",
        (ctx.code, setl_optins, begn, end, *args)))


def _fund_sum(ctx: Ctx, row: sqlite3.Row) -> int:
    return int(row["fund"]) + (int(row["acct"]) if ctx.knob("fund_includes_acct") else 0)


def totals(ctx: Ctx) -> Output:
    """3201: compare the institution's totals of one (insutype, clr_type, setl_optins) group."""
    data = node(ctx.env.input, "data")
    insutype, clr_type = req(data, "insutype", "data."), req(data, "clr_type", "data.")
    setl_optins = req(data, "setl_optins", "data.")
    begn, end = _period(ctx, data)
    refd = opt(data, "refd_setl_flag") or "0"
    if refd not in ("0", "1"):
        raise InsFailure("退费结算标志refd_setl_flag必须是0或1")
    medfee, fund, acct = (fen(data, n, "data.") for n in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"))
    cnt = decimal(data, "fixmedins_setl_cnt", 0, "data.")
    found = _rows(ctx, begn, end, setl_optins, refd, " AND insutype = ? AND clr_type = ?", (insutype, clr_type))
    ours = (sum(r["medfee"] for r in found), sum(_fund_sum(ctx, r) for r in found), sum(r["acct"] for r in found),
            len(found))
    theirs = (medfee, fund, acct, int(cnt))
    codes = ctx.knob("stmt_codes")
    if ours == theirs:
        return {"stmtinfo": {"setl_optins": setl_optins, "stmt_rslt": codes["balanced"], "stmt_rslt_dscr": "对账平"}}
    names = ("医疗费总额", "基金支付总额", "个人账户支付总额", "结算笔数")
    diffs = [f"{n}：中心{yuan(o) if i < 3 else o}，机构{yuan(t) if i < 3 else t}"
             for i, (n, o, t) in enumerate(zip(names, ours, theirs, strict=True)) if o != t]
    return {"stmtinfo": {"setl_optins": setl_optins, "stmt_rslt": codes["unbalanced"],
                         "stmt_rslt_dscr": "对账不平：" + "；".join(diffs)}}


def _parse_line(line: str, sep: str, n: int) -> dict[str, Any]:
    cols = line.split(sep) if sep != " " else line.split()
    if len(cols) < 7:
        raise InsFailure(f"对账明细文件第{n}行应有7列（setl_id、mdtrt_id、psn_no、medfee_sumamt、fund_pay_sumamt、"
                         f"acct_pay、refd_setl_flag），实际{len(cols)}列")
    row: dict[str, Any] = dict(zip(("setl_id", "mdtrt_id", "psn_no", "medfee_sumamt", "fund_pay_sumamt", "acct_pay",
                    "refd_setl_flag"), (c.strip() for c in cols[:7]), strict=True))
    for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"):
        row[name] = fen(row, name, f"对账明细文件第{n}行")
    return row


def details(ctx: Ctx) -> Output:
    """3202: compare the uploaded detail file (9101) line by line; the mismatches as a file."""
    data = node(ctx.env.input, "data")
    setl_optins = req(data, "setl_optins", "data.")
    begn, end = _period(ctx, data)
    content = unzip_one(load_file(ctx, req(data, "file_qury_no", "data.")))
    sep = ctx.knob("recon_separator")
    lines = [ln for ln in content.splitlines() if ln.strip()]
    theirs = [_parse_line(ln, sep, i) for i, ln in enumerate(lines, 1)]
    cnt = int(decimal(data, "fixmedins_setl_cnt", 0, "data."))
    if cnt != len(theirs):
        raise InsFailure(f"结算笔数fixmedins_setl_cnt（{cnt}）与对账明细文件行数（{len(theirs)}）不符")
    if fen(data, "medfee_sumamt", "data.") != sum(r["medfee_sumamt"] for r in theirs):
        raise InsFailure("医疗费总额medfee_sumamt与对账明细文件合计不符")
    ours: dict[tuple[str, str], sqlite3.Row] = {}
    for row in _rows(ctx, begn, end, setl_optins, "1"):
        answered = text(load_json(row["setlinfo_json"]).get("setl_id"))
        ours[(answered, row["refd_setl_flag"])] = row
    codes = ctx.knob("stmt_codes")
    out: list[list[str]] = []
    for t in theirs:
        key = (t["setl_id"], t["refd_setl_flag"])
        found = ours.pop(key, None)
        if found is None:
            out.append([t["psn_no"], t["mdtrt_id"], t["setl_id"], "", codes["unbalanced"], t["refd_setl_flag"],
                        "中心无此结算", *(str(yuan(t[n])) for n in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"))])
            continue
        r = found
        mine = (r["medfee"], _fund_sum(ctx, r), r["acct"])
        if mine != (t["medfee_sumamt"], t["fund_pay_sumamt"], t["acct_pay"]):
            out.append([r["psn_no"], r["mdtrt_id"], t["setl_id"], r["medins_setl_id"], codes["unbalanced"],
                        r["refd_setl_flag"], "金额不符（中心金额）", *(str(yuan(v)) for v in mine)])
    for (setl_id, refd), r in ours.items():
        out.append([r["psn_no"], r["mdtrt_id"], setl_id, r["medins_setl_id"], codes["unbalanced"], refd,
                    "机构无此结算", str(yuan(r["medfee"])), str(yuan(_fund_sum(ctx, r))), str(yuan(r["acct"]))])
    name = f"stmt_{setl_optins}_{begn}_{end}.txt"
    body = "\n".join(sep.join(cols) for cols in out)
    return {"fileinfo": save_file(ctx, ctx.code, name + ".zip", zip_one(name, body), "stmt")}


REGISTRY: dict[str, Handler] = {"3201": totals, "3202": details}
