"""Kiosk and window receipts (凭条) on thermal rolls.

Kinds: registration, outpatient payment, prepayment top-up, inpatient deposit, discharge
settlement and the paper-exchange slip. Each is built from the sample's ``receipt`` part plus,
where the business issued an e-bill, the bill (request + response) so the receipt names the
e-bill it belongs to. Insured payments print the insurance split (§3.1 money fields).
Identity numbers and phones are masked (DESIGN §3 Security).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from billing_core.money import to_chinese_upper
from billing_core.printjob import PrintJob
from print_templates.errors import BadValueError
from print_templates.masking import mask_card_no, mask_id_no, mask_phone
from print_templates.model import (
    BillView,
    Json,
    amount,
    bill_from_sample,
    fmt_qty,
    fmt_time,
    parse_time,
    pay_channels,
    require,
)
from print_templates.thermal import ThermalBuilder


@dataclass(frozen=True, slots=True)
class ReceiptKind:
    """A receipt kind: printed title, whether it has an e-bill, and its required ``receipt`` keys."""

    title: str
    has_bill: bool
    required: tuple[str, ...]


KINDS: dict[str, ReceiptKind] = {
    "registration": ReceiptKind("挂号凭条", True, ("dept", "doctor", "visitTime", "queueNo")),
    "outpatient": ReceiptKind("门诊缴费凭条", True, ()),
    "prepay_topup": ReceiptKind("门诊预交金充值凭条", False,
                                ("amount", "balanceBefore", "balanceAfter", "payChannelCode", "tradeNo")),
    "inpatient_deposit": ReceiptKind("住院预交金凭条", False,
                                     ("amount", "hospitalNo", "dept", "balanceAfter", "payChannelCode",
                                      "voucherBatchCode", "voucherNo")),
    "discharge": ReceiptKind("出院结算凭条", True,
                             ("hospitalNo", "inHospitalDate", "outHospitalDate", "depositTotal")),
    "paper_exchange": ReceiptKind("换开纸质票据凭条", True, ("pBillBatchCode", "pBillNo")),
}


def _patient(b: ThermalBuilder, patient: Json, bill: BillView | None) -> None:
    name = patient.get("name") or (bill.payer if bill else "")
    b.kv("姓名", str(name))
    id_no = patient.get("idCardNo") or (bill.id_card_no if bill else "")
    if id_no:
        b.kv("证件号码", mask_id_no(str(id_no)))
    card = patient.get("cardNo") or (bill.card_no if bill else "")
    if card:
        b.kv("卡号", mask_card_no(str(card)))
    tel = patient.get("tel") or (bill.tel if bill else "")
    if tel:
        b.kv("手机号码", mask_phone(str(tel)))
    if patient.get("patientNo") or (bill and bill.patient_no):
        b.kv("就诊号", str(patient.get("patientNo") or (bill.patient_no if bill else "")))


def _bill_block(b: ThermalBuilder, bill: BillView, *, items: bool = True) -> None:
    if items and bill.charges:
        b.rule()
        b.items([(c.name, fmt_qty(c.number), c.amt) for c in bill.charges], head=("项目", "数量", "金额"))
    b.rule()
    b.money("合计", bill.total_amt, bold=True)
    b.kv("大写", to_chinese_upper(bill.total_amt))
    b.channels(bill.pay_channels)
    b.insurance(bill.insurance)
    b.rule()
    b.kv("票据代码", bill.bill_batch_code)
    b.kv("票据号码", bill.bill_no)
    b.kv("校验码", bill.random)
    if bill.emergency:
        b.text("应急票据：网络恢复后将自动上传财政电子票据平台", bold=True)


def _registration(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    b.kv("就诊科室", str(r["dept"]), bold=True)
    b.kv("医生", str(r["doctor"]))
    b.kv("就诊时间", str(r["visitTime"]))
    b.kv("候诊序号", str(r["queueNo"]), bold=True)
    if r.get("location"):
        b.kv("就诊地点", str(r["location"]))
    assert bill is not None
    _bill_block(b, bill)


def _outpatient(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    assert bill is not None
    if bill.dept:
        b.kv("就诊科室", bill.dept)
    _bill_block(b, bill)
    if r.get("guide"):
        b.rule()
        b.text(str(r["guide"]))


def _prepay_topup(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    amt = amount(r["amount"], "amount")
    before = amount(r["balanceBefore"], "balanceBefore")
    after = amount(r["balanceAfter"], "balanceAfter")
    if before + amt != after:
        raise BadValueError(f"充值后余额{after}不等于充值前余额{before}加充值金额{amt}")
    b.rule()
    b.money("充值金额", amt, bold=True)
    b.kv("大写", to_chinese_upper(amt))
    b.channels(pay_channels([{"payChannelCode": r["payChannelCode"], "payChannelValue": r["amount"]}]))
    b.money("充值前余额", before)
    b.money("充值后余额", after, bold=True)
    b.kv("交易流水号", str(r["tradeNo"]))


def _inpatient_deposit(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    amt = amount(r["amount"], "amount")
    b.kv("住院号", str(r["hospitalNo"]))
    b.kv("住院科室", str(r["dept"]))
    if r.get("bedNo"):
        b.kv("床号", str(r["bedNo"]))
    b.rule()
    b.money("预交金额", amt, bold=True)
    b.kv("大写", to_chinese_upper(amt))
    b.channels(pay_channels([{"payChannelCode": r["payChannelCode"], "payChannelValue": r["amount"]}]))
    b.money("预交金余额", amount(r["balanceAfter"], "balanceAfter"), bold=True)
    b.rule()
    # The deposit is a prepayment voucher, not an e-bill (finance_platform.md §6).
    b.kv("凭证代码", str(r["voucherBatchCode"]))
    b.kv("凭证号码", str(r["voucherNo"]))
    if r.get("voucherRandom"):
        b.kv("校验码", str(r["voucherRandom"]))


def _discharge(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    assert bill is not None
    b.kv("住院号", str(r["hospitalNo"]))
    if bill.dept:
        b.kv("出院科室", bill.dept)
    b.kv("入院日期", str(r["inHospitalDate"]))
    b.kv("出院日期", str(r["outHospitalDate"]))
    if r.get("hospitalDays"):
        b.kv("住院天数", str(r["hospitalDays"]))
    _bill_block(b, bill)
    deposit = amount(r["depositTotal"], "depositTotal")
    cash = bill.insurance.self_cash_pay if bill.insurance.insured else bill.total_amt
    b.rule()
    b.money("预交金合计", deposit)
    b.money("个人应付", cash)
    if deposit >= cash:
        b.money("应退金额", deposit - cash, bold=True)
    else:
        b.money("应补缴金额", cash - deposit, bold=True)


def _paper_exchange(b: ThermalBuilder, r: Json, bill: BillView | None) -> None:
    assert bill is not None
    b.kv("电子票据代码", bill.bill_batch_code)
    b.kv("电子票据号码", bill.bill_no)
    b.money("票据金额", bill.total_amt)
    b.rule()
    b.kv("纸质票据代码", str(r["pBillBatchCode"]), bold=True)
    b.kv("纸质票据号码", str(r["pBillNo"]), bold=True)
    if r.get("reprintReason"):
        b.kv("重打原因", str(r["reprintReason"]))
        b.kv("原纸质号码", str(r.get("oldPBillNo") or ""))
    b.text("电子票据只能换开一次纸质票据，请妥善保管。")


_BODIES: dict[str, Callable[[ThermalBuilder, Json, BillView | None], None]] = {
    "registration": _registration,
    "outpatient": _outpatient,
    "prepay_topup": _prepay_topup,
    "inpatient_deposit": _inpatient_deposit,
    "discharge": _discharge,
    "paper_exchange": _paper_exchange,
}


def receipt_job(sample: Json, kind: str, width_mm: int = 80) -> PrintJob:
    """The ``kind`` receipt for a sample ``{"hospital", "receipt", "request"?, "response"?}``."""
    spec = KINDS[kind]
    r: Json = require(sample, "receipt", spec.title)
    for key in spec.required:
        require(r, key, spec.title)
    bill = bill_from_sample(sample, spec.title) if spec.has_bill else None
    hospital = str(require(sample.get("hospital") or {}, "name", spec.title))
    b = ThermalBuilder(spec.title, width_mm)
    b.header(hospital, spec.title)
    if bill and bill.emergency:
        b.banner("应急票据")
    b.kv("终端编号", str(require(r, "terminalId", spec.title)))
    b.kv("流水号", str(require(r, "serialNo", spec.title)))
    b.kv("时间", fmt_time(parse_time(require(r, "time", spec.title), "receipt.time")))
    _patient(b, r.get("patient") or {}, bill)
    _BODIES[kind](b, r, bill)
    b.rule()
    b.text(str(r.get("footer") or "请妥善保管此凭条，如有疑问请到人工窗口咨询。"))
    return b.finish()
