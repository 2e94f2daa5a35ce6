"""The electronic settlement voucher centre (电子结算凭证中心, issue 16 §2, seed 002): upload the
voucher with its layout file (4901), query the upload result (4902), re-upload (4905), query the
voucher's status before a refund (5501).

No implementation of these interfaces was found (spec §8: "field lists are gap"), so every field
list is **inferred** and kept here, in :data:`FIELDS` and the ``_answer`` helpers, to be corrected
in one place when the official spec is at hand. Input node: ``data``; output node: ``data``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import sqlite3
from typing import Any

from simulators.insurance.context import Ctx, Handler, Output, load_json, store_json
from simulators.insurance.envelope import fen, node, opt, req, yuan
from simulators.insurance.errors import InsFailure
from simulators.insurance.store import set_knob

#: 4901/4905 input fields: (name, required, pattern or "") — inferred from spec §8.
FIELDS: tuple[tuple[str, bool, str], ...] = (
    ("setl_id", True, ""), ("mdtrt_id", True, ""), ("psn_no", True, ""),
    ("bill_code", True, r".{1,50}"), ("bill_no", True, r".{1,50}"), ("bill_chkcode", True, r".{6,20}"),
    ("bill_amt", True, ""), ("bill_date", True, r"\d{8}"), ("bill_time", True, r"\d{6}"),
    ("biller", True, r".{1,50}"), ("rechker", False, r".{0,50}"),
    ("elec_setl_cert_flag", True, r"[01]"), ("rel_elec_setl_cert_code", False, ""),
    ("rel_elec_setl_cert_no", False, ""), ("file_type", True, r"pdf|ofd"), ("file", False, ""),
    ("file_qury_no", False, ""),
)
#: upld_stas values: 1 accepted; 5501 elec_setl_cert_stas: 1 normal, 2 red-flushed (冲红).
UPLOADED, NORMAL, RED = "1", "1", "2"


def _checked(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, required, pattern in FIELDS:
        value = req(data, name, "data.") if required else opt(data, name)
        if value and pattern and not re.fullmatch(pattern, value):
            raise InsFailure(f"字段data.{name}格式错误：{value}")
        out[name] = value
    out["bill_amt"] = fen(data, "bill_amt", "data.")
    return out


def _file(ctx: Ctx, v: dict[str, Any]) -> bytes:
    """The layout file: Base64 in ``file`` or a 9101 ``file_qury_no``; a PDF or an OFD (ZIP)."""
    if v["file"]:
        try:
            content = base64.b64decode(v["file"], validate=True)
        except (binascii.Error, ValueError):
            raise InsFailure("字段data.file不是有效的Base64") from None
    elif v["file_qury_no"]:
        from simulators.insurance.tx_files import load_file

        content = load_file(ctx, v["file_qury_no"])
    else:
        raise InsFailure("电子结算凭证版式文件file与file_qury_no不能同时为空")
    magic = b"%PDF" if v["file_type"] == "pdf" else b"PK"
    if not content.startswith(magic):
        raise InsFailure(f"版式文件不是有效的{v['file_type'].upper()}文件")
    return content


def _check_settlement(ctx: Ctx, v: dict[str, Any]) -> None:
    row = ctx.settlement(v["setl_id"])
    if row["mdtrt_id"] != v["mdtrt_id"] or row["psn_no"] != v["psn_no"]:
        raise InsFailure("结算ID与就诊ID、人员编号不符")
    if v["elec_setl_cert_flag"] == "0":
        if row["state"] != "valid":
            raise InsFailure(f"结算ID{v['setl_id']}已撤销或冲正，不能上传正常凭证")
        if v["bill_amt"] != row["medfee"]:
            raise InsFailure(f"票据金额bill_amt（{yuan(v['bill_amt'])}）与结算医疗费总额（{yuan(row['medfee'])}）不符")
    else:
        if not (v["rel_elec_setl_cert_code"] and v["rel_elec_setl_cert_no"]):
            raise InsFailure("冲红凭证必须填写原凭证代码rel_elec_setl_cert_code和号码rel_elec_setl_cert_no")
        orig = _voucher(ctx, v["rel_elec_setl_cert_code"], v["rel_elec_setl_cert_no"])
        if orig["setl_id"] != v["setl_id"]:
            raise InsFailure("冲红凭证的结算ID与原凭证不符")
        if v["bill_amt"] != -_payload(orig)["bill_amt"]:
            raise InsFailure("冲红凭证金额必须是原凭证金额的负数")


def _voucher(ctx: Ctx, code: str, no: str) -> sqlite3.Row:
    row: sqlite3.Row | None = ctx.db.execute(
        "SELECT * FROM vouchers WHERE fixmedins_code = ? AND bill_code = ? AND bill_no = ?",
        (ctx.code, code, no)).fetchone()
    if row is None:
        raise InsFailure(f"电子结算凭证（{code}/{no}）不存在")
    return row


def _payload(row: sqlite3.Row) -> dict[str, Any]:
    value: dict[str, Any] = load_json(row["payload_json"])
    return value


def _answer(row: sqlite3.Row) -> dict[str, Any]:
    """The upload result; a voucher the centre refused on review (knob ``voucher_reject``) is kept
    with upld_stas "0" and the reason until a 4905 re-upload replaces it."""
    review = _payload(row).get("_review") or {}
    return {"data": {"setl_id": row["setl_id"], "bill_code": row["bill_code"], "bill_no": row["bill_no"],
                     "upld_stas": review.get("stas", UPLOADED), "upld_cnt": row["upload_count"],
                     "upld_time": row["updated"], "upld_rslt_dscr": review.get("dscr", "上传成功")}}


def _review(ctx: Ctx) -> dict[str, str] | None:
    """One use of knob ``voucher_reject``: this upload is kept but refused on review."""
    plan = ctx.knob("voucher_reject")
    if not plan:
        return None
    left = int(plan["count"]) - 1
    set_knob(ctx.db, "voucher_reject", dict(plan, count=left) if left > 0 else None)
    return {"stas": "0", "dscr": str(plan["err_msg"])}


def upload(ctx: Ctx) -> Output:
    """4901: a new voucher (bill_code + bill_no once per institution)."""
    v = _checked(ctx, node(ctx.env.input, "data"))
    content = _file(ctx, v)
    if ctx.db.execute("SELECT 1 FROM vouchers WHERE fixmedins_code = ? AND bill_code = ? AND bill_no = ?",
                      (ctx.code, v["bill_code"], v["bill_no"])).fetchone():
        raise InsFailure(f"电子结算凭证（{v['bill_code']}/{v['bill_no']}）已上传，如需更正请使用重传（4905）")
    _check_settlement(ctx, v)
    stored: dict[str, Any] = {k: val for k, val in v.items() if k != "file"}
    review = _review(ctx)
    if review is not None:
        stored["_review"] = review
    ctx.db.execute("INSERT INTO vouchers (fixmedins_code, setl_id, bill_code, bill_no, state, upload_count,"
                   " payload_json, file_sha256, file_type, created, updated) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                   (ctx.code, v["setl_id"], v["bill_code"], v["bill_no"],
                    NORMAL if v["elec_setl_cert_flag"] == "0" else RED, store_json(stored),
                    hashlib.sha256(content).hexdigest(), v["file_type"], ctx.stamp, ctx.stamp))
    if v["elec_setl_cert_flag"] == "1":
        ctx.db.execute("UPDATE vouchers SET state = ? WHERE fixmedins_code = ? AND bill_code = ? AND bill_no = ?",
                       (RED, ctx.code, v["rel_elec_setl_cert_code"], v["rel_elec_setl_cert_no"]))
    return _answer(_voucher(ctx, v["bill_code"], v["bill_no"]))


def result(ctx: Ctx) -> Output:
    """4902: the upload result of one voucher."""
    data = node(ctx.env.input, "data")
    return _answer(_voucher(ctx, req(data, "bill_code", "data."), req(data, "bill_no", "data.")))


def reupload(ctx: Ctx) -> Output:
    """4905: replace an uploaded voucher's data and file (same bill_code + bill_no); a voucher
    refused on review is accepted again (unless knob ``voucher_reject`` refuses this one too)."""
    v = _checked(ctx, node(ctx.env.input, "data"))
    row = _voucher(ctx, v["bill_code"], v["bill_no"])
    content = _file(ctx, v)
    _check_settlement(ctx, v)
    stored: dict[str, Any] = {k: val for k, val in v.items() if k != "file"}
    review = _review(ctx)
    if review is not None:
        stored["_review"] = review
    ctx.db.execute("UPDATE vouchers SET setl_id = ?, payload_json = ?, file_sha256 = ?, file_type = ?,"
                   " upload_count = upload_count + 1, updated = ? WHERE id = ?",
                   (v["setl_id"], store_json(stored), hashlib.sha256(content).hexdigest(), v["file_type"], ctx.stamp,
                    row["id"]))
    return _answer(_voucher(ctx, v["bill_code"], v["bill_no"]))


def status(ctx: Ctx) -> Output:
    """5501: the vouchers of a settlement (or one voucher) with their state (before a refund)."""
    data = node(ctx.env.input, "data")
    setl_id, code, no = opt(data, "setl_id"), opt(data, "bill_code"), opt(data, "bill_no")
    if not setl_id and not (code and no):
        raise InsFailure("结算ID setl_id与凭证代码、号码（bill_code、bill_no）不能同时为空")
    found = list(ctx.db.execute("SELECT * FROM vouchers WHERE fixmedins_code = ? AND (? = '' OR setl_id = ?)"
                                " AND (? = '' OR bill_code = ?) AND (? = '' OR bill_no = ?) ORDER BY id",
                                (ctx.code, setl_id, setl_id, code, code, no, no)))
    if not found:
        raise InsFailure("未查询到电子结算凭证")
    return {"data": [{"setl_id": r["setl_id"], "bill_code": r["bill_code"], "bill_no": r["bill_no"],
                      "elec_setl_cert_flag": _payload(r)["elec_setl_cert_flag"], "elec_setl_cert_stas": r["state"],
                      "reim_flag": "0", "bill_amt": yuan(_payload(r)["bill_amt"]), "upld_time": r["updated"]}
                     for r in found]}


REGISTRY: dict[str, Handler] = {"4901": upload, "4902": result, "4905": reupload, "5501": status}
