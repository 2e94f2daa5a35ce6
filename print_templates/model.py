"""Inputs of the documents: plain dataclasses built from the platform's issue request and response.

A sample (or a terminal's stored bill) is a dict with the issue ``request`` (the HIS issuing
object, finance_platform.md §3.1-3.3), the issue ``response`` (§3.4: billBatchCode, billNo,
random, createTime ...) and printing context (hospital name, billing point). Optional parts:
``emergency`` (issued offline from reserved stock, §17), ``red`` (the writeOffEBill response,
§5). :func:`bill_from_sample` turns that into a :class:`BillView` every document reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from billing_core.errors import BillingError
from billing_core.money import ZERO, parse_amount, parse_decimal
from billing_core.qr_payload import BillQr
from print_templates.errors import BadValueError, MissingFieldError

#: Bill names printed on the notice and the paper form, by busType (finance_platform.md §11).
BILL_NAMES = {
    "01": "医疗住院收费票据（电子）",
    "02": "医疗门诊收费票据（电子）",
    "03": "医疗门诊收费票据（电子）",
    "04": "医疗门诊收费票据（电子）",
    "05": "医疗门诊收费票据（电子）",
    "06": "医疗门诊收费票据（电子）",
}

#: Payment channel names (附录4 plus the mapped codes clients send, §11).
PAY_CHANNELS = {
    "01": "POS刷卡", "02": "现金", "03": "转账", "04": "支付宝", "05": "微信", "06": "支票",
    "07": "银行卡", "08": "银联", "09": "自助机", "11": "医保", "YBK": "医保个人账户",
    "YBTCJJ": "医保统筹基金", "HBWC": "舍入误差", "99": "其他",
}

Json = Mapping[str, Any]


def require(data: Json, key: str, document: str) -> Any:
    """``data[key]`` or MissingFieldError naming ``key`` when it is absent or empty."""
    value = data.get(key)
    if value is None or value == "" or value == []:
        raise MissingFieldError(key, document)
    return value


def amount(value: object, field_name: str) -> Decimal:
    """An N14,2 amount from JSON (number or string); BadValueError naming the field otherwise."""
    if value is None or value == "":
        return ZERO
    try:
        return parse_amount(value, field=field_name, allow_negative=True)
    except BillingError as exc:
        raise BadValueError(f"{field_name}格式错误：{exc.message}") from None


def quantity(value: object, field_name: str, places: int = 4) -> Decimal:
    """A quantity or unit price with up to ``places`` decimals (listDetail is N14,4, §2)."""
    if value is None or value == "":
        return Decimal(1)
    try:
        return parse_decimal(value, places=places, digits=18, allow_negative=True, field=field_name)
    except BillingError as exc:
        raise BadValueError(f"{field_name}格式错误：{exc.message}") from None


def parse_time(value: str, field_name: str) -> datetime:
    """A platform timestamp ``yyyyMMddHHmmss[SSS]`` (§2) as a datetime."""
    text = str(value or "").strip()
    try:
        return datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    except ValueError:
        raise BadValueError(f"{field_name}必须是yyyyMMddHHmmssSSS格式，收到“{text}”") from None


def fmt_time(value: datetime) -> str:
    """Printed date and time, e.g. ``2026-11-23 09:15:02``."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def fmt_qty(value: Decimal) -> str:
    """A quantity without needless trailing zeros (``2``, ``0.5``)."""
    text = f"{value.normalize():f}"
    return text


