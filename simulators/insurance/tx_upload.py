"""Uploads: the settlement list (4101/4101A) and the simpler uploads seed 003 lists — filings
(2501-2506), catalogue mapping (3301/3302), departments (3401-3403), self-pay details (4201),
clinical records (43xx-47xx).

4101 is checked against the settlement it lists. The others are table-driven (:data:`GENERIC`):
their node names and key fields are **inferred** (the spec has no field lists for them); they are
stored, kept unique by their key, and cancellable by their cancel transaction.
"""

from __future__ import annotations

from simulators.insurance.context import Ctx, Handler, Output, store_json
from simulators.insurance.envelope import fen, node, opt, req, rows, yuan
from simulators.insurance.errors import InsFailure

SETLINFO_REQUIRED = ("mdtrt_id", "setl_id", "psn_no", "bill_code", "bill_no", "biz_sn", "hi_setl_lv",
                     "setl_begn_date", "setl_end_date")


def settlement_list(ctx: Ctx) -> Output:
    """4101/4101A: one list per valid settlement; item amounts must add up to its total."""
    setlinfo = node(ctx.env.input, "setlinfo")
    for name in SETLINFO_REQUIRED:
        req(setlinfo, name, "setlinfo.")
    row = ctx.settlement(req(setlinfo, "setl_id", "setlinfo."))
    if row["mdtrt_id"] != opt(setlinfo, "mdtrt_id") or row["psn_no"] != opt(setlinfo, "psn_no"):
        raise InsFailure("结算ID与就诊ID、人员编号不符")
    if row["state"] != "valid" or row["refd_setl_flag"] != "0":
        raise InsFailure(f"结算ID{row['setl_id']}不是有效结算，不能上传结算清单")
    diseinfo = rows(ctx.env.input, "diseinfo")
    for i, d in enumerate(diseinfo, 1):
        for name in ("diag_type", "diag_code", "diag_name", "maindiag_flag"):
            req(d, name, f"diseinfo第{i}条.")
    if sum(1 for d in diseinfo if opt(d, "maindiag_flag") == "1") != 1:
        raise InsFailure("diseinfo必须有且只有一条主诊断（maindiag_flag=1）")
    items = rows(ctx.env.input, "iteminfo")
    total = 0
    for i, item in enumerate(items, 1):
        req(item, "med_chrgitm", f"iteminfo第{i}条.")
        total += fen(item, "amt", f"iteminfo第{i}条.")
    if total != row["medfee"]:
        raise InsFailure(f"iteminfo金额合计（{yuan(total)}）与结算医疗费总额（{yuan(row['medfee'])}）不符")
    payinfo = rows(ctx.env.input, "payinfo", required=False)
    for i, pay in enumerate(payinfo, 1):
        req(pay, "fund_pay_type", f"payinfo第{i}条.")
        fen(pay, "fund_payamt", f"payinfo第{i}条.")
    if ctx.db.execute("SELECT 1 FROM uploads WHERE fixmedins_code = ? AND infno = '4101' AND ukey = ? AND state = 'ok'",
                      (ctx.code, row["setl_id"])).fetchone():
        raise InsFailure(f"结算ID{row['setl_id']}的结算清单已上传")
    cur = ctx.db.execute("INSERT INTO uploads (fixmedins_code, infno, ukey, state, payload_json, created, msgid)"
                         " VALUES (?, '4101', ?, 'ok', ?, ?, ?)",
                         (ctx.code, row["setl_id"], store_json(ctx.env.input), ctx.stamp, ctx.env.msgid))
    upload_id = int(cur.lastrowid or 0)
    ctx.effect = {"upload_id": upload_id}
    return {"setl_list_id": f"{ctx.env.mdtrtarea_admvs}{upload_id:014d}"}


