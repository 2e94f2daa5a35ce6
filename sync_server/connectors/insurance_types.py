"""Typed answers of the insurance transactions (spec §5), parsed null-tolerantly (§7): amounts
as ``Decimal`` with two places whether they come as numbers or strings, missing nodes empty.

Each dataclass keeps what the server records or shows; ``raw`` keeps the node as received (the
server stores it sealed, never logs it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """An amount (number, string, None) as Decimal with 2 places; None and "" are 0."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, float):
        value = repr(value)  # the JSON number's shortest text, never the binary expansion
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None


def text(value: Any) -> str:
    """A field as text ('' for None)."""
    return "" if value is None else str(value)


def node(output: Any, name: str) -> Any:
    """``output[name]`` when output is an object (None otherwise)."""
    return output.get(name) if isinstance(output, Mapping) else None


def rows(value: Any) -> list[Mapping[str, Any]]:
    """A node that should be a list of objects (a single object or None tolerated)."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [r for r in value if isinstance(r, Mapping)]
    return []


@dataclass(frozen=True, slots=True)
class SignIn:
    """9001 ``signinoutb``."""

    sign_no: str
    sign_time: str


@dataclass(frozen=True, slots=True)
class InsuInfo:
    """One 1101 ``insuinfo`` row (one per insutype)."""

    insutype: str
    psn_type: str
    psn_insu_stas: str
    insuplc_admdvs: str
    balc: Decimal
    emp_name: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    """1101: the person and their insurance rows."""

    psn_no: str
    psn_name: str
    psn_cert_type: str
    certno: str
    gend: str
    brdy: str
    age: str
    insuinfo: tuple[InsuInfo, ...]
    idetinfo: tuple[Mapping[str, Any], ...] = ()

    def active(self, insutype: str = "") -> InsuInfo | None:
        """The row with ``psn_insu_stas`` = 1 (of ``insutype`` when given), else None (§5 1101)."""
        for row in self.insuinfo:
            if row.psn_insu_stas == "1" and (not insutype or row.insutype == insutype):
                return row
        return None

    @classmethod
    def parse(cls, output: Any) -> Person:
        """From the 1101 output."""
        base = node(output, "baseinfo") or {}
        insu = tuple(InsuInfo(text(r.get("insutype")), text(r.get("psn_type")), text(r.get("psn_insu_stas")),
                              text(r.get("insuplc_admdvs")), money(r.get("balc")), text(r.get("emp_name")))
                     for r in rows(node(output, "insuinfo")))
        return cls(text(base.get("psn_no")), text(base.get("psn_name")), text(base.get("psn_cert_type")),
                   text(base.get("certno")), text(base.get("gend")), text(base.get("brdy")), text(base.get("age")),
                   insu, tuple(rows(node(output, "idetinfo"))))


@dataclass(frozen=True, slots=True)
class FeeResult:
    """One 2204 / 2301 ``result`` row."""

    feedetl_sn: str
    det_item_fee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_amt: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    chrgitm_lv: str

    @classmethod
    def parse_all(cls, output: Any) -> tuple[FeeResult, ...]:
        """Every row of the output's ``result`` node."""
        return tuple(cls(text(r.get("feedetl_sn")), money(r.get("det_item_fee_sumamt")),
                         money(r.get("fulamt_ownpay_amt")), money(r.get("overlmt_amt")),
                         money(r.get("preselfpay_amt")), money(r.get("inscp_scp_amt")), text(r.get("chrgitm_lv")))
                     for r in rows(node(output, "result")))


@dataclass(frozen=True, slots=True)
class FundPay:
    """One ``setldetail`` row."""

    fund_pay_type: str
    fund_payamt: Decimal
    fund_pay_type_name: str = ""


@dataclass(frozen=True, slots=True)
class Settlement:
    """``setlinfo`` + ``setldetail`` of 2206/2207/2208, 2303/2304/2305 and 5203."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    medins_setl_id: str
    medfee_sumamt: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    psn_part_amt: Decimal
    hosp_part_amt: Decimal
    insutype: str
    clr_type: str
    clr_optins: str
    clr_way: str
    setl_time: str
    balc: Decimal
    details: tuple[FundPay, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_info(cls, info: Mapping[str, Any], details: Any = None) -> Settlement:
        """From one ``setlinfo`` object and its ``setldetail`` rows."""
        return cls(
            text(info.get("setl_id")), text(info.get("mdtrt_id")), text(info.get("psn_no")),
            text(info.get("medins_setl_id")), money(info.get("medfee_sumamt")), money(info.get("fund_pay_sumamt")),
            money(info.get("acct_pay")), money(info.get("psn_cash_pay")), money(info.get("psn_part_amt")),
            money(info.get("hosp_part_amt")), text(info.get("insutype")), text(info.get("clr_type")),
            text(info.get("clr_optins")), text(info.get("clr_way")), text(info.get("setl_time")),
            money(info.get("balc")),
            tuple(FundPay(text(d.get("fund_pay_type")), money(d.get("fund_payamt")), text(d.get("fund_pay_type_name")))
                  for d in rows(details)),
            dict(info))

    @classmethod
    def parse(cls, output: Any) -> Settlement:
        """From an output holding ``setlinfo`` (an object; the first row when a list)."""
        infos = rows(node(output, "setlinfo"))
        if not infos:
            raise ValueError("setlinfo missing")
        return cls.from_info(infos[0], node(output, "setldetail"))

    @classmethod
    def parse_many(cls, output: Any) -> tuple[Settlement, ...]:
        """5203: every ``setlinfo`` row (a list or one object; none when absent)."""
        details = node(output, "setldetail")
        return tuple(cls.from_info(info, details) for info in rows(node(output, "setlinfo")))

    def wire(self) -> dict[str, str]:
        """The amounts as 2-place strings, for the terminal's answer."""
        return {"setlId": self.setl_id, "mdtrtId": self.mdtrt_id, "medinsSetlId": self.medins_setl_id,
                "medfeeSumamt": str(self.medfee_sumamt), "fundPaySumamt": str(self.fund_pay_sumamt),
                "acctPay": str(self.acct_pay), "psnCashPay": str(self.psn_cash_pay),
                "psnPartAmt": str(self.psn_part_amt), "hospPartAmt": str(self.hosp_part_amt),
                "insutype": self.insutype, "clrType": self.clr_type, "clrOptins": self.clr_optins,
                "setlTime": self.setl_time, "balc": str(self.balc)}


@dataclass(frozen=True, slots=True)
class StmtResult:
    """3201 ``stmtinfo``."""

    setl_optins: str
    stmt_rslt: str
    stmt_rslt_dscr: str

    @classmethod
    def parse(cls, output: Any) -> StmtResult:
        """From the 3201 output."""
        info = node(output, "stmtinfo") or {}
        return cls(text(info.get("setl_optins")), text(info.get("stmt_rslt")), text(info.get("stmt_rslt_dscr")))


@dataclass(frozen=True, slots=True)
class FileInfo:
    """9101 (root of the output) and 3202 ``fileinfo``."""

    file_qury_no: str
    filename: str
    dld_endtime: str

    @classmethod
    def parse(cls, output: Any, node_name: str = "") -> FileInfo:
        """From the output (its ``node_name`` node when given and present)."""
        info = (node(output, node_name) if node_name else None) or output
        if not isinstance(info, Mapping):
            info = {}
        return cls(text(info.get("file_qury_no")), text(info.get("filename")), text(info.get("dld_endtime")))
