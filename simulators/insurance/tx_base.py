"""Basic transactions: sign-in / sign-out (9001/9002), person info (1101), institution info (1201),
treatment check (2001), and the sign_no check every business call passes."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from simulators.insurance.context import Ctx, Handler, Output
from simulators.insurance.envelope import node, opt, req, yuan
from simulators.insurance.errors import InsFailure

CERT_TYPES = {"01": "ec_token", "02": "certno", "03": "card_no"}


def sign_in(ctx: Ctx) -> Output:
    """9001: a new sign_no for this operator (previous ones stay valid until signed out or expired)."""
    data = node(ctx.env.input, "signIn")
    opter_no = req(data, "opter_no", "signIn.")
    ip = req(data, "ip", "signIn.")
    sign_no = f"{ctx.now:%Y%m%d%H%M%S}{secrets.token_hex(8)}"[:30]
    ctx.db.execute("INSERT INTO signins VALUES (?, ?, ?, ?, ?, ?, NULL)",
                   (sign_no, ctx.code, opter_no, opt(data, "mac"), ip, ctx.stamp))
    ctx.effect = {"sign_no": sign_no}
    return {"signinoutb": {"sign_time": ctx.stamp, "sign_no": sign_no}}


def sign_out(ctx: Ctx) -> Output:
    """9002: the sign_no ends."""
    data = node(ctx.env.input, "signOut")
    sign_no = req(data, "sign_no", "signOut.")
    opter_no = req(data, "opter_no", "signOut.")
    row = ctx.db.execute("SELECT * FROM signins WHERE sign_no = ? AND fixmedins_code = ?",
                         (sign_no, ctx.code)).fetchone()
    if row is None or row["opter_no"] != opter_no:
        raise InsFailure(f"签到编号{sign_no}不存在或不属于操作员{opter_no}")
    if row["signed_out"]:
        raise InsFailure(f"签到编号{sign_no}已签退")
    ctx.db.execute("UPDATE signins SET signed_out = ? WHERE sign_no = ?", (ctx.stamp, sign_no))
    return {"signoutoutb": {"sign_time": ctx.stamp}}


def check_sign_no(ctx: Ctx) -> None:
    """The envelope's sign_no must be this institution's, signed in, not out, not expired."""
    row = ctx.db.execute("SELECT * FROM signins WHERE sign_no = ? AND fixmedins_code = ?",
                         (ctx.env.sign_no, ctx.code)).fetchone()
    if row is None:
        raise InsFailure(f"签到编号sign_no（{ctx.env.sign_no}）无效，请重新签到")
    if row["signed_out"]:
        raise InsFailure("签到编号sign_no已签退，请重新签到")
    signed = datetime.strptime(row["sign_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=ctx.now.tzinfo)
    ttl = ctx.knob("sign_ttl_seconds")
    expired = (ctx.now - signed > timedelta(seconds=ttl)) if ttl is not None else signed.date() != ctx.now.date()
    if expired:
        raise InsFailure("签到编号sign_no已过期，请重新签到")
    if ctx.knob("sign_no_per_opter") and row["opter_no"] != ctx.env.opter:
        raise InsFailure(f"签到编号sign_no不属于操作员{ctx.env.opter}")


def age_on(brdy: str, today: date) -> Decimal:
    """Age in years with one decimal (spec: number 4,1, e.g. 35.1)."""
    born = date.fromisoformat(brdy)
    return (Decimal((today - born).days) / Decimal("365.25")).quantize(Decimal("0.1"), rounding="ROUND_DOWN")


def person_info(ctx: Ctx) -> Output:
    """1101: a person by e-voucher token (01), ID card (02) or social-security card (03)."""
    data = node(ctx.env.input, "data")
    cert_type = req(data, "mdtrt_cert_type", "data.")
    cert_no = req(data, "mdtrt_cert_no", "data.")
    column = CERT_TYPES.get(cert_type)
    if column is None:
        raise InsFailure(f"就诊凭证类型mdtrt_cert_type（{cert_type}）无效，应为01、02或03")
    if cert_type == "03" and not opt(data, "card_sn"):
        raise InsFailure("凭证类型为03（社会保障卡）时card_sn不能为空")
    p = ctx.db.execute(f"SELECT * FROM persons WHERE {column} = ?", (cert_no,)).fetchone()  # noqa: S608
    if p is None:
        raise InsFailure("未查询到人员参保信息")
    if cert_type == "03" and opt(data, "card_sn") != p["card_sn"]:
        raise InsFailure("社会保障卡识别码card_sn与卡号不符")
    name = opt(data, "psn_name")
    if name and name != p["psn_name"]:
        raise InsFailure("人员姓名psn_name与证件信息不符")
    certno = opt(data, "certno")
    if certno and certno != p["certno"]:
        raise InsFailure("证件号码certno与就诊凭证不符")
    return {"baseinfo": base_info(ctx, p), "insuinfo": insu_info(ctx, p["psn_no"]),
            "idetinfo": [{"psn_idet_type": r["psn_idet_type"], "psn_type_lv": r["psn_type_lv"], "memo": r["memo"],
                          "begntime": r["begntime"], "endtime": r["endtime"]}
                         for r in ctx.db.execute("SELECT * FROM identities WHERE psn_no = ?", (p["psn_no"],))]}


def base_info(ctx: Ctx, p: Any) -> dict[str, Any]:
    """The ``baseinfo`` node of a person."""
    return {"psn_no": p["psn_no"], "psn_cert_type": p["psn_cert_type"], "certno": p["certno"],
            "psn_name": p["psn_name"], "gend": p["gend"], "naty": p["naty"], "brdy": p["brdy"],
            "age": age_on(p["brdy"], ctx.now.date()), "exp_content": None}


def insu_info(ctx: Ctx, psn_no: str) -> list[dict[str, Any]]:
    """The ``insuinfo`` rows of a person (one per insutype)."""
    return [{"balc": yuan(r["balc"]), "insutype": r["insutype"], "psn_type": r["psn_type"],
             "psn_insu_stas": r["psn_insu_stas"], "psn_insu_date": r["psn_insu_date"],
             "paus_insu_date": r["paus_insu_date"], "cvlserv_flag": r["cvlserv_flag"],
             "insuplc_admdvs": r["insuplc_admdvs"], "emp_name": _emp(ctx, psn_no)}
            for r in ctx.db.execute("SELECT * FROM insurances WHERE psn_no = ? ORDER BY insutype", (psn_no,))]


def _emp(ctx: Ctx, psn_no: str) -> str:
    return str(ctx.db.execute("SELECT emp_name FROM persons WHERE psn_no = ?", (psn_no,)).fetchone()[0])


def institution_info(ctx: Ctx) -> Output:
    """1201: institutions by code or name (``medinsinfo``)."""
    data = node(ctx.env.input, "medinsinfo")
    code, name = opt(data, "fixmedins_code"), opt(data, "fixmedins_name")
    found = ctx.db.execute("SELECT * FROM institutions WHERE (? = '' OR fixmedins_code = ?)"
                           " AND (? = '' OR fixmedins_name LIKE '%' || ? || '%')", (code, code, name, name))
    return {"medinsinfo": [{"fixmedins_code": r["fixmedins_code"], "fixmedins_name": r["fixmedins_name"],
                            "uscc": "", "fixmedins_type": "1", "hosp_lv": r["hosp_lv"]} for r in found]}


def treatment_check(ctx: Ctx) -> Output:
    """2001: treatment check (待遇检查) — whether the person may be settled under an insutype."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    insutype = req(data, "insutype", "data.")
    ctx.person(psn_no)
    try:
        ctx.insurance(psn_no, insutype)
    except InsFailure as exc:
        return {"trtinfo": [{"psn_no": psn_no, "trt_chk_type": "01", "fund_pay_type": "", "trt_enjymnt_flag": "0",
                             "begndate": None, "enddate": None, "trt_chk_rslt": exc.err_msg}]}
    return {"trtinfo": [{"psn_no": psn_no, "trt_chk_type": "01", "fund_pay_type": "", "trt_enjymnt_flag": "1",
                         "begndate": None, "enddate": None, "trt_chk_rslt": "正常享受待遇"}]}


REGISTRY: dict[str, Handler] = {
    "9001": sign_in, "9002": sign_out, "1101": person_info, "1201": institution_info, "2001": treatment_check,
}