#: infno -> (node, key field, required fields, action, target infno). Inferred (docs/INSURANCE.md).
GENERIC: dict[str, tuple[str, str, tuple[str, ...], str, str]] = {
    "2501": ("refmedin", "psn_no", ("psn_no", "insutype", "begndate", "enddate", "dise_codg", "dise_name",
                                    "reflin_medins_no"), "add", "2501"),
    "2502": ("data", "trt_dcla_detl_sn", ("psn_no", "trt_dcla_detl_sn"), "cancel", "2501"),
    "2503": ("data", "psn_no", ("psn_no", "insutype", "opsp_dise_code", "opsp_dise_name", "begndate"), "add", "2503"),
    "2504": ("data", "trt_dcla_detl_sn", ("psn_no", "trt_dcla_detl_sn"), "cancel", "2503"),
    "2505": ("data", "psn_no", ("psn_no", "insutype", "begndate"), "add", "2505"),
    "2506": ("data", "trt_dcla_detl_sn", ("psn_no", "trt_dcla_detl_sn"), "cancel", "2505"),
    "3301": ("data", "fixmedins_hilist_id", ("fixmedins_hilist_id", "fixmedins_hilist_name", "list_type",
                                             "med_list_codg", "begndate"), "add", "3301"),
    "3302": ("data", "fixmedins_hilist_id", ("fixmedins_hilist_id", "list_type", "med_list_codg"), "cancel", "3301"),
    "3401": ("deptinfo", "hosp_dept_codg", ("hosp_dept_codg", "hosp_dept_name", "begntime", "caty"), "add", "3401"),
    "3402": ("deptinfo", "hosp_dept_codg", ("hosp_dept_codg", "hosp_dept_name", "begntime", "caty"), "change", "3401"),
    "3403": ("data", "hosp_dept_codg", ("hosp_dept_codg",), "cancel", "3401"),
    "4201": ("fsiOwnpayPatnMdtrtD", "mdtrt_id", ("mdtrt_id", "psn_name", "certno", "begntime"), "add", "4201"),
    "4301": ("mdtrtinfo", "mdtrt_sn", ("mdtrt_sn", "psn_name", "certno", "begntime"), "add", "4301"),
    "4401": ("baseinfo", "mdtrt_sn", ("mdtrt_sn", "psn_name", "certno"), "add", "4401"),
}


def generic(ctx: Ctx) -> Output:
    """A table-driven upload, change or cancel."""
    node_name, key_field, required, action, target = GENERIC[ctx.env.infno]
    data = node(ctx.env.input, node_name)
    for name in required:
        req(data, name, f"{node_name}.")
    key = opt(data, key_field)
    live = ctx.db.execute("SELECT id FROM uploads WHERE fixmedins_code = ? AND infno = ? AND ukey = ? AND state = 'ok'",
                          (ctx.code, target, key)).fetchone()
    if action == "add":
        if live is not None and key_field != "psn_no":
            raise InsFailure(f"{node_name}.{key_field}（{key}）已上传，不能重复上传")
        serial = ctx.new_id("trt_dcla_detl_sn") if key_field == "psn_no" else key
        ctx.db.execute("INSERT INTO uploads (fixmedins_code, infno, ukey, state, payload_json, created, msgid)"
                       " VALUES (?, ?, ?, 'ok', ?, ?, ?)",
                       (ctx.code, target, serial, store_json(data), ctx.stamp, ctx.env.msgid))
        return {"result": {"trt_dcla_detl_sn": serial}} if key_field == "psn_no" else {}
    if live is None:
        raise InsFailure(f"{node_name}.{key_field}（{key}）不存在或已撤销")
    if action == "change":
        ctx.db.execute("UPDATE uploads SET payload_json = ? WHERE id = ?", (store_json(data), live["id"]))
    else:
        ctx.db.execute("UPDATE uploads SET state = 'cancelled' WHERE id = ?", (live["id"],))
    return {}


REGISTRY: dict[str, Handler] = {"4101": settlement_list, "4101A": settlement_list, **{n: generic for n in GENERIC}}


