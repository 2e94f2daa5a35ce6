"""Each hospital-wide report against a seeded day of traffic (issue 18 acceptance): every figure
is compared with a count made here from the requests the test sent (traffic.py), not from SQL."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from traffic import Issued, Traffic

from billing_core.codes import BUS_TYPE, PAY_CHANNEL

pytestmark = pytest.mark.integration

ZERO = Decimal("0.00")


def money(text: str) -> Decimal:
    return Decimal(text)


def _figures(bills: list[Issued]) -> dict[str, Decimal | int]:
    reds = [b for b in bills if b.red]
    amount = sum((b.total for b in bills), ZERO)
    red_amount = -sum((b.total for b in reds), ZERO)
    return {"count": len(bills), "amount": amount, "redCount": len(reds), "redAmount": red_amount,
            "net": amount + red_amount}


def _row_figures(row: dict[str, str]) -> dict[str, Decimal | int]:
    return {"count": int(row["count"]), "amount": money(row["amount"]), "redCount": int(row["redCount"]),
            "redAmount": money(row["redAmount"]), "net": money(row["net"])}


def test_invoice_detail(traffic: Traffic) -> None:
    rep = traffic.report("invoiceDetail")
    assert rep["title"] == "开票明细表" and int(rep["rowCount"]) == len(traffic.bills) == 29
    assert {(r["billBatchCode"], r["billNo"]) for r in rep["rows"]} == {(b.code, b.no) for b in traffic.bills}
    assert money(rep["totals"]["amount"]) == sum((b.total for b in traffic.bills), ZERO)
    by_no = {r["billNo"]: r for r in rep["rows"]}
    for b in traffic.bills:
        row = by_no[b.no]
        assert row["payee"] == b.payee and money(row["amount"]) == b.total
        assert row["place"].split()[0] == b.place and row["busType"] == BUS_TYPE.entries[b.bus_type]
        assert row["state"] == ("已冲红" if b.red else "正常")
        assert row["origin"] == ("服务器应急" if b.emergency else "在线")
    # filters: point, cashier, type, each against the test's own selection
    for name, value, pick in (("placeCode", "003", lambda b: b.place == "003"),
                              ("payee", "王强", lambda b: b.payee == "王强"),
                              ("busType", "01", lambda b: b.bus_type == "01")):
        got = traffic.report("invoiceDetail", **{name: value})
        want = [b for b in traffic.bills if pick(b)]
        assert want and int(got["rowCount"]) == len(want), name
        assert {r["billNo"] for r in got["rows"]} == {b.no for b in want}, name
        assert money(got["totals"]["amount"]) == sum((b.total for b in want), ZERO), name
    # paged: pages of 4 put together are the whole list, in time order, each line once
    pages = [traffic.report("invoiceDetail", page=str(p), pageSize="4")["rows"] for p in range(1, 9)]
    assert [len(p) for p in pages] == [4] * 7 + [1]
    flat = [r["billNo"] for p in pages for r in p]
    assert sorted(flat) == sorted(b.no for b in traffic.bills)
    assert [r["time"] for p in pages for r in p] == sorted(r["time"] for p in pages for r in p)


def test_invoice_summary(traffic: Traffic) -> None:
    rep = traffic.report("invoiceSummary")
    groups: dict[tuple[str, str], list[Issued]] = defaultdict(list)
    for b in traffic.bills:
        groups[(b.place, BUS_TYPE.entries[b.bus_type])].append(b)
    got = {(r["place"].split()[0], r["busType"]): _row_figures(r) for r in rep["rows"]}
    assert got == {k: _figures(v) for k, v in groups.items()}
    assert _row_figures(rep["totals"]) == _figures(traffic.bills)
    assert rep["chart"] == {"label": "busType", "value": "net"}


def test_red_detail(traffic: Traffic) -> None:
    rep = traffic.report("redDetail")
    reds = [b for b in traffic.bills if b.red]
    assert int(rep["rowCount"]) == len(reds) == 5
    assert {(r["blueBillBatchCode"], r["blueBillNo"]) for r in rep["rows"]} == {(b.code, b.no) for b in reds}
    assert money(rep["totals"]["amount"]) == -sum((b.total for b in reds), ZERO)
    for r in rep["rows"]:
        assert r["state"] == "已开具" and r["billNo"] and r["billNo"] != r["blueBillNo"]
        assert r["reason"] == "患者退费"
    # the queued write-off of an emergency bill was sent after its carry-forward
    emergency_red = next(b for b in reds if b.emergency)
    assert any(r["blueBillNo"] == emergency_red.no for r in rep["rows"])
    only = traffic.report("redDetail", placeCode="005")
    assert [r["blueBillNo"] for r in only["rows"]] == [b.no for b in reds if b.place == "005"]


def test_blockchain_detail(traffic: Traffic) -> None:
    rep = traffic.report("blockchainDetail")
    reds = [b for b in traffic.bills if b.red]
    assert int(rep["rowCount"]) == len(traffic.bills) + len(reds)
    blue = {r["billNo"]: r for r in rep["rows"] if r["kind"] == "蓝票"}
    red = [r for r in rep["rows"] if r["kind"] == "红票"]
    assert set(blue) == {b.no for b in traffic.bills}
    for b in traffic.bills:  # every bill is on the platform now, carried emergency bills too
        assert blue[b.no]["chain"] == ("已上链（已冲红）" if b.red else "已上链")
    assert sorted(r["blueBillNo"] for r in red) == sorted(b.no for b in reds)
    assert all(r["chain"] == "已上链" for r in red)


def test_cashier_summary(traffic: Traffic) -> None:
    rep = traffic.report("cashierSummary")
    groups: dict[str, list[Issued]] = defaultdict(list)
    for b in traffic.bills:
        groups[b.payee].append(b)
    assert {r["payee"]: _row_figures(r) for r in rep["rows"]} == {k: _figures(v) for k, v in groups.items()}
    assert _row_figures(rep["totals"]) == _figures(traffic.bills)
    one = traffic.report("cashierSummary", payee="陈静")
    assert [r["payee"] for r in one["rows"]] == ["陈静"]
    assert _row_figures(one["totals"]) == _figures(groups["陈静"])


def test_channel_summary(traffic: Traffic) -> None:
    rep = traffic.report("channelSummary")
    came: dict[str, Decimal] = defaultdict(lambda: ZERO)
    back: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for b in traffic.bills:
        for code, value in b.channels.items():
            came[code] += value
            if b.red:
                back[code] += value
    got = {r["code"]: (money(r["amount"]), money(r["refund"]), money(r["net"])) for r in rep["rows"]}
    assert got == {c: (came[c], -back[c], came[c] - back[c]) for c in came}
    assert all(r["channel"] == PAY_CHANNEL.entries[r["code"]] for r in rep["rows"])
    assert money(rep["totals"]["net"]) == sum(came.values(), ZERO) - sum(back.values(), ZERO)
    # every bill's channels add up to its total, so the channel net is the cashier net
    assert money(rep["totals"]["net"]) == money(traffic.report("cashierSummary")["totals"]["net"])


def test_daily_detail(traffic: Traffic) -> None:
    rep = traffic.report("dailyDetail")
    reds = [b for b in traffic.bills if b.red]
    assert int(rep["rowCount"]) == len(traffic.bills) + len(reds) == len(rep["rows"])
    blue_rows = [r for r in rep["rows"] if not r["state"].startswith("红票")]
    red_rows = [r for r in rep["rows"] if r["state"].startswith("红票")]
    assert sorted(r["billNo"] for r in blue_rows) == sorted(b.no for b in traffic.bills)
    assert sorted(money(r["amount"]) for r in red_rows) == sorted(-b.total for b in reds)
    assert money(rep["totals"]["netAmount"]) == _figures(traffic.bills)["net"]
    assert sum((money(r["amount"]) for r in rep["rows"]), ZERO) == money(rep["totals"]["netAmount"])


def test_who_may_ask_and_bad_filters(traffic: Traffic) -> None:
    assert traffic.call("cashierSummary", token=traffic.cashier_token)[0] == "E2033"
    assert traffic.call("cashierSummary", token="")[0] == "E2030"
    code, msg = traffic.call("nosuch")
    assert code == "E5971" and "report" in msg
    code, msg = traffic.call("invoiceDetail", dateFrom="2026-13-01")
    assert code == "E5970" and "dateFrom" in msg
    code, msg = traffic.call("invoiceDetail", dateFrom="2026-02-01", dateTo="2026-01-01")
    assert code == "E5970" and "dateTo" in msg
    code, msg = traffic.call("invoiceDetail", busType="77")
    assert code == "E5970" and "busType" in msg
    code, msg = traffic.call("invoiceDetail", pageSize="100000")
    assert code == "E5970" and "pageSize" in msg
    # another day holds nothing
    empty = traffic.report("cashierSummary", dateFrom="2001-01-01", dateTo="2001-01-02")
    assert empty["rows"] == [] and empty["totals"]["net"] == "0.00"


def _count(rows: list[dict[str, str]], key: str = "count") -> int:
    return sum(int(r[key]) for r in rows)


def test_stock_reports(traffic: Traffic) -> None:
    from traffic import STOCK_OPS

    width = {m: sum(end - bgn + 1 for mm, bgn, end, _x in STOCK_OPS if mm == m) for m, *_ in STOCK_OPS}
    received, distributed = width["stockOpening"], width["stockDistribute"] - width["stockRecall"]
    void_store, void_point = 2, 1  # the two voids of STOCK_OPS: 900090-900091 in the store, 900016 at 001
    returned = width["stockReturn"]
    balance = received - distributed - void_store - returned

    lots = traffic.report("stockBalance")["rows"]
    assert len(lots) == 1
    lot = lots[0]
    assert (int(lot["received"]), int(lot["distributed"]), int(lot["voided"]), int(lot["returned"])) == \
        (received, distributed, void_store, returned)
    assert int(lot["balance"]) == balance == 84 and int(lot["held"]) == 4 and int(lot["voidedHeld"]) == void_point
    assert lot["ok"] == "平衡"

    ledger = traffic.report("stockLedger")
    assert [(r["billCode"], int(r["opening"]), int(r["received"]), int(r["distributed"]), int(r["voided"]),
             int(r["returned"]), int(r["closing"])) for r in ledger["rows"]] == \
        [("0602", 0, received, distributed, void_store, returned, balance)]
    before = traffic.report("stockLedger", dateFrom="2001-01-01", dateTo="2001-01-01")
    assert before["rows"] == []

    ins = traffic.report("stockIn")
    assert [(r["action"], int(r["count"])) for r in ins["rows"]] == [("期初", received)]
    out = traffic.report("stockDistribution")
    assert [(r["action"], int(r["count"])) for r in out["rows"]] == [("分发", 10), ("收回", 5)]
    assert out["rows"][0]["place"] == "001" and out["rows"][0]["terminalId"] == "TERM01"
    voids = traffic.report("stockVoids")
    assert sorted((r["action"], r["range"], r["from"]) for r in voids["rows"]) == sorted([
        ("作废", "0000900016-0000900016", "开票点"), ("作废", "0000900090-0000900091", "财务库房"),
        ("申退", "0000900092-0000900100", "财务库房")])
    assert _count(voids["rows"]) == int(voids["totals"]["count"]) == void_store + void_point + returned

    warn = traffic.report("stockWarnings")
    assert [(r["place"], int(r["minCount"]), int(r["remaining"])) for r in warn["rows"]] == [("财务库房", 1000, balance)]
    assert traffic.report("stockWarnings", placeCode="001")["rows"] == []
