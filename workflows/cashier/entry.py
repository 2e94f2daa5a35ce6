"""The bill entry form model: what the cashier types, checked as they type.

The form holds header fields, charge lines and pay channels; :meth:`EntryForm.check` returns
every problem at once (the GUI shows them beside the totals while the cashier types), and
:meth:`EntryForm.build_request` turns a clean form into the issuing request of the bill kind's
platform method (spec §3.1-§3.2, §4 invoiceEBillCommon). The totals rule of DESIGN §3: sum of
charge items = total = sum of pay channels.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_core import methods
from billing_core.money import ZERO, round_amount, wire
from workflows.catalog import Catalog

# Issue codes (one per rule) carried in EntryInvalid.issues and shown beside the field.
NO_ITEMS = "E5811"
PAY_MISMATCH = "E5812"
MISSING = "E5813"
UNKNOWN_ITEM = "E5814"
BAD_NUMBER = "E5815"


@dataclass(frozen=True, slots=True)
class BillKind:
    """A kind of bill the window issues and the platform method that issues it."""

    key: str
    label: str
    method: str
    bus_type: str
    needs_checker: bool = False
    needs_hospital_no: bool = False
    common: bool = False  # invoiceEBillCommon: no medical fields, chargeDetail without selfAmt

    @property
    def roles(self) -> tuple[str, ...]:
        """Who may issue it: common bills (往来票, 捐赠) are the finance office's (seed 001 (三)1(3))."""
        return ("finance",) if self.common else ("cashier", "finance")


KINDS: dict[str, BillKind] = {k.key: k for k in (
    BillKind("outpatient", "门诊", methods.INVOICE_EBILL_OUTPATIENT, "02"),
    BillKind("inpatient", "住院", methods.INV_EBILL_HOSPITALIZED, "01", needs_checker=True, needs_hospital_no=True),
    BillKind("registration", "挂号", methods.INV_EBILL_REGISTRATION, "06", needs_checker=True),
    BillKind("checkup", "体检", methods.INV_EBILL_CHECKUP, "05", needs_checker=True),
    BillKind("transfer", "往来票", methods.INVOICE_EBILL_COMMON, "09", needs_checker=True, common=True),
    BillKind("donation", "捐赠票", methods.INVOICE_EBILL_COMMON, "10", needs_checker=True, common=True),
    # 门特 (门诊特殊病, issue 18 §6): an outpatient bill with busType 04
    BillKind("special", "门特", methods.INVOICE_EBILL_OUTPATIENT, "04"),
)}

HEADER_LABELS = {
    "payer": "交款人", "card_no": "卡号", "patient_no": "门诊/住院号", "sex": "性别", "age": "年龄",
    "hospital_no": "住院号", "checker": "复核人", "tel": "手机号", "id_card_no": "证件号码",
    "dept": "科室", "remark": "备注",
}


def parse_money_text(text: str | Decimal | int) -> Decimal | None:
    """A typed amount or quantity as a two-place Decimal, or None when it is not a number."""
    if isinstance(text, Decimal | int):
        return round_amount(Decimal(text))
    t = str(text).strip().replace(",", "").replace("¥", "")
    if not t:
        return None
    try:
        value = Decimal(t)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


@dataclass(slots=True)
class EntryLine:
    """One charge line: catalog code, quantity and standard price (amt = std x number)."""

    code: str
    name: str = ""
    unit: str = "项"
    std: Decimal = ZERO
    number: Decimal = Decimal("1.00")

    @property
    def amt(self) -> Decimal:
        return round_amount(self.std * self.number)


@dataclass(slots=True)
class PayLine:
    """One pay channel and its amount."""

    code: str
    amount: Decimal


