"""The reimbursement engine: how a settlement's total splits into fund, personal account and cash.

Pure functions over integer fen (no I/O, no clock), so the rules are tested on their own
(tests/unit/simulators/insurance/test_ins_engine.py) and documented in docs/INSURANCE.md
("Reimbursement rules"). Simple but honest:

1. Each fee line is split by its catalogue class (chrgitm_lv): 01 甲 fully in scope, 02 乙 in
   scope after the first self-pay share ``selfpay_prop`` (先自付), 03 丙 fully self-paid
   (全自费). A price above the catalogue's limit makes the excess ``overlmt`` (超限价自付).
2. The in-scope amount first fills what is left of the year's deductible (起付线), then the fund
   pays ``ratio`` of the rest, never more than what is left of the year's cap (封顶线).
3. The person's part (total - fund) is paid from the personal account when the insutype has one
   and the caller allows it (acct_used_flag), up to the balance; the rest is cash.

fund + account + cash == total to the fen, always.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

OTP = "otp"  # outpatient (门诊, 2206/2207)
IPT = "ipt"  # inpatient (住院, 2303/2304)

LV_A = "01"  # 甲类
LV_B = "02"  # 乙类
LV_C = "03"  # 丙类 (全自费)


@dataclass(frozen=True)
class Policy:
    """The rules of one insutype for one kind of visit, for one calendar year."""

    deductible: int  # fen per year (起付线)
    ratio: Decimal  # share of the in-scope amount above the deductible that the fund pays
    cap: int  # fen per year the fund pays at most (封顶线)
    has_account: bool  # the insutype has a personal account (职工)
    fund_pay_type: str  # setldetail code of the pooled fund
    fund_pay_type_name: str


#: (insutype, kind) -> policy. Values are plausible Shenzhen-like numbers, not any region's law.
POLICIES: dict[tuple[str, str], Policy] = {
    ("310", OTP): Policy(20000, Decimal("0.70"), 500000, True, "310100", "职工基本医疗保险统筹基金"),
    ("310", IPT): Policy(100000, Decimal("0.85"), 50000000, True, "310100", "职工基本医疗保险统筹基金"),
    ("340", OTP): Policy(10000, Decimal("0.85"), 600000, True, "340100", "离休人员医疗保障基金"),
    ("340", IPT): Policy(50000, Decimal("0.95"), 50000000, True, "340100", "离休人员医疗保障基金"),
    ("390", OTP): Policy(0, Decimal("0.50"), 60000, False, "390100", "城乡居民基本医疗保险基金"),
    ("390", IPT): Policy(80000, Decimal("0.70"), 30000000, False, "390100", "城乡居民基本医疗保险基金"),
}
ACCOUNT_PAY_TYPE = ("310200", "城镇职工基本医疗保险个人账户基金")


def policy_for(insutype: str, kind: str) -> Policy | None:
    """The policy of an insutype, or None when the simulator settles nothing for it."""
    return POLICIES.get((insutype, kind))


def fen_of(amount: Decimal) -> int:
    """Yuan (any precision) to fen, rounded half up."""
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LineSplit:
    """One fee line split by its catalogue rules (all fen, same sign as the line)."""

    amount: int
    fulamt_ownpay: int  # 全自费 (丙类)
    overlmt: int  # 超限价自付
    preselfpay: int  # 先行自付 (乙类)
    inscp: int  # 符合政策范围

    def __post_init__(self) -> None:
        assert self.fulamt_ownpay + self.overlmt + self.preselfpay + self.inscp == self.amount


def split_line(amount: int, cnt: Decimal, pric: Decimal, lv: str, selfpay_prop: Decimal,
               pric_uplmt: Decimal | None) -> LineSplit:
    """Split one line; a refund line (negative amount) splits like its positive twin, negated."""
    sign = -1 if amount < 0 else 1
    total = abs(amount)
    if lv == LV_C:
        return LineSplit(amount, amount, 0, 0, 0)
    over = 0
    if pric_uplmt is not None and pric > pric_uplmt:
        over = min(total, fen_of((pric - pric_uplmt) * abs(cnt)))
    pre = min(_share(total - over, selfpay_prop), total - over) if lv == LV_B else 0
    return LineSplit(amount, 0, sign * over, sign * pre, sign * (total - over - pre))


@dataclass(frozen=True)
class Totals:
    """The lines of one settlement added up (fen)."""

    medfee: int
    fulamt_ownpay: int
    overlmt: int
    preselfpay: int
    inscp: int


def add_up(lines: list[LineSplit]) -> Totals:
    """Sum of the splits."""
    return Totals(sum(x.amount for x in lines), sum(x.fulamt_ownpay for x in lines),
                  sum(x.overlmt for x in lines), sum(x.preselfpay for x in lines), sum(x.inscp for x in lines))


@dataclass(frozen=True)
class Accumulated:
    """What the person has used this year under one (insutype, kind), before this settlement."""

    deductible_used: int = 0
    fund_paid: int = 0


@dataclass(frozen=True)
class Parts:
    """The settlement's split (fen). ``dedc`` and ``fund`` are added to the year's accumulations."""

    totals: Totals
    dedc: int  # act_pay_dedc: the part of the deductible this settlement used
    fund: int  # hifp_pay: the pooled fund
    acct: int  # acct_pay
    cash: int  # psn_cash_pay
    ratio: Decimal
    balc_after: int

    @property
    def psn_part(self) -> int:
        """psn_part_amt: what the person bears (account + cash)."""
        return self.acct + self.cash


def settle(totals: Totals, policy: Policy, acc: Accumulated, balance: int, use_account: bool) -> Parts:
    """Split ``totals`` under ``policy`` given the year so far and the account balance."""
    inscp = max(totals.inscp, 0)
    dedc = min(inscp, max(0, policy.deductible - acc.deductible_used))
    above = inscp - dedc
    fund = _share(above, policy.ratio)
    fund = min(fund, max(0, policy.cap - acc.fund_paid))
    fund = min(fund, max(totals.medfee, 0))
    person = totals.medfee - fund
    acct = 0
    if use_account and policy.has_account and person > 0:
        acct = min(person, max(balance, 0))
    cash = person - acct
    return Parts(totals, dedc, fund, acct, cash, policy.ratio, balance - acct)


def _share(amount: int, ratio: Decimal) -> int:
    """``amount * ratio`` in fen, rounded half up."""
    return int((Decimal(amount) * ratio).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
