"""Each cross-field rule of billing_core.bills.rules with a passing and a failing case."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_core.bills import check_request, validate_request

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"
OUT = "invoiceEBillOutpatient"


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _codes(method: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.code, i.path) for i in check_request(method, data)]


def _others() -> dict[str, dict[str, Any]]:
    return _load("other_methods.json")


Mut = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mut:
    """Setter for a dotted path with [i] indices, e.g. chargeDetail[1].amt."""

    def mutate(d: dict[str, Any]) -> None:
        node: Any = d
        parts = path.replace("]", "").replace("[", ".").split(".")
        for p in parts[:-1]:
            node = node[int(p)] if p.isdigit() else node[p]
        node[parts[-1]] = value

    return mutate


def _seq(*muts: Mut) -> Mut:
    def mutate(d: dict[str, Any]) -> None:
        for m in muts:
            m(d)

    return mutate


# (rule, method, fixture, passing mutation, failing mutation, expected failure (code, path))
RULES: list[tuple[str, str, str, Mut, Mut, tuple[str, str]]] = [
    ("charge items add up to totalAmt", OUT, "outpatient.json",
     # moving 10.00 between two charge lines (and their list lines) keeps the sum
     _seq(_set("chargeDetail[1].amt", "102.00"), _set("chargeDetail[1].std", "102.00"),
          _set("listDetail[3].amt", "77.0000"), _set("listDetail[3].std", "77.0000"),
          _set("chargeDetail[2].amt", "110.00"), _set("chargeDetail[2].std", "110.00"),
          _set("listDetail[4].amt", "110.0000"), _set("listDetail[4].std", "110.0000")),
     _seq(_set("chargeDetail[2].amt", "110.00"), _set("chargeDetail[2].std", "110.00"),
          _set("listDetail[4].amt", "110.0000"), _set("listDetail[4].std", "110.0000")),
     ("E1010", "chargeDetail")),
    ("pay channels add up to totalAmt", OUT, "outpatient.json",
     _seq(_set("payChannelDetail[2].payChannelValue", "60.00"),
          lambda d: d["payChannelDetail"].append({"payChannelCode": "02", "payChannelValue": "40.00"})),
     _set("payChannelDetail[2].payChannelValue", "99.99"),
     ("E1011", "payChannelDetail")),
    ("deposit voucher channels add up to amt", "invoicePayMentVoucher", "other_methods.json",
     _set("payChannelDetail[1].payChannelValue", "1000"),
     _set("payChannelDetail[1].payChannelValue", "1000.01"),
     ("E1011", "payChannelDetail")),
    ("amt = std x number (rounded)", OUT, "outpatient.json",
     # 15.33 x 3 = 45.99 exactly; rounding: 12.35 x 0.5 = 6.175 may be 6.17 or 6.18
     _seq(_set("chargeDetail[3].std", "15.33"), _set("chargeDetail[3].amt", "45.99"),
          _set("listDetail[5].amt", "45.9900"), _set("totalAmt", "386.59"),
          _set("selfCashPay", "100.09"), _set("payChannelDetail[2].payChannelValue", "100.09")),
     _set("chargeDetail[3].number", "2"),
     ("E1012", "chargeDetail[3].amt")),
    ("list groups add up to their charge item", OUT, "outpatient.json",
     # 4-decimal list amounts that round to the charge amount
     _seq(_set("listDetail[0].amt", "36.6049"), _set("listDetail[1].amt", "91.9951")),
     _set("listDetail[2].amt", "24.0000"),
     ("E1013", "chargeDetail[1].amt")),
    ("list chargeCode exists among charge items", OUT, "outpatient.json",
     # list lines without chargeCode are not grouped at all
     lambda d: [ln.pop("chargeCode") for ln in d["listDetail"]],
     _set("listDetail[5].chargeCode", "999"),
     ("E1014", "listDetail[5].chargeCode")),
    ("no zero-amount charge item", "invoiceEBillCommon", "common_wanglai.json",
     _set("chargeDetail[1].remark", "两张"),
     _seq(lambda d: d["chargeDetail"].append(
         {"sortNo": 3, "chargeCode": "WL003", "chargeName": "床头柜押金", "std": "0", "number": "1", "amt": "0"})),
     ("E1015", "chargeDetail[2].amt")),
    ("chargeDetail not empty", "invoiceEBillCommon", "common_donation.json",
     _set("remark", "捐赠"),
     _set("chargeDetail", []),
     ("E1015", "chargeDetail")),
    ("insurance parts add up to totalAmt", OUT, "outpatient.json",
     _seq(_set("fundPay", "200.00"), _set("otherfundPay", "10.00")),
     _set("fundPay", "200.00"),
     ("E1016", "selfCashPay")),
    ("self-pay bill with every insurance part zero is fine", "invEBillRegistration", "registration.json",
     _set("selfCashPay", "0"),
     _set("selfCashPay", "30.00"),
     ("E1016", "selfCashPay")),
    ("no insurance part above totalAmt", "invEBillCheckUp", "checkup.json",
     _set("ownPay", "678.00"),
     _set("ownPay", "678.01"),
     ("E1016", "ownPay")),
    ("sortNo unique among charge items", OUT, "outpatient.json",
     _set("chargeDetail[3].sortNo", 9),
     _set("chargeDetail[3].sortNo", 2),
     ("E1009", "chargeDetail[3].sortNo")),
    ("sortNo unique among list lines", "invEBillHospitalized", "inpatient.json",
     _set("listDetail[10].sortNo", 99),
     _set("listDetail[10].sortNo", 1),
     ("E1009", "listDetail[10].sortNo")),
    ("infoNo unique in otherInfo", "invEBillHospitalized", "inpatient.json",
     _set("otherInfo[1].infoNo", 3),
     _set("otherInfo[1].infoNo", 1),
     ("E1009", "otherInfo[1].infoNo")),
    ("query time range in order", "getBillByBusDate", "other_methods.json",
     _set("busEndDate", "20261122000000000"),
     _set("busEndDate", "20261121235959999"),
     ("E1017", "busEndDate")),
    ("discharge not before admission", "invEBillHospitalized", "inpatient.json",
     _set("outHospitalDate", "20261110"),
     _set("outHospitalDate", "20261109"),
     ("E1017", "outHospitalDate")),
    ("getEBillPrintList range at most a week", "getEBillPrintList", "other_methods.json",
     _set("busBgnDate", "20261116235959999"),
     _set("busBgnDate", "20261116235959998"),
     ("E1017", "busEndDate")),
    ("stock range in order and copyNum its size", "billStockOut", "other_methods.json",
     _seq(_set("billNoList[0].billEndNo", "0012345501"), _set("billNoList[0].copyNum", 1)),
     _set("billNoList[0].copyNum", 499),
     ("E1018", "billNoList[0].copyNum")),
    ("blank paper range in order", "invalidBlankBillNo", "other_methods.json",
     _set("pBillNoEnd", "0012345700"),
     _set("pBillNoEnd", "0012345699"),
     ("E1018", "pBillNoEnd")),
    ("page size at most 200", "getBillByIvcDate", "other_methods.json",
     _set("pageSize", "200"),
     _set("pageSize", 201),
     ("E1008", "pageSize")),
    ("page number from 1", "getEBillUnPrintList", "other_methods.json",
     _set("pageNo", 1),
     _set("pageNo", 0),
     ("E1008", "pageNo")),
    ("notice value suits its type", "sendBillNotice", "other_methods.json",
     _set("noticeList[0].noticeValue", "020-81234567"),
     _set("noticeList[0].noticeValue", "zhangwei@example.com"),
     ("E1003", "noticeList[0].noticeValue")),
]


@pytest.mark.parametrize(("rule", "method", "fixture", "ok", "bad", "expected"), RULES, ids=[r[0] for r in RULES])
def test_rule_pass_and_fail(rule: str, method: str, fixture: str, ok: Mut, bad: Mut,
                            expected: tuple[str, str]) -> None:
    base = _others()[method] if fixture == "other_methods.json" else _load(fixture)
    good = copy.deepcopy(base)
    ok(good)
    assert _codes(method, good) == [], f"{rule}: passing case rejected"
    broken = copy.deepcopy(base)
    bad(broken)
    got = _codes(method, broken)
    assert expected in got, f"{rule}: expected {expected}, got {got}"
    issue = next(i for i in check_request(method, broken) if (i.code, i.path) == expected)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in issue.message), "message must be Chinese"


def test_list_group_rule_applies_only_to_lines_with_charge_code() -> None:
    data = _load("outpatient.json")
    data["listDetail"][2].pop("chargeCode")  # 血常规 25.00 no longer grouped under 化验费
    assert _codes(OUT, data) == [("E1013", "chargeDetail[1].amt")]
    data["listDetail"][3].pop("chargeCode")  # now no 化验费 list line carries a code: no group
    assert _codes(OUT, data) == []


def test_rounding_either_way_accepted_for_line_amount() -> None:
    data = _load("outpatient.json")
    # 化验费 92.00 as 12.35 x 0.5 = 6.175: neither 6.17 nor 6.18 sums to 92, so test the line rule alone
    for amt in ("6.17", "6.18"):
        data["chargeDetail"][1].update(std="12.35", number="0.5", amt=amt)
        assert ("E1012", "chargeDetail[1].amt") not in _codes(OUT, data)
    data["chargeDetail"][1]["amt"] = "6.16"
    assert ("E1012", "chargeDetail[1].amt") in _codes(OUT, data)


def test_sums_are_exact_decimals() -> None:
    norm = validate_request(OUT, _load("outpatient.json"))
    assert sum(c["amt"] for c in norm["chargeDetail"]) == norm["totalAmt"] == Decimal("386.50")
    assert sum(p["payChannelValue"] for p in norm["payChannelDetail"]) == norm["totalAmt"]
