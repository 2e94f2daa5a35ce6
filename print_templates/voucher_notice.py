"""The notice (告知单) of a prepayment voucher (预交金电子凭证, invoicePayMentVoucher) on the
receipt roll: the kiosk's and the ward's top-ups and deposits are issued as vouchers, whose
request carries ``amt`` / ``ownAcBalance`` / ``hospitalNo`` instead of a bill's charge items and
whose answer names ``voucherBatchCode`` / ``voucherNo`` / ``voucherRandom``. The input is the
stored document shape of every notice: ``{"hospital", "request", "response", "emergency"?}``.
"""

from __future__ import annotations

from typing import Any

from billing_core.money import to_chinese_upper
from billing_core.printjob import PrintJob
from print_templates.masking import mask_card_no, mask_id_no, mask_phone
from print_templates.model import PAY_CHANNELS, amount, require
from print_templates.thermal import ThermalBuilder

TITLE = "预交金电子凭证告知单"


def is_voucher(document: dict[str, Any]) -> bool:
    """True for a prepayment voucher's document (``amt`` instead of a bill's ``totalAmt``)."""
    request = document.get("request") or {}
    return "amt" in request and "totalAmt" not in request


def voucher_notice_job(document: dict[str, Any], width_mm: int = 80) -> PrintJob:
    """The voucher notice. :raises MissingFieldError: / BadValueError: a document that is not one."""
    rq: dict[str, Any] = require(document, "request", TITLE)
    rs: dict[str, Any] = require(document, "response", TITLE)
    hospital = str((document.get("hospital") or {}).get("name") or "")
    b = ThermalBuilder(TITLE, width_mm)
    b.header(hospital, TITLE)
    if document.get("emergency"):
        b.banner("应急票据")
    b.kv("交款人", str(require(rq, "payer", TITLE)))
    if rq.get("idCardNo"):
        b.kv("证件号码", mask_id_no(str(rq["idCardNo"])))
    if rq.get("cardNo"):
        b.kv("卡号", mask_card_no(str(rq["cardNo"])))
    if rq.get("tel"):
        b.kv("手机号码", mask_phone(str(rq["tel"])))
    if rq.get("hospitalNo"):
        b.kv("住院号", str(rq["hospitalNo"]))
    if rq.get("category"):
        b.kv("科室", str(rq["category"]))
    b.rule()
    amt = amount(require(rq, "amt", TITLE), "amt")
    b.money("预交金额", amt, bold=True)
    b.kv("大写", to_chinese_upper(amt))
    if rq.get("ownAcBalance") not in (None, ""):
        b.money("预交前余额", amount(rq["ownAcBalance"], "ownAcBalance"))
    for ch in rq.get("payChannelDetail") or []:
        code = str(ch.get("payChannelCode", ""))
        b.money(f"交费渠道：{PAY_CHANNELS.get(code, code or '其他')}", amount(ch.get("payChannelValue"),
                                                                               "payChannelValue"))
    b.rule()
    b.kv("凭证代码", str(rs.get("voucherBatchCode") or rs.get("billBatchCode") or ""))
    b.kv("凭证号码", str(rs.get("voucherNo") or rs.get("billNo") or ""))
    b.kv("校验码", str(rs.get("voucherRandom") or rs.get("random") or ""))
    if rs.get("createTime"):
        b.kv("开具时间", str(rs["createTime"]))
    b.text("可凭凭证代码、号码和校验码在财政电子票据平台查验。")
    return b.finish()
