"""Cross-field rules of the requests: sums, uniqueness, ranges (spec §3.3, §3.5, DESIGN §3).

Every rule works on the *normalised* object (amounts already Decimal) and skips silently when a
value it needs is missing or was itself invalid: that problem is already reported by the field
check, and a sum over half the lines would only add noise.

Money rules (all amounts are exact two-place Decimals unless noted):

* E1010 — Σ ``chargeDetail[].amt`` = ``totalAmt`` (spec §3.5; ZLHIS adds a rounding line for it).
* E1011 — Σ ``payChannelDetail[].payChannelValue`` = ``totalAmt`` (``amt`` for deposit vouchers).
* E1012 — each charge line: ``amt`` = ``std`` × ``number`` rounded to two places. Any rounding
  mode is accepted, i.e. the rule is ``|std × number − amt| < 0.01``.
* E1013 — list lines that carry a ``chargeCode``, grouped by it, add up to the ``amt`` of that
  charge line. List amounts have four places; the group total rounded half-up to two places,
  or the sum of the lines each rounded half-up, must equal the charge amount (HIS do either).
  Charge lines without list lines, and list lines without ``chargeCode``, are not grouped.
* E1014 — a list line's ``chargeCode`` must exist among the charge lines (spec §3.3 A-2).
* E1015 — ``chargeDetail`` must not be empty and no charge line may have ``amt`` 0 (spec §3.5).
* E1016 — insurance parts consistent with ``totalAmt``. The parts are what *pays* the bill
  (spec §3.1): pooled fund ``fundPay`` + other funds ``otherfundPay`` + personal account
  ``accountPay`` + personal cash ``selfCashPay``; so when any of the four is non-zero they
  must add up to ``totalAmt`` exactly. All four zero is allowed (a self-pay HIS that fills the
  required fields with 0, as the spec tells it to). In addition no single part — these four,
  ``ownPay`` (fully self-paid), ``selfConceitedAmt`` (自负), ``selfPayAmt`` (自付),
  ``reimbursementAmt`` — may exceed ``totalAmt``. ``ownPay``/``selfConceitedAmt``/``selfPayAmt``
  are components of the personal share whose exact composition differs by region, so no
  equation is imposed on them; nor on prepayment ``cashPay``/``cashRecharge``/``cashRefund``.
  Mapping from a national insurance settlement (specs/insurance_platform.md, 2207 ``setlinfo``,
  where ``medfee_sumamt = fund_pay_sumamt + psn_part_amt (+ hosp_part_amt)`` and
  ``psn_part_amt = acct_pay + psn_cash_pay``): ``accountPay = acct_pay``, ``selfCashPay =
  psn_cash_pay``, ``fundPay = hifp_pay`` (pooled fund), ``otherfundPay`` = the rest of
  ``fund_pay_sumamt`` (cvlserv/hifes/hifmi/hifob/maf/oth pays; minus ``acct_pay`` in regions
  whose ``fund_pay_sumamt`` includes it) *plus* any hospital-borne ``hosp_part_amt``; then the
  rule holds exactly.

Other rules: E1009 duplicates (``sortNo``, ``infoNo``, ``busNo`` within a batch); E1017 date
ranges (end before begin in queries and inHospitalDate/outHospitalDate; getEBillPrintList wider
than 7 days); E1018 number ranges (end below begin, ``copyNum`` not the size of the range).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing_core.bills.fields import Issues, Rule, join, parse_time
from billing_core.errors import ValidationIssue

DUPLICATE = "E1009"
CHARGE_SUM = "E1010"
CHANNEL_SUM = "E1011"
LINE_AMOUNT = "E1012"
LIST_GROUP = "E1013"
LIST_CODE = "E1014"
ZERO_CHARGE = "E1015"
INSURANCE = "E1016"
DATE_RANGE = "E1017"
NUMBER_RANGE = "E1018"

CENT = Decimal("0.01")


def _yuan(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}" if value == value.quantize(CENT) else f"{value.normalize():f}"


def _complete(items: Any, *keys: str) -> list[dict[str, Any]] | None:
    """The items when every one of them has all ``keys``; None when the rule must skip."""
    if not isinstance(items, list) or not items:
        return None
    if any(not isinstance(it, dict) or any(k not in it for k in keys) for it in items):
        return None
    return items


def charge_sum(total_field: str = "totalAmt") -> Rule:
    """E1010: Σ chargeDetail.amt = totalAmt."""

    def rule(obj: dict[str, Any], path: str) -> Issues:
        items = _complete(obj.get("chargeDetail"), "amt")
        total = obj.get(total_field)
        if items is None or total is None:
            return []
        s = sum((it["amt"] for it in items), Decimal(0))
        if s != total:
            return [ValidationIssue(CHARGE_SUM, join(path, "chargeDetail"),
                                    f"chargeDetail（收费项目明细）金额合计{_yuan(s)}元与{total_field}"
                                    f"（总金额）{_yuan(total)}元不一致")]
        return []

    return rule


def channel_sum(total_field: str = "totalAmt") -> Rule:
    """E1011: Σ payChannelDetail.payChannelValue = totalAmt (or ``total_field``)."""

    def rule(obj: dict[str, Any], path: str) -> Issues:
        items = _complete(obj.get("payChannelDetail"), "payChannelValue")
        total = obj.get(total_field)
        if items is None or total is None:
            return []
        s = sum((it["payChannelValue"] for it in items), Decimal(0))
        if s != total:
            return [ValidationIssue(CHANNEL_SUM, join(path, "payChannelDetail"),
                                    f"payChannelDetail（交费渠道）金额合计{_yuan(s)}元与{total_field}"
                                    f"（总金额）{_yuan(total)}元不一致")]
        return []

    return rule


def charge_lines(obj: dict[str, Any], path: str) -> Issues:
    """E1012 amt = std × number per charge line; E1015 no zero-amount charge line."""
    issues: Issues = []
    items = obj.get("chargeDetail")
    if not isinstance(items, list):
        return issues
    for i, it in enumerate(items):
        sub = f"{join(path, 'chargeDetail')}[{i}]"
        if "amt" in it and it["amt"] == 0:
            issues.append(ValidationIssue(ZERO_CHARGE, f"{sub}.amt",
                                          "收费项目金额不能为0（财政平台不接受0元收费项目）"))
        if all(k in it for k in ("std", "number", "amt")):
            product = it["std"] * it["number"]
            if abs(product - it["amt"]) >= CENT:
                issues.append(ValidationIssue(
                    LINE_AMOUNT, f"{sub}.amt",
                    f"amt（金额）{_yuan(it['amt'])}元不等于std（单价）{_yuan(it['std'])}×number（数量）"
                    f"{it['number'].normalize():f}={_yuan(product.quantize(CENT, ROUND_HALF_UP))}元"))
    return issues


def list_groups(obj: dict[str, Any], path: str) -> Issues:
    """E1014 list chargeCode exists among charge lines; E1013 list groups add up to them."""
    charges = obj.get("chargeDetail")
    lines = obj.get("listDetail")
    if not isinstance(charges, list) or not isinstance(lines, list):
        return []
    issues: Issues = []
    known = {c["chargeCode"] for c in charges if "chargeCode" in c}
    charge_codes_complete = all("chargeCode" in c for c in charges)
    groups: dict[str, list[Decimal]] = {}
    group_complete: dict[str, bool] = {}
    for i, line in enumerate(lines):
        cc = line.get("chargeCode")
        if cc is None:
            continue
        if charge_codes_complete and cc not in known:
            issues.append(ValidationIssue(LIST_CODE, f"{join(path, 'listDetail')}[{i}].chargeCode",
                                          f"chargeCode（收费项目代码）“{cc}”不在chargeDetail（收费项目明细）中"))
            continue
        groups.setdefault(cc, [])
        if "amt" in line:
            groups[cc].append(line["amt"])
        else:
            group_complete[cc] = False
    for i, c in enumerate(charges):
        cc = c.get("chargeCode")
        if cc not in groups or not group_complete.get(cc, True) or "amt" not in c:
            continue
        amts = groups[cc]
        whole = sum(amts, Decimal(0)).quantize(CENT, ROUND_HALF_UP)
        per_line = sum((a.quantize(CENT, ROUND_HALF_UP) for a in amts), Decimal(0))
        if c["amt"] not in (whole, per_line):
            # extra: the spec only says a list line's chargeCode must exist (§3.3); the sum is a
            # client practice (zebone), not a platform rule
            issues.append(ValidationIssue(
                LIST_GROUP, f"{join(path, 'chargeDetail')}[{i}].amt",
                f"收费项目“{cc}”的清单明细金额合计{_yuan(whole)}元与该项目amt（金额）{_yuan(c['amt'])}元不一致",
                extra=True))
    return issues


INSURANCE_PAYS = ("fundPay", "otherfundPay", "accountPay", "selfCashPay")
INSURANCE_PARTS = INSURANCE_PAYS + ("ownPay", "selfConceitedAmt", "selfPayAmt", "reimbursementAmt")
_PART_LABELS = {
    "fundPay": "医保统筹基金支付", "otherfundPay": "其它医保支付", "accountPay": "个人账户支付",
    "selfCashPay": "个人现金支付", "ownPay": "自费金额", "selfConceitedAmt": "个人自负",
    "selfPayAmt": "个人自付", "reimbursementAmt": "报销总金额",
}


def insurance(obj: dict[str, Any], path: str) -> Issues:
    """E1016: see the module docstring for the rule and why."""
    total = obj.get("totalAmt")
    if total is None:
        return []
    issues: Issues = []
    for name in INSURANCE_PARTS:
        value = obj.get(name)
        if value is not None and value > total:
            issues.append(ValidationIssue(INSURANCE, join(path, name),
                                          f"{name}（{_PART_LABELS[name]}）{_yuan(value)}元超过totalAmt（总金额）"
                                          f"{_yuan(total)}元", extra=True))
    pays = [p for p in (obj.get(n) for n in INSURANCE_PAYS) if p is not None]
    if len(pays) == len(INSURANCE_PAYS) and any(p != 0 for p in pays):
        s: Decimal = sum(pays, Decimal(0))
        if s != total:
            issues.append(ValidationIssue(
                INSURANCE, join(path, "selfCashPay"),
                f"fundPay（统筹基金）+otherfundPay（其它医保）+accountPay（个人账户）+selfCashPay（个人现金）"
                f"合计{_yuan(s)}元与totalAmt（总金额）{_yuan(total)}元不一致", extra=True))
    return issues


def unique(list_field: str, key: str, label: str, *, extra: bool = False) -> Rule:
    """E1009: ``key`` values are unique among the items of ``list_field``.

    :param extra: the spec does not ask for it (e.g. otherInfo.infoNo is only "Int R"): the issue
        is marked :attr:`ValidationIssue.extra` (a warning for lenient callers).
    """

    def rule(obj: dict[str, Any], path: str) -> Issues:
        items = obj.get(list_field)
        if not isinstance(items, list):
            return []
        seen: dict[Any, int] = {}
        issues: Issues = []
        for i, it in enumerate(items):
            if key not in it:
                continue
            if it[key] in seen:
                issues.append(ValidationIssue(
                    DUPLICATE, f"{join(path, list_field)}[{i}].{key}",
                    f"{key}（{label}）“{it[key]}”与第{seen[it[key]] + 1}条重复", extra=extra))
            else:
                seen[it[key]] = i
        return issues

    return rule


def date_order(bgn: str, end: str, max_days: int | None = None) -> Rule:
    """E1017: ``bgn`` not after ``end`` (and at most ``max_days`` apart).

    The order is ours (extra: a reversed range finds nothing, the spec does not refuse it); the
    width limit is the spec's (getEBillPrintList: one week, §5).
    """

    def rule(obj: dict[str, Any], path: str) -> Issues:
        if bgn not in obj or end not in obj:
            return []
        b, e = parse_time(obj[bgn]), parse_time(obj[end])
        if b > e:
            return [ValidationIssue(DATE_RANGE, join(path, end), f"{end}（结束日期）早于{bgn}（开始日期）", extra=True)]
        if max_days is not None and e - b > timedelta(days=max_days):
            return [ValidationIssue(DATE_RANGE, join(path, end), f"查询时间范围不能超过{max_days}天")]
        return []

    return rule


def number_order(bgn: str, end: str, count: str | None = None) -> Rule:
    """E1018: numeric bill-number range ``bgn``..``end`` in order; ``count`` equals its size."""

    def rule(obj: dict[str, Any], path: str) -> Issues:
        b, e = obj.get(bgn), obj.get(end)
        if not (isinstance(b, str) and isinstance(e, str) and b.isdigit() and e.isdigit()):
            return []
        if int(b) > int(e):
            return [ValidationIssue(NUMBER_RANGE, join(path, end), f"{end}（终止号码）小于{bgn}（起始号码）")]
        if count is not None and count in obj and obj[count] != int(e) - int(b) + 1:
            # extra: copyNum is only "N14,0" in the spec; the range itself is what is acted on
            return [ValidationIssue(NUMBER_RANGE, join(path, count),
                                    f"{count}（份数）{obj[count]}与号段{b}-{e}的张数{int(e) - int(b) + 1}不一致",
                                    extra=True)]
        return []

    return rule