@dataclass(slots=True)
class EntryForm:
    """The bill being typed at the window.

    :param kind: a key of :data:`KINDS`.
    :param catalog: where codes are looked up.
    """

    kind: str
    catalog: Catalog
    header: dict[str, str] = field(default_factory=dict)
    lines: list[EntryLine] = field(default_factory=list)
    pays: list[PayLine] = field(default_factory=list)

    @property
    def bill_kind(self) -> BillKind:
        return KINDS[self.kind]

    # --- editing -------------------------------------------------------------------------
    def add_item(self, code: str, number: Decimal | str = "1", std: Decimal | str | None = None) -> EntryLine:
        """Add a catalog item by code; the standard price defaults to the catalog's."""
        item = self.catalog.get(code)
        qty = parse_money_text(number) if not isinstance(number, Decimal) else number
        line = EntryLine(code.strip(), item.name if item else "", item.unit if item else "项",
                         item.std if item else ZERO, qty if qty is not None else Decimal("1.00"))
        if std is not None:
            price = parse_money_text(std) if not isinstance(std, Decimal) else std
            if price is not None:
                line.std = price
        self.lines.append(line)
        return line

    def set_pay(self, code: str, amount: Decimal | str) -> None:
        """Set (or replace) the amount paid through one channel; zero removes it."""
        value = parse_money_text(amount) if not isinstance(amount, Decimal) else amount
        self.pays = [p for p in self.pays if p.code != code]
        if value is not None and value > 0:
            self.pays.append(PayLine(code, value))

    def clear(self) -> None:
        """Empty the form for the next patient (the kind stays)."""
        self.header.clear()
        self.lines.clear()
        self.pays.clear()

    # --- totals --------------------------------------------------------------------------
    @property
    def total(self) -> Decimal:
        return sum((ln.amt for ln in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.pays), ZERO)

    @property
    def difference(self) -> Decimal:
        """Total minus paid: positive means the patient still owes, negative is too much."""
        return self.total - self.paid

    # --- checks --------------------------------------------------------------------------
    def required_fields(self) -> list[str]:
        """Header fields this kind of bill cannot go without (spec §3.1-§3.2, §4)."""
        k = self.bill_kind
        # sex and age are required on every kind, invoiceEBillCommon included (spec §4).
        req = ["payer", "sex", "age"]
        if not k.common:
            req.append("card_no")
        if k.method == methods.INVOICE_EBILL_OUTPATIENT:  # 门诊 and 门特
            req.append("patient_no")
        if k.needs_hospital_no:
            req.append("hospital_no")
        if k.needs_checker:
            req.append("checker")
        return req

    def check(self) -> list[tuple[str, str, str]]:
        """Every problem as ``(code, field label, Chinese message)``; empty when the bill is ready."""
        issues: list[tuple[str, str, str]] = []
        for name in self.required_fields():
            if not self.header.get(name, "").strip():
                issues.append((MISSING, HEADER_LABELS[name], "必填"))
        if not self.lines:
            issues.append((NO_ITEMS, "收费项目", "至少录入一个收费项目"))
        for n, ln in enumerate(self.lines, 1):
            if self.catalog.get(ln.code) is None:
                issues.append((UNKNOWN_ITEM, f"第{n}行项目", f"收费项目编码“{ln.code}”不存在"))
            if ln.amt <= 0:
                # Spec §3.5: the platform rejects zero-amount charge lines.
                issues.append((BAD_NUMBER, f"第{n}行金额", "金额必须大于0"))
        if not self.pays:
            issues.append((PAY_MISMATCH, "交费渠道", "请录入交费渠道及金额"))
        elif self.difference != 0:
            what = "少收" if self.difference > 0 else "多收"
            issues.append((PAY_MISMATCH, "交费渠道",
                           f"渠道合计{wire(self.paid)}与票据金额{wire(self.total)}不符（{what}{wire(abs(self.difference))}）"))
        return issues

    # --- request -------------------------------------------------------------------------
    def build_request(self, *, bus_no: str, bus_date_time: str, place_code: str, payee: str) -> dict[str, Any]:
        """The issuing request ``data`` for the kind's platform method (call after :meth:`check`)."""
        k, h = self.bill_kind, self.header
        total = self.total
        data: dict[str, Any] = {
            "busNo": bus_no, "busType": k.bus_type, "payer": h.get("payer", "").strip(),
            "busDateTime": bus_date_time, "placeCode": place_code, "payee": payee, "author": payee,
            "totalAmt": wire(total), "payerType": h.get("payer_type", "1") or "1",
            "sex": h.get("sex", ""), "age": h.get("age", ""),
            "payChannelDetail": [{"payChannelCode": p.code, "payChannelValue": wire(p.amount)}
                                 for p in self.pays],
        }
        for src, dst in (("tel", "tel"), ("id_card_no", "idCardNo"), ("remark", "remark"),
                         ("checker", "checker")):
            if h.get(src, "").strip():
                data[dst] = h[src].strip()
        charges = []
        for n, ln in enumerate(self._grouped(), 1):
            row: dict[str, Any] = {"sortNo": n, "chargeCode": ln.code, "chargeName": ln.name,
                                   "unit": ln.unit, "std": wire(ln.std), "number": wire(ln.number),
                                   "amt": wire(ln.amt)}
            if not k.common:
                row["selfAmt"] = "0.00"
            charges.append(row)
        data["chargeDetail"] = charges
        if k.common:
            return data
        insured = sum((p.amount for p in self.pays if p.code == "11"), ZERO)
        data.update({
            "cardType": h.get("card_type", "3101") or "3101", "cardNo": h.get("card_no", "").strip(),
            "accountPay": "0.00", "fundPay": wire(insured), "otherfundPay": "0.00", "ownPay": "0.00",
            "selfConceitedAmt": "0.00", "selfPayAmt": "0.00", "selfCashPay": wire(total - insured),
            "listDetail": [{"chargeCode": ln.code, "name": ln.name, "unit": ln.unit, "std": wire(ln.std),
                            "number": wire(ln.number), "amt": wire(ln.amt), "selfAmt": "0.00"}
                           for ln in self.lines],
        })
        if h.get("dept"):
            data["patientCategory"] = h["dept"]
        if k.method == methods.INVOICE_EBILL_OUTPATIENT:
            data["patientNo"] = h.get("patient_no", "").strip()
        if k.needs_hospital_no:
            data["hospitalNo"] = h.get("hospital_no", "").strip()
            data["visitNo"] = h.get("hospital_no", "").strip()
        if k.key in ("inpatient", "registration"):
            data["isArrears"] = "1"
        if k.key == "registration":
            data["reimbursementAmt"] = "0.00"
        return data

    def _grouped(self) -> list[EntryLine]:
        """Charge lines grouped by code (list details group to charge items, DESIGN §3)."""
        out: dict[str, EntryLine] = {}
        for ln in self.lines:
            if ln.code in out:
                g = out[ln.code]
                out[ln.code] = EntryLine(g.code, g.name, g.unit, g.amt + ln.amt, Decimal("1.00"))
            else:
                out[ln.code] = EntryLine(ln.code, ln.name, ln.unit, ln.std, ln.number)
        return list(out.values())


def platform_issues(method: str, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The platform's own field rules (billing_core.bills), as form issues.

    billing_core.bills is being written in parallel; when its ``check_request`` is present the
    form shows its findings too, so the cashier sees what the server would refuse.
    """
    try:
        bills = importlib.import_module("billing_core.bills")
    except ImportError:
        return []
    check = getattr(bills, "check_request", None)
    if check is None:
        return []
    return [(i.code, i.path, i.message) for i in check(method, data)]
