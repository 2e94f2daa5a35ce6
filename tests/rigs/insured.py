"""The insured-settlement rig: finance, insurance and payment simulators and the sync server, all
as real processes on 127.0.0.1 (tests/rigs), and a terminal built as the apps build it
(workflows.terminal.builder) with the insured flow over it."""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from tests.integration.insurance.ins_stack import insurance_config, write_config
from tests.rigs.insurance import InsSimProcess
from tests.rigs.payment import KEY, MCH_ID, PaySimProcess
from tests.rigs.stack import ROOT, ServerProcess, Simulator
from workflows.insurance.client import InsuranceApi
from workflows.insurance.flow import InsuredFlow
from workflows.insurance.models import FeeLine, Visit
from workflows.payment_client import PaymentClient
from workflows.server_api import ServerApi
from workflows.terminal.builder import Terminal, build_terminal
from workflows.terminal.config import TerminalConfig

FIXTURES = ROOT / "tests" / "fixtures" / "requests"
OUTPATIENT, INPATIENT = "invoiceEBillOutpatient", "invEBillHospitalized"
#: The insurance fields the flow writes itself (the fixtures carry sample values).
_INSURED_KEYS = ("accountPay", "fundPay", "otherfundPay", "ownPay", "selfConceitedAmt", "selfPayAmt", "selfCashPay",
                 "reimbursementAmt", "balancedNumber", "medicalInsuranceID", "otherMedicalList", "listDetail",
                 "weChatOrderNo", "cashPay", "cashRecharge", "cashRefund", "ownAcBalance")


@dataclass
class Rig:
    """Every process of the rig; :meth:`stop` ends them (only what it started)."""

    tmp: Path
    finance: Simulator | None = None
    ins: InsSimProcess | None = None
    pay: PaySimProcess | None = None
    server: ServerProcess | None = None
    terminals: list[Terminal] = field(default_factory=list)

    def start(self) -> Rig:
        self.finance = Simulator(self.tmp / "finance").start()
        self.ins = InsSimProcess(self.tmp / "ins").start()
        self.pay = PaySimProcess(self.tmp / "pay").start()
        config = write_config(self.tmp / "server.json", insurance_config(self.ins, timeout=5.0))
        (self.tmp / "server").mkdir(exist_ok=True)
        self.server = ServerProcess(self.tmp / "server", self.finance.url, config=config).start()
        return self

    def stop(self) -> None:
        for t in self.terminals:
            t.close()
        for proc in (self.server, self.pay, self.ins, self.finance):
            if proc is not None:
                proc.stop()

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def user(self, role: str) -> dict[str, Any]:
        assert self.server is not None
        return next(u for u in self.server.demo["users"] if u["role"] == role)

    def terminal(self, data_dir: Path, role: str | None = "cashier", appid: str = "TERM01") -> Terminal:
        """A terminal of demo.json (TERM01: a window; SELF01: a patient kiosk, which acts as itself)
        logged in as the first demo user of ``role`` (None: nobody)."""
        assert self.server is not None
        caller = next(c for c in self.server.demo["callers"] if c["appid"] == appid)
        cfg = TerminalConfig(server_url=self.base, appid=caller["appid"], key=caller["key"],
                             place_code=caller["placeCodes"][0], data_dir=data_dir, emergency=False)
        term = build_terminal(cfg, printer=None)
        self.terminals.append(term)
        return term if role is None else self.login(term, role)

    def login(self, term: Terminal, role: str) -> Terminal:
        """Log the first demo user of ``role`` in at ``term`` (the server session of its requests)."""
        user = self.user(role)
        token = term.sync.login(user["username"], user["password"]).payload()["sessionToken"]
        term.sync.set_user(user["username"], str(token))
        return term

    def flow(self, term: Terminal, desk: str = "cashier") -> InsuredFlow:
        """The insured flow over a terminal."""
        return InsuredFlow(InsuranceApi(term.sync), term.db, term.workflow, ServerApi(term.sync), desk=desk,
                           terminal_id=term.sync.appid, place_code=term.config.place_code,
                           operator=term.sync.operator or term.sync.appid)

    def payment_client(self) -> PaymentClient:
        assert self.pay is not None
        return PaymentClient(self.pay.url, MCH_ID, KEY, timeout=5)

    def sim_settlements(self, mdtrt_id: str) -> list[dict[str, Any]]:
        """The insurance simulator's settlements of a visit."""
        assert self.ins is not None
        r = requests.get(self.ins.url + "/_sim/settlements", params={"mdtrt_id": mdtrt_id}, timeout=10)
        body = r.json()
        return list(body["settlements"] if isinstance(body, dict) else body)

    def platform_bill(self, bus_no: str) -> list[tuple[str, str, int]]:
        """The finance platform's bills of a busNo (batch code, number, red flag)."""
        assert self.finance is not None
        return self.finance.platform_bills(bus_no)


