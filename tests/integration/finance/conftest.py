"""Fixtures of the finance simulator contract tests: real simulators on 127.0.0.1 (port 0), the
sync server's real client, and valid bills of every type."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from billing_core.clock import SystemClock, ts17
from simulators.finance import SimServer, start
from sync_server.connectors.finance import FinanceClient
from sync_server.connectors.finance_ext import FinanceExtClient

APPID, KEY = "DEMOHOSP01", "demo-finance-key-2026"
LIMITED_APPID, LIMITED_KEY = "DEMOLIMIT02", "demo-limited-key-2026"
_seq = itertools.count(1)


def now17() -> str:
    """The current business time."""
    return ts17(SystemClock().now())


def bus_no(prefix: str = "T") -> str:
    """A busNo unique across test runs."""
    return f"{prefix}{uuid.uuid4().hex[:12]}{next(_seq):05d}"


def make_bill(kind: str = "outpatient", place: str = "001", amt: str = "12.50", **over: Any) -> dict[str, Any]:
    """A valid issuing request of ``kind`` (outpatient, hospitalized, registration, checkup, common)."""
    a = f"{Decimal(amt):.2f}"
    bill: dict[str, Any] = {
        "busNo": bus_no(kind[:2].upper()), "busType": "02", "payer": "张三", "busDateTime": now17(),
        "placeCode": place, "payee": "收费员甲", "author": "收费员甲", "checker": "复核员乙", "totalAmt": a,
        "payerType": "1", "cardType": "3101", "cardNo": "C20261123001", "patientNo": "P0001", "sex": "男",
        "age": "35", "idCardNo": "440106199001011234", "tel": "13800138000",
        "accountPay": "0", "fundPay": "0", "otherfundPay": "0", "ownPay": "0", "selfConceitedAmt": "0",
        "selfPayAmt": "0", "selfCashPay": a,
        "payChannelDetail": [{"payChannelCode": "02", "payChannelValue": a}],
        "chargeDetail": [{"sortNo": 1, "chargeCode": "CF01", "chargeName": "西药费", "unit": "项", "std": a,
                          "number": "1", "amt": a, "selfAmt": "0"}],
        "listDetail": [{"listDetailNo": "1", "chargeCode": "CF01", "name": "阿莫西林胶囊", "std": a, "number": "1",
                        "amt": a, "selfAmt": "0"}],
    }
    if kind == "hospitalized":
        bill.update(busType="01", hospitalNo="ZY0001", visitNo="ZY0001-1", isArrears="1",
                    inHospitalDate="20261120", outHospitalDate="20261123", category="内科")
    elif kind == "registration":
        bill.update(busType="06", isArrears="1", reimbursementAmt="0")
    elif kind == "checkup":
        bill.update(busType="05", checkUpNo="TJ0001")
    elif kind == "common":
        bill["busType"] = "09"
        for k in ("listDetail", "cardType", "cardNo", "patientNo", "accountPay", "fundPay", "otherfundPay", "ownPay",
                  "selfConceitedAmt", "selfPayAmt", "selfCashPay"):
            bill.pop(k)
        bill["chargeDetail"][0].pop("selfAmt")
    bill.update(over)
    return bill


def start_sim(tmp_path_factory: pytest.TempPathFactory, name: str) -> SimServer:
    """A fresh simulator in its own data directory."""
    return start(Path(tmp_path_factory.mktemp(name)))


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    server = start_sim(tmp_path_factory, "finance-sim")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client(sim: SimServer) -> Iterator[FinanceClient]:
    c = FinanceClient(sim.api_url, APPID, KEY, timeout=10, retry_backoff=0.05)
    yield c
    c.close()


@pytest.fixture(scope="session")
def ext(client: FinanceClient) -> FinanceExtClient:
    return FinanceExtClient(client)


def control(server: SimServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST (with a body) or GET a control endpoint; returns the JSON answer."""
    url = f"{server.url}/_control/{path}"
    resp = requests.post(url, data=json.dumps(body), timeout=5) if body is not None else requests.get(url, timeout=5)
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture
def issue(client: FinanceClient) -> Callable[..., tuple[dict[str, Any], dict[str, Any]]]:
    """Issue a valid bill through the client: returns (request, response)."""

    def run(kind: str = "outpatient", **over: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        bill = make_bill(kind, **over)
        method = {"outpatient": "invoiceEBillOutpatient", "hospitalized": "invEBillHospitalized",
                  "registration": "invEBillRegistration", "checkup": "invEBillCheckUp",
                  "common": "invoiceEBillCommon"}[kind]
        return bill, client.issue(method, bill).payload

    return run