@dataclass(frozen=True, slots=True)
class ChargeItem:
    """A fee category printed on the bill (chargeDetail, A-1)."""

    name: str
    amt: Decimal
    number: Decimal = Decimal(1)
    std: Decimal = ZERO
    unit: str = ""
    self_amt: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class ListLine:
    """One line of the itemised list (listDetail, A-2)."""

    name: str
    amt: Decimal
    number: Decimal = Decimal(1)
    std: Decimal = ZERO
    unit: str = ""
    specification: str = ""
    code: str = ""
    care_class: str = ""  # 甲/乙/丙 from medicalCareType 1/2/3
    self_amt: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PayChannel:
    """One payment channel and its amount (payChannelDetail, A-5)."""

    code: str
    name: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class InsuranceSplit:
    """How an insured payment was split (§3.1 money fields)."""

    fund_pay: Decimal = ZERO
    account_pay: Decimal = ZERO
    other_fund_pay: Decimal = ZERO
    own_pay: Decimal = ZERO
    self_conceited_amt: Decimal = ZERO
    self_pay_amt: Decimal = ZERO
    self_cash_pay: Decimal = ZERO
    care_type: str = ""
    insurance_id: str = ""

    @property
    def insured(self) -> bool:
        """True when any insurance money paid part of the bill."""
        return (self.fund_pay + self.account_pay + self.other_fund_pay) != ZERO

    def rows(self) -> list[tuple[str, Decimal]]:
        """The printed split: (label, amount) in the order the insurance settlement shows it."""
        return [
            ("医保统筹支付", self.fund_pay),
            ("个人账户支付", self.account_pay),
            ("其他基金支付", self.other_fund_pay),
            ("个人自负", self.self_conceited_amt),
            ("个人自付", self.self_pay_amt),
            ("个人自费", self.own_pay),
            ("个人现金支付", self.self_cash_pay),
        ]


@dataclass(frozen=True, slots=True)
class EmergencyInfo:
    """An emergency bill issued offline from reserved stock, to be uploaded later (§17)."""

    terminal_id: str
    upload_deadline: str = ""


@dataclass(frozen=True, slots=True)
class RedInfo:
    """A red bill (冲红, writeOffEBill §5): its own code/number/check code and the original."""

    original_batch_code: str
    original_bill_no: str
    reason: str


@dataclass(frozen=True, slots=True)
class BillView:
    """Everything a bill document prints, built from request + response (+ red/emergency)."""

    bus_type: str
    bill_name: str
    hospital: str
    place_name: str
    bill_batch_code: str
    bill_no: str
    random: str
    create_time: datetime
    payer: str
    payee: str
    total_amt: Decimal
    bus_no: str = ""
    id_card_no: str = ""
    tel: str = ""
    card_no: str = ""
    patient_no: str = ""
    dept: str = ""
    sex: str = ""
    age: str = ""
    remark: str = ""
    charges: tuple[ChargeItem, ...] = ()
    list_lines: tuple[ListLine, ...] = ()
    pay_channels: tuple[PayChannel, ...] = ()
    insurance: InsuranceSplit = field(default_factory=InsuranceSplit)
    emergency: EmergencyInfo | None = None
    red: RedInfo | None = None

    @property
    def printed_total(self) -> Decimal:
        """The amount shown: negative on a red bill (it reverses the original)."""
        return -self.total_amt if self.red else self.total_amt

    @property
    def qr(self) -> BillQr:
        """The QR values of this bill (billing_core.qr_payload): what the verifier accepts."""
        return BillQr(
            self.bill_batch_code, self.bill_no, self.random, self.total_amt,
            self.create_time.strftime("%Y%m%d"),
        )


def _charges(items: list[Json]) -> tuple[ChargeItem, ...]:
    out = []
    for i, item in enumerate(items):
        where = f"chargeDetail[{i}]"
        out.append(ChargeItem(
            name=str(require(item, "chargeName", where)),
            amt=amount(item.get("amt"), f"{where}.amt"),
            number=quantity(item.get("number"), f"{where}.number", 2),
            std=quantity(item.get("std", item.get("amt")), f"{where}.std"),
            unit=str(item.get("unit") or ""),
            self_amt=amount(item.get("selfAmt"), f"{where}.selfAmt"),
        ))
    return tuple(out)


_CARE_CLASS = {"1": "甲", "2": "乙", "3": "丙"}


def _list_lines(items: list[Json]) -> tuple[ListLine, ...]:
    out = []
    for i, item in enumerate(items):
        where = f"listDetail[{i}]"
        out.append(ListLine(
            name=str(require(item, "name", where)),
            amt=quantity(item.get("amt"), f"{where}.amt"),
            number=quantity(item.get("number"), f"{where}.number", 2),
            std=quantity(item.get("std"), f"{where}.std"),
            unit=str(item.get("unit") or ""),
            specification=str(item.get("specification") or ""),
            code=str(item.get("code") or ""),
            care_class=_CARE_CLASS.get(str(item.get("medicalCareType") or ""), ""),
            self_amt=quantity(item.get("selfAmt") or 0, f"{where}.selfAmt"),
        ))
    return tuple(out)


