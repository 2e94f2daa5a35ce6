"""Seeds a day of traffic through the real server and keeps, independently of the server's SQL,
what every request said: point, cashier, type, amount, channels, and which bills were red-flushed.

Traffic: HIS01 issues outpatient, inpatient, registration and check-up bills at points 001-004
for four cashiers with varying pay channels; HIS02 issues at 005; the platform goes down for a
while and the server issues emergency bills that are carried forward when it returns; some bills
are written off (one of them while the platform is down, queued and sent after the carry-forward).
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.rigs.stack import ROOT, HisClient, ServerThread, Stack

SAMPLES = {"02": ("outpatient.json", "invoiceEBillOutpatient"), "01": ("inpatient.json", "invEBillHospitalized"),
           "06": ("registration.json", "invEBillRegistration"), "05": ("checkup.json", "invEBillCheckUp")}
CASHIERS = ("李娜", "王强", "陈静", "刘洋")
#: the channel paid by the patient themself (the rest of a sample's channels are insurance)
OWN_CHANNELS = ("02", "04", "05", "01", "08")


@dataclass(slots=True)
class Issued:
    """One bill as the test sent it and as the server answered."""

    bus_no: str
    place: str
    payee: str
    bus_type: str
    total: Decimal
    channels: dict[str, Decimal]
    code: str
    no: str
    create_time: str
    emergency: bool
    red: bool = False


@dataclass(slots=True)
class Traffic:
    """The seeded server and the test's own record of it."""

    server: ServerThread
    bills: list[Issued] = field(default_factory=list)
    finance_token: str = ""
    cashier_token: str = ""

    @property
    def days(self) -> tuple[str, str]:
        """First and last issue day (YYYY-MM-DD) of the traffic."""
        ds = sorted(b.create_time[:8] for b in self.bills)
        return (f"{ds[0][:4]}-{ds[0][4:6]}-{ds[0][6:8]}", f"{ds[-1][:4]}-{ds[-1][4:6]}-{ds[-1][6:8]}")

    def report(self, name: str, token: str | None = None, **filters: str) -> dict[str, Any]:
        """A report through the terminal api as the finance user."""
        lo, hi = self.days
        data = {"report": name, "dateFrom": lo, "dateTo": hi, "pageSize": "500",
                "sessionToken": token if token is not None else self.finance_token} | filters
        return dict(self.server.terminal("TERM01").ok("financeReport", data))

    def call(self, name: str, token: str | None = None, **filters: str) -> tuple[str, Any]:
        lo, hi = self.days
        data = {"report": name, "dateFrom": lo, "dateTo": hi,
                "sessionToken": token if token is not None else self.finance_token} | filters
        return self.server.terminal("TERM01").call("financeReport", data)


def load_sample(name: str) -> dict[str, Any]:
    """A sample request of tests/fixtures/requests."""
    return dict(json.loads((ROOT / "tests" / "fixtures" / "requests" / name).read_text(encoding="utf-8")))


def other_sample(method: str) -> dict[str, Any]:
    """A sample request of a non-issuing method."""
    return dict(load_sample("other_methods.json")[method])


def _bill(bus_type: str, place: str, payee: str, own: str) -> dict[str, Any]:
    sample, _method = SAMPLES[bus_type]
    data = load_sample(sample) | {"busNo": f"RP{uuid.uuid4().hex[:14]}", "placeCode": place, "payee": payee}
    chans = []
    for c in data["payChannelDetail"]:
        code = str(c["payChannelCode"])
        if code not in ("YBTCJJ", "YBK"):
            code = own
        chans.append({"payChannelCode": code, "payChannelValue": c["payChannelValue"]})
    data["payChannelDetail"] = chans
    return data


def _issue(his: HisClient, data: dict[str, Any], bus_type: str) -> Issued:
    ans = his.ok(SAMPLES[bus_type][1], data)
    chans: dict[str, Decimal] = {}
    for c in data["payChannelDetail"]:
        chans[c["payChannelCode"]] = chans.get(c["payChannelCode"], Decimal(0)) + Decimal(str(c["payChannelValue"]))
    return Issued(data["busNo"], data["placeCode"], data["payee"], bus_type, Decimal(str(data["totalAmt"])),
                  chans, ans["billBatchCode"], ans["billNo"], ans["createTime"], ans.get("emergency") == "1")


def _write_off(his: HisClient, b: Issued) -> None:
    his.ok("writeOffEBill", other_sample("writeOffEBill") | {"billBatchCode": b.code, "billNo": b.no,
                                                             "placeCode": b.place})
    b.red = True


def seed_day(stack: Stack) -> Traffic:
    """Issue the day's traffic; returns the record of it (server drained: carry-forward done)."""
    srv = stack.server
    his, his2 = srv.his(0), srv.his(1)
    t = Traffic(srv)
    combos = itertools.cycle(itertools.product(("02", "01", "06", "05"), ("001", "002", "003", "004")))
    for i in range(22):
        bus_type, place = next(combos)
        t.bills.append(_issue(his, _bill(bus_type, place, CASHIERS[i % 4], OWN_CHANNELS[i % 5]), bus_type))
    for i in range(3):  # the self-service point, through the other HIS
        t.bills.append(_issue(his2, _bill("06", "005", "自助机01", "04" if i else "05"), "06"))
    for b in (t.bills[1], t.bills[6], t.bills[13], t.bills[23]):
        _write_off(his if b.place != "005" else his2, b)
    # the platform goes away: emergency bills from the server's stock, carried forward on return
    stack.sim.stop()
    down = [_issue(his, _bill("02", "001", CASHIERS[i % 2], "02"), "02") for i in range(4)]
    assert all(b.emergency for b in down), "bills issued while the platform is down must be emergency bills"
    t.bills += down
    _write_off(his, down[0])  # queued behind its carry-forward
    stack.sim.start()
    srv.wait_drained(90)
    users = {u["role"]: u for u in srv.demo["users"]}
    term = srv.terminal("TERM01")
    t.finance_token = term.ok("login", {"username": users["finance"]["username"],
                                        "password": users["finance"]["password"]})["sessionToken"]
    t.cashier_token = term.ok("login", {"username": users["cashier"]["username"],
                                        "password": users["cashier"]["password"]})["sessionToken"]
    _stock(t)
    return t


#: The stock operations of the day (paper batch 44060126, bill kind 0602; docs/STOCK.md): what
#: the stock reports must show, written down here as the test's own count.
STOCK_OPS: tuple[tuple[str, int, int, dict[str, str]], ...] = (
    ("stockOpening", 900001, 900100, {"billCode": "0602", "billName": "医疗收费票据（机打）"}),
    ("stockDistribute", 900011, 900020, {"placeCode": "001", "terminalId": "TERM01"}),
    ("stockRecall", 900011, 900015, {}),
    ("stockVoid", 900016, 900016, {"reason": "打印机卡纸撕毁"}),  # at the point
    ("stockVoid", 900090, 900091, {"reason": "受潮"}),  # in the store
    ("stockReturn", 900092, 900100, {"reason": "申退"}),
)


def _stock(t: Traffic) -> None:
    term = t.server.terminal("TERM01")
    for method, bgn, end, extra in STOCK_OPS:
        term.ok(method, {"requestId": uuid.uuid4().hex, "billBatchCode": "44060126", "billBgnNo": f"{bgn:010d}",
                         "billEndNo": f"{end:010d}", "sessionToken": t.finance_token} | extra)
    term.ok("stockThreshold", {"placeCode": "", "billCode": "0602", "minCount": "1000",
                               "sessionToken": t.finance_token})
