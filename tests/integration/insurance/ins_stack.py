"""The insurance test stack: the insurance simulator as a real process (tests/rigs/insurance.py),
the sync server with its insurance connector pointed at it (in this process, or as a real
process for the SIGKILL test), and a terminal speaking ``/insurance/api`` with a session."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from billing_core import envelope, request_stamp
from tests.rigs.insurance import (
    CODE,
    OTHER_CODE,
    OTHER_PAASID,
    OTHER_TOKEN,
    PAASID,
    TOKEN,
    ZHANG,
    InsSimProcess,
)
from tests.rigs.stack import HisClient, free_port

#: A finance platform URL nobody listens on: these tests never issue e-bills.
NO_FINANCE = f"http://127.0.0.1:{free_port()}/medical-web/api/medical"


def insurance_config(sim: InsSimProcess, timeout: float = 2.0, *, other: bool = False) -> dict[str, Any]:
    """The server's insurance settings for the simulator's demo hospital (``other``: its second
    demo hospital, so that two servers sharing one simulator keep apart, e.g. in reconciliation)."""
    code, paasid, token = (OTHER_CODE, OTHER_PAASID, OTHER_TOKEN) if other else (CODE, PAASID, TOKEN)
    return {"insurance_url": sim.url, "insurance_paasid": paasid, "insurance_pass_token": token,
            "insurance_fixmedins_code": code, "insurance_timeout": timeout, "insurance_connect_timeout": 1.0}


class InsTerminal(HisClient):
    """A terminal calling ``/insurance/api/<method>`` (signed stamp in the noise, session token in
    the data once :meth:`login` ran)."""

    def __init__(self, base: str, appid: str, key: str) -> None:
        super().__init__(f"{base}/insurance/api", appid, key)
        self.base = base
        self.token = ""

    def login(self, username: str, password: str) -> InsTerminal:
        """Log in through the terminal API; later calls carry the session token."""
        term = HisClient(f"{self.base}/terminal/api", self.appid, self.key)
        try:
            self.token = str(term.ok("login", {"username": username, "password": password})["sessionToken"])
        finally:
            term.close()
        return self

    def call(self, method: str, data: Any) -> tuple[str, Any]:
        body_data = dict(data) | ({"sessionToken": self.token} if self.token else {})
        noise = request_stamp.make(method, int(time.time() * 1000))
        body = envelope.encode_request(self.appid, self.key, body_data, noise=noise)
        resp = self.raw(method, envelope.dumps(body).encode("utf-8"))
        answer = envelope.decode_response(resp.content, self.appid, self.key)
        return answer.result, answer.message


def terminal(base: str, demo: dict[str, Any], role: str | None = "cashier", appid: str = "TERM01") -> InsTerminal:
    """A terminal of ``demo.json``, logged in as the first user of ``role`` (None: no session)."""
    caller = next(c for c in demo["callers"] if c["appid"] == appid)
    term = InsTerminal(base, caller["appid"], caller["key"])
    if role is not None:
        user = next(u for u in demo["users"] if u["role"] == role)
        term.login(user["username"], user["password"])
    return term


def sim_settlements(sim: InsSimProcess, **query: str) -> list[dict[str, Any]]:
    """The simulator's settlements (its /_sim view), filtered by query parameters."""
    r = requests.get(sim.url + "/_sim/settlements", params=query, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    return list(body["settlements"] if isinstance(body, dict) else body)


def register_data(person: dict[str, str] = ZHANG, otp: str = "") -> dict[str, Any]:
    """insRegister data for a demo person, by ID card."""
    return {"visit": "outpatient", "psnNo": person["psn_no"], "insutype": person["insutype"],
            "insuplcAdmdvs": person["plc"], "mdtrtCertType": "02", "mdtrtCertNo": person["certno"],
            "iptOtpNo": otp or f"MZ{time.time_ns() % 10**12}", "deptCode": "A01", "deptName": "内科",
            "drName": "李医生", "atddrNo": "D001"}


def fees_data(settlement_id: int, lines: int = 2) -> dict[str, Any]:
    """insUploadFees data: ``lines`` fee details of 25.00 each (血常规检查)."""
    return {"settlementId": settlement_id, "chrgBchno": f"B{time.time_ns() % 10**10}",
            "fees": [{"feedetlSn": f"F{i}", "medListCodg": "250101015", "medinsListCodg": f"H{i:03d}",
                      "detItemFeeSumamt": "25.00", "cnt": "1", "pric": "25.00"} for i in range(1, lines + 1)]}


def write_config(path: Path, values: dict[str, Any]) -> Path:
    """A JSON config file for ``python -m sync_server --config``."""
    path.write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    return path


def new_person(sim: InsSimProcess, insutype: str = "310", balc: str = "300.00") -> dict[str, str]:
    """A fresh insured person on the simulator (its /_sim control), shaped like the rig's demo
    persons: tests that need a person of their own never meet another test's open visit."""
    n = time.time_ns() % 10**12
    person = {"psn_no": f"4403009{n:012d}"[:20], "certno": f"440306199{n:09d}"[:18], "name": f"测试{n % 10000}",
              "insutype": insutype, "plc": "440300", "card": f"SSC{n}", "card_sn": f"SN{n}"}
    r = requests.post(sim.url + "/_sim/persons", json={
        "psn_no": person["psn_no"], "certno": person["certno"], "psn_name": person["name"], "gend": "1",
        "brdy": "1990-01-01", "card_no": person["card"], "card_sn": person["card_sn"], "ec_token": f"ECT-{n}",
        "insurances": [{"insutype": insutype, "psn_insu_stas": "1", "insuplc_admdvs": "440300", "balc": balc}]},
        timeout=10)
    assert r.status_code == 200, r.text
    return person


def settled(term: InsTerminal, person: dict[str, str], lines: int = 1) -> dict[str, Any]:
    """An outpatient visit of ``person`` registered, with ``lines`` fee lines, pre-settled and settled."""
    reg = term.ok("insRegister", register_data(person))
    term.ok("insUploadFees", fees_data(reg["settlementId"], lines))
    term.ok("insPreSettle", {"settlementId": reg["settlementId"]})
    return dict(term.ok("insSettle", {"settlementId": reg["settlementId"]}))