def pay_channels(items: list[Json]) -> tuple[PayChannel, ...]:
    """payChannelDetail entries with their printed names."""
    out = []
    for i, item in enumerate(items):
        code = str(item.get("payChannelCode") or "")
        out.append(PayChannel(code, PAY_CHANNELS.get(code, code or "其他"),
                              amount(item.get("payChannelValue"), f"payChannelDetail[{i}].payChannelValue")))
    return tuple(out)


def insurance_split(req: Json) -> InsuranceSplit:
    """The insurance split of an issuing request (zero everywhere for a self-paying patient)."""
    return InsuranceSplit(
        fund_pay=amount(req.get("fundPay"), "fundPay"),
        account_pay=amount(req.get("accountPay"), "accountPay"),
        other_fund_pay=amount(req.get("otherfundPay"), "otherfundPay"),
        own_pay=amount(req.get("ownPay"), "ownPay"),
        self_conceited_amt=amount(req.get("selfConceitedAmt"), "selfConceitedAmt"),
        self_pay_amt=amount(req.get("selfPayAmt"), "selfPayAmt"),
        self_cash_pay=amount(req.get("selfCashPay"), "selfCashPay"),
        care_type=str(req.get("medicalCareType") or ""),
        insurance_id=str(req.get("medicalInsuranceID") or ""),
    )


def bill_from_sample(sample: Json, document: str = "电子票据") -> BillView:
    """Build a :class:`BillView` from ``{"hospital", "request", "response", "emergency"?, "red"?}``.

    For a red bill the printed code/number/check code/time are the red bill's own
    (``eScarlet*`` of the writeOffEBill response, §5) and the original is named.
    """
    hospital = sample.get("hospital") or {}
    req: Json = require(sample, "request", document)
    resp: Json = require(sample, "response", document)
    bus_type = str(req.get("busType") or "02")
    red_part = sample.get("red")
    red: RedInfo | None = None
    if red_part:
        red_resp: Json = require(red_part, "response", document)
        code = str(require(red_resp, "eScarletBillBatchCode", document))
        number = str(require(red_resp, "eScarletBillNo", document))
        random = str(require(red_resp, "eScarletRandom", document))
        created = parse_time(require(red_resp, "createTime", document), "createTime")
        red = RedInfo(str(require(resp, "billBatchCode", document)), str(require(resp, "billNo", document)),
                      str(require(red_part, "reason", document)))
    else:
        code = str(require(resp, "billBatchCode", document))
        number = str(require(resp, "billNo", document))
        random = str(require(resp, "random", document))
        created = parse_time(require(resp, "createTime", document), "createTime")
    emergency_part = sample.get("emergency")
    emergency = None
    if emergency_part:
        emergency = EmergencyInfo(str(require(emergency_part, "terminalId", document)),
                                  str(emergency_part.get("uploadDeadline") or ""))
    return BillView(
        bus_type=bus_type,
        bill_name=str(sample.get("billName") or BILL_NAMES.get(bus_type, "医疗收费票据（电子）")),
        hospital=str(require(hospital, "name", document)),
        place_name=str(hospital.get("placeName") or req.get("placeCode") or ""),
        bill_batch_code=code,
        bill_no=number,
        random=random,
        create_time=created,
        payer=str(require(req, "payer", document)),
        payee=str(require(req, "payee", document)),
        total_amt=amount(require(req, "totalAmt", document), "totalAmt"),
        bus_no=str(req.get("busNo") or ""),
        id_card_no=str(req.get("idCardNo") or ""),
        tel=str(req.get("tel") or ""),
        card_no=str(req.get("cardNo") or ""),
        patient_no=str(req.get("patientNo") or req.get("hospitalNo") or ""),
        dept=str(req.get("patientCategory") or req.get("category") or ""),
        sex=str(req.get("sex") or ""),
        age=str(req.get("age") or ""),
        remark=str(req.get("remark") or ""),
        charges=_charges(list(req.get("chargeDetail") or [])),
        list_lines=_list_lines(list(req.get("listDetail") or [])),
        pay_channels=pay_channels(list(req.get("payChannelDetail") or [])),
        insurance=insurance_split(req),
        emergency=emergency,
        red=red,
    )
