"""Kiosk receipts (自助机凭条) on the receipt printer: one template for every kiosk flow.

Every kiosk flow ends with a receipt (issue 15 §3): what was done, for whom (name, masked ID /
card / phone), the kiosk order number staff look it up by, the amount and how it was paid, the
e-bill issued for it (with a note when it came from emergency stock or is still being issued),
and a refund note when the HIS refused after payment. The document is a plain dict so the kiosk
can store it and rebuild the job for a reprint.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing_core.money import to_chinese_upper
from billing_core.printjob import PrintJob
from print_templates.errors import BadValueError
from print_templates.masking import mask_card_no, mask_id_no, mask_phone
from print_templates.thermal import ThermalBuilder

Json = dict[str, Any]

#: flow -> receipt title.
TITLES: dict[str, str] = {
    "register_card": "办理就诊卡凭条",
    "registration": "挂号凭条",
    "booking": "预约挂号凭条",
    "check_in": "预约签到凭条",
    "cancel": "取消预约凭条",
    "outpatient": "门诊缴费凭条",
    "prepay": "门诊预交金充值凭条",
    "deposit": "住院押金凭条",
    "discharge": "出院结算凭条",
    "paper": "换开纸质票据凭条",
    "daily_list": "住院费用日清单",
    "refund": "退款凭条",
}


def _money(value: Any, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except ArithmeticError as exc:
        raise BadValueError(f"{field}不是金额：{value!r}") from exc
    if not d.is_finite() or d != d.quantize(Decimal("0.01")):
        raise BadValueError(f"{field}不是两位小数的金额：{value!r}")
    return d


def kiosk_receipt_job(doc: Json, width_mm: int = 80) -> PrintJob:
    """The receipt of one kiosk flow.

    ``doc`` keys: ``flow`` (a key of :data:`TITLES`), ``hospital``, ``terminal``, ``orderNo``,
    ``time`` (display text), ``patient`` {name, idNo, card, phone} (masked here), ``rows``
    [[label, value]], ``items`` [[name, qty, amount]], ``amount``, ``payMethod`` (text),
    ``bills`` [{billBatchCode, billNo, random, emergency, pending}], ``notes`` [text],
    ``reprint`` (bool). :raises BadValueError: unknown flow or a bad amount.
    """
    flow = str(doc.get("flow", ""))
    if flow not in TITLES:
        raise BadValueError(f"凭条业务类型未知：{flow!r}")
    title = TITLES[flow]
    b = ThermalBuilder(title, width_mm)
    b.header(str(doc.get("hospital", "")), title)
    if doc.get("reprint"):
        b.banner("补打")
    if any(bill.get("emergency") for bill in doc.get("bills") or []):
        b.banner("应急票据")
    b.kv("终端", str(doc.get("terminal", "")))
    if doc.get("orderNo"):
        b.kv("订单号", str(doc["orderNo"]))
    patient: Json = dict(doc.get("patient") or {})
    if patient.get("name"):
        b.kv("姓名", str(patient["name"]))
    if patient.get("idNo"):
        b.kv("证件号码", mask_id_no(str(patient["idNo"])))
    if patient.get("card"):
        b.kv("就诊卡号", mask_card_no(str(patient["card"])))
    if patient.get("phone"):
        b.kv("手机号码", mask_phone(str(patient["phone"])))
    for label, value in doc.get("rows") or []:
        b.kv(str(label), str(value))
    items = doc.get("items") or []
    if items:
        b.rule()
        b.items([(str(n), str(q), _money(a, "items.amount")) for n, q, a in items], head=("项目", "数量", "金额"))
    if doc.get("amount") is not None:
        total = _money(doc["amount"], "amount")
        b.rule()
        b.money("金额", total, bold=True)
        b.kv("大写", to_chinese_upper(abs(total)))
        if doc.get("payMethod"):
            b.kv("支付方式", str(doc["payMethod"]))
    for bill in doc.get("bills") or []:
        b.rule()
        if bill.get("pending"):
            b.text("电子票据正在开具，稍后可在自助机或人工窗口打印。")
            continue
        b.kv("票据代码", str(bill.get("billBatchCode", "")))
        b.kv("票据号码", str(bill.get("billNo", "")))
        b.kv("校验码", str(bill.get("random", "")))
        if bill.get("emergency"):
            b.text("本票据为应急票据，联网后自动上传财政平台，效力相同。")
    notes = doc.get("notes") or []
    if notes:
        b.rule()
        for note in notes:
            b.text(str(note), bold=True)
    b.rule()
    b.kv("时间", str(doc.get("time", "")))
    b.text("请妥善保管本凭条。", align="center")
    return b.finish()