def platform_bill_data(rig: Rig, bus_no: str) -> dict[str, Any]:
    """The business data the finance platform stored with the blue bill of a busNo (its database)."""
    import sqlite3

    assert rig.finance is not None
    with sqlite3.connect(rig.finance.data_dir / "finance.sqlite3", timeout=30) as db:
        row = db.execute("SELECT data_json FROM bills WHERE doc = 'bill' AND kind = 'blue' AND bus_no = ?",
                         (bus_no,)).fetchone()
    assert row is not None, f"no bill for {bus_no} on the platform"
    data: dict[str, Any] = json.loads(row[0])
    return data


def outpatient_fees() -> list[FeeLine]:
    """A consultation and two blood tests: 60.00."""
    return [FeeLine("F1", "110200001", "H110", "普通门诊诊查费", Decimal("10.00"), Decimal("1"), Decimal("10.00")),
            FeeLine("F2", "250101015", "H250", "血常规检查", Decimal("25.00"), Decimal("2"), Decimal("50.00"))]


def inpatient_fees() -> list[FeeLine]:
    """Three bed days and an anaesthesia: 380.00."""
    return [FeeLine("I1", "120100001", "BED3", "床位费（三人间）", Decimal("60.00"), Decimal("3"), Decimal("180.00")),
            FeeLine("I2", "330100001", "ANA1", "全身麻醉", Decimal("200.00"), Decimal("1"), Decimal("200.00"))]


def visit(kind: str) -> Visit:
    """An outpatient visit or an inpatient stay (pneumonia) with a fresh number."""
    no = f"{'MZ' if kind == 'outpatient' else 'ZY'}{time.time_ns() % 10**12}"
    if kind == "outpatient":
        return Visit("outpatient", no, "A01", "内科", "李医生", "D001")
    return Visit("inpatient", no, "B02", "呼吸内科", "李医生", "D001", med_type="21", dise_codg="J18.900",
                 dise_name="肺炎")


def bill_base(kind: str, fees: list[FeeLine], payer: str, place_code: str = "001") -> dict[str, Any]:
    """The e-bill request of the visit without its insurance parts: the sample request of the kind,
    one charge line per fee (化验费 / 床位费 …), a fresh busNo."""
    sample = FIXTURES / ("outpatient.json" if kind == "outpatient" else "inpatient.json")
    base: dict[str, Any] = copy.deepcopy(json.loads(sample.read_text(encoding="utf-8")))
    for key in _INSURED_KEYS:
        base.pop(key, None)
    total = sum((f.amount for f in fees), Decimal("0.00"))
    codes = ["301", "302", "401", "501"]  # the demo catalog (sync_server/bills/catalog.py)
    base.update({"busNo": f"YB{kind[:2].upper()}{time.time_ns() % 10**13}", "placeCode": place_code, "payer": payer,
                 "totalAmt": f"{total:.2f}", "busDateTime": time.strftime("%Y%m%d%H%M%S") + "000",
                 "chargeDetail": [{"sortNo": i, "chargeCode": codes[i - 1], "chargeName": f.name, "unit": "项",
                                   "std": f"{f.amount:.2f}", "number": "1", "amt": f"{f.amount:.2f}", "selfAmt": "0.00"}
                                  for i, f in enumerate(fees, 1)],
                 "listDetail": [{"chargeCode": codes[i - 1], "chargeName": f.name, "code": f.medins_list_codg,
                                 "name": f.name, "unit": "项", "std": f"{f.price:.4f}", "number": f"{f.count}",
                                 "amt": f"{f.amount:.4f}", "selfAmt": "0.0000", "sortNo": i}
                                for i, f in enumerate(fees, 1)]})
    for key in ("hospitalDays", "totalAmt"):
        if isinstance(base.get(key), float | int):
            base[key] = str(base[key])
    return base
