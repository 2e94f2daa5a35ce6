"""What the insured flow works with: the person (1101), the visit to register, fee lines, the
server's settlement record and the fund / account / cash split (docs/INSURANCE.md §12.3).

Amounts are two-place Decimals; :meth:`Split.cash_fen` is the integer-fen cash part the payment
platform takes. A split that does not add up is refused here too (the server checks first, E5615).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.insurance.errors import InsuredFlowError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: mdtrtCertType of 1101 / 2201: 01 insurance e-voucher (QR), 02 ID card, 03 social-security card.
CERT_TYPES = {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"}


def money(value: Any, name: str = "金额") -> Decimal:
    """A two-place Decimal from the server's 2-place string (None / '' -> 0.00)."""
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(str(value)).quantize(CENT)
    except InvalidOperation:
        raise InsuredFlowError(f"{name}不是有效金额：{value!r}") from None


def fen(amount: Decimal) -> int:
    """Integer fen of a two-place amount."""
    return int((amount * 100).to_integral_value())


def yuan(fen_value: int) -> Decimal:
    """A two-place amount of integer fen."""
    return (Decimal(fen_value) / 100).quantize(CENT)


@dataclass(frozen=True, slots=True)
class InsuredPerson:
    """The person 1101 found (ID number masked by the server)."""

    psn_no: str
    name: str
    certno_masked: str
    gend: str
    age: str
    insutype: str
    insuplc_admdvs: str
    balance: Decimal
    cert_type: str
    cert_no: str

    @property
    def insured(self) -> bool:
        """True when the person has an insurance in force (an ``active`` row)."""
        return bool(self.insutype)

    @classmethod
    def from_wire(cls, ans: Mapping[str, Any], cert_type: str, cert_no: str) -> InsuredPerson:
        """From the ``insPersonInfo`` answer (and the certificate it was asked with)."""
        active = ans.get("active") or {}
        return cls(str(ans.get("psnNo", "")), str(ans.get("psnName", "")), str(ans.get("certno", "")),
                   str(ans.get("gend", "")), str(ans.get("age", "")), str(active.get("insutype", "")),
                   str(active.get("insuplcAdmdvs", "")), money(active.get("balc"), "账户余额"), cert_type, cert_no)

    def wire(self) -> dict[str, Any]:
        """JSON for the order's params (the certificate number stays: 2201 needs it)."""
        return {"psnNo": self.psn_no, "name": self.name, "certnoMasked": self.certno_masked, "gend": self.gend,
                "age": self.age, "insutype": self.insutype, "insuplcAdmdvs": self.insuplc_admdvs,
                "balance": str(self.balance), "certType": self.cert_type, "certNo": self.cert_no}

    @classmethod
    def from_params(cls, p: Mapping[str, Any]) -> InsuredPerson:
        """Back from :meth:`wire`."""
        return cls(p["psnNo"], p["name"], p["certnoMasked"], p["gend"], p["age"], p["insutype"], p["insuplcAdmdvs"],
                   money(p["balance"]), p["certType"], p["certNo"])


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One fee detail uploaded with 2204 / 2301 (national list code + the hospital's own code)."""

    sn: str
    med_list_codg: str
    medins_list_codg: str
    name: str
    price: Decimal
    count: Decimal
    amount: Decimal

    def wire(self) -> dict[str, str]:
        """``insUploadFees`` fee row (camelCase of spec §5 2204)."""
        return {"feedetlSn": self.sn, "medListCodg": self.med_list_codg, "medinsListCodg": self.medins_list_codg,
                "detItemFeeSumamt": f"{self.amount:.2f}", "cnt": f"{self.count}", "pric": f"{self.price:.2f}",
                "name": self.name}

    @classmethod
    def from_wire(cls, r: Mapping[str, Any]) -> FeeLine:
        """Back from :meth:`wire`."""
        return cls(str(r["feedetlSn"]), str(r["medListCodg"]), str(r["medinsListCodg"]), str(r.get("name", "")),
                   money(r["pric"]), Decimal(str(r["cnt"])), money(r["detItemFeeSumamt"]))


@dataclass(frozen=True, slots=True)
class Visit:
    """What ``insRegister`` needs besides the person: the visit kind and the department."""

    kind: str  # outpatient | inpatient
    ipt_otp_no: str
    dept_code: str
    dept_name: str
    dr_name: str
    atddr_no: str
    med_type: str = ""
    dise_codg: str = ""
    dise_name: str = ""

    def wire(self) -> dict[str, str]:
        """JSON for the order's params and ``insRegister``."""
        out = {"visit": self.kind, "iptOtpNo": self.ipt_otp_no, "deptCode": self.dept_code,
               "deptName": self.dept_name, "drName": self.dr_name, "atddrNo": self.atddr_no}
        for key, value in (("medType", self.med_type), ("diseCodg", self.dise_codg), ("diseName", self.dise_name)):
            if value:
                out[key] = value
        return out

    @classmethod
    def from_wire(cls, r: Mapping[str, Any]) -> Visit:
        """Back from :meth:`wire`."""
        return cls(r["visit"], r["iptOtpNo"], r["deptCode"], r["deptName"], r["drName"], r["atddrNo"],
                   r.get("medType", ""), r.get("diseCodg", ""), r.get("diseName", ""))


@dataclass(frozen=True, slots=True)
class Split:
    """Who pays what: ``medfee = fund + account + cash`` (fund = everything the funds pay,
    the pooled fund and the others, and any hospital-borne part)."""

    medfee: Decimal
    fund: Decimal
    account: Decimal
    cash: Decimal

    def __post_init__(self) -> None:
        if self.fund + self.account + self.cash != self.medfee:
            raise InsuredFlowError(f"医保结算金额不平：总额{self.medfee}≠统筹{self.fund}+账户{self.account}+现金{self.cash}")

    @property
    def cash_fen(self) -> int:
        """The cash part in fen (what the patient pays now)."""
        return fen(self.cash)

    @classmethod
    def of(cls, ans: Mapping[str, Any]) -> Split:
        """From a settlement record or a ``preSettlement`` (medfeeSumamt, acctPay, psnCashPay): the
        fund part is what remains, so a region whose fund_pay_sumamt includes the account is not
        counted twice."""
        medfee, account = money(ans.get("medfeeSumamt"), "医疗费总额"), money(ans.get("acctPay"), "个人账户支付")
        cash = money(ans.get("psnCashPay"), "个人现金支付")
        return cls(medfee, medfee - account - cash, account, cash)

    def wire(self) -> dict[str, str]:
        """2-place strings."""
        return {"medfee": f"{self.medfee:.2f}", "fund": f"{self.fund:.2f}", "account": f"{self.account:.2f}",
                "cash": f"{self.cash:.2f}"}

    @classmethod
    def from_stored(cls, r: Mapping[str, Any]) -> Split:
        """Back from :meth:`wire`."""
        return cls(money(r["medfee"]), money(r["fund"]), money(r["account"]), money(r["cash"]))


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """The server's settlement record (docs/INSURANCE.md §12.3)."""

    settlement_id: int
    visit: str
    state: str
    state_name: str
    psn_no: str
    insutype: str
    mdtrt_id: str
    setl_id: str
    settle_msgid: str
    note: str
    split: Split | None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_wire(cls, ans: Mapping[str, Any]) -> SettlementRecord:
        """From an answer of insRegister / insSettle / insSettlementQuery ..."""
        split = Split.of(ans) if ans.get("medfeeSumamt") and ans.get("psnCashPay") is not None else None
        return cls(int(ans["settlementId"]), str(ans.get("visit", "")), str(ans.get("state", "")),
                   str(ans.get("stateName", "")), str(ans.get("psnNo", "")), str(ans.get("insutype", "")),
                   str(ans.get("mdtrtId") or ""), str(ans.get("setlId") or ""), str(ans.get("settleMsgid") or ""),
                   str(ans.get("note") or ""), split, dict(ans))


@dataclass(frozen=True, slots=True)
class VoucherStatus:
    """The electronic settlement voucher of a settlement as the server knows it (docs/INSURANCE.md §13)."""

    settlement_id: int
    state: str  # queued | uploaded | failed | red_queued | red_uploaded
    bill_batch_code: str
    bill_no: str
    attempts: int
    message: str
    cert_state: str = ""  # 5501 elec_setl_cert_stas: 1 normal, 2 red-flushed
    reimbursed: bool = False  # 5501 reim_flag = 1: used for reimbursement elsewhere

    @classmethod
    def from_wire(cls, ans: Mapping[str, Any]) -> VoucherStatus:
        """From an ``insVoucherUpload`` / ``insVoucherStatus`` answer."""
        return cls(int(ans["settlementId"]), str(ans.get("state", "")), str(ans.get("billBatchCode", "")),
                   str(ans.get("billNo", "")), int(ans.get("attempts") or 0), str(ans.get("message") or ""),
                   str(ans.get("certState") or ""), str(ans.get("reimFlag") or "") == "1")
