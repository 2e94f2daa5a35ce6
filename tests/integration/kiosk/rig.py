"""The kiosk rig: finance simulator, sync server, HIS simulator and payment simulator as real
processes on 127.0.0.1 (one set per test module), and kiosks built over them with virtual devices
through the product's own builder (workflows.kiosk.builder.build_kiosk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from billing_core.crypto import SM2PrivateKey
from devices.registry import DeviceSet, build_devices
from tests.rigs.his_rig import HisProcess
from tests.rigs.payment import FACE, KEY, MCH_ID, Control, PaySimProcess
from tests.rigs.stack import ROOT, ServerProcess, free_port, wait_port
from workflows.events import Events
from workflows.kiosk.builder import build_kiosk
from workflows.kiosk.kiosk import Kiosk
from workflows.kiosk.settings import HisSettings, KioskSettings
from workflows.payment_config import PaymentSettings
from workflows.terminal.config import TerminalConfig

FAST_LINK = {"connect_timeout": 0.5, "read_timeout": 8.0, "failure_threshold": 1, "open_seconds": 0.2,
             "max_open_seconds": 0.5}


class FinanceProcess:
    """``python -m simulators.finance`` on a free port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir, self.port = data_dir, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> FinanceProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "simulators.finance", "--port", str(self.port),
                                      "--data-dir", str(self.data_dir)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        wait_port(self.port, self.proc)
        return self

    @property
    def method_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/medical-web/api/medical"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


class KioskRig:
    """The four processes and what a test needs of them."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.finance = FinanceProcess(base / "fin")
        self.server: ServerProcess | None = None
        self.his = HisProcess(base / "his")
        self.pay = PaySimProcess(base / "pay")
        self.key = SM2PrivateKey.generate()
        self.devices: list[DeviceSet] = []
        self.kiosk_caller: dict[str, Any] = {}

    def start(self) -> KioskRig:
        self.finance.start()
        self.server = ServerProcess(self.base / "srv", self.finance.method_url, "--worker", "none").start()
        # A self-service kiosk is a caller of kind "kiosk" (it acts as itself, no staff session),
        # registered the way a site registers one: the admin CLI on the server's data directory.
        out = subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(self.base / "srv"),
                              "add-caller", "--appid", "KIOSKT1", "--name", "测试自助机", "--kind", "kiosk",
                              "--places", self.server.demo["placeCodes"][-1], "--operator", "测试"],
                             cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                             check=True, timeout=60)
        self.kiosk_caller = json.loads(out.stdout)
        self.his.start()
        self.pay.start()
        return self

    def stop(self) -> None:
        for proc in (self.pay, self.his, self.server, self.finance):
            if proc is not None:
                proc.stop()

    # --- parts --------------------------------------------------------------------------------

    @property
    def control(self) -> Control:
        return self.pay.control

    def his_control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.his.control(path, body)

    def caller(self) -> dict[str, Any]:
        return dict(self.kiosk_caller)

    def config(self, data_dir: Path, **kiosk: Any) -> TerminalConfig:
        assert self.server is not None
        caller = self.caller()
        his_caller = self.his.demo["callers"][0]
        cfg = TerminalConfig(server_url=f"http://127.0.0.1:{self.server.port}", appid=caller["appid"],
                             key=caller["key"], place_code=caller["placeCodes"][0], place_name="门诊自助机",
                             hospital="测试医院", data_dir=data_dir, private_key=f"{self.key.d:064x}",
                             link=dict(FAST_LINK), stock_top_up=5)
        cfg.his = HisSettings(self.his.url, his_caller["appid"], his_caller["key"], timeout=3.0)
        cfg.payment = PaymentSettings(self.pay.url, MCH_ID, KEY, timeout=2.0, qr_deadline=6.0, code_deadline=6.0)
        cfg.kiosk = KioskSettings(**({"idle_seconds": 60.0} | kiosk))
        return cfg

    def kiosk(self, data_dir: Path, events: Events | None = None, ssc: dict[str, Any] | None = None,
              **kiosk: Any) -> Kiosk:
        devices = build_devices({
            "ssc_reader": ssc or {"driver": "virtual"}, "id_reader": {"driver": "virtual"},
            "scanner": {"driver": "virtual"}, "camera": {"driver": "virtual"},
            "receipt_printer": {"driver": "virtual", "out_dir": str(data_dir / "receipts")},
            "bill_printer": {"driver": "virtual", "out_dir": str(data_dir / "bills")}})
        return build_kiosk(self.config(data_dir, **kiosk), devices, events)

    # --- HIS data -----------------------------------------------------------------------------

    def patient(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "测试患者", "sex": "男", "birthDate": "1980-01-01", "phone": "13911112222",
                "withCard": True, "prepay": "100.00"} | fields
        return dict(self.his_control("patients", body)["patient"])

    def charge(self, patient_id: str, **fields: Any) -> dict[str, Any]:
        return dict(self.his_control("charges", {"patientId": patient_id, "count": 2, "seed": 7} | fields)["charge"])

    def face(self, phone: str, id_no: str, name: str) -> None:
        self.control.enrol(phone, FACE.read_bytes(), name=name, id_card_no=id_no, patient_id="")


def wait_until(predicate: Any, timeout: float = 10.0, step: float = 0.1) -> None:
    """Poll ``predicate`` until true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(step)


def statement_csv(url: str) -> str:
    return requests.get(url, timeout=5).text


def yuan(text: str) -> Decimal:
    return Decimal(text)


__all__ = ["KioskRig", "wait_until", "json"]


class Payer:
    """Plays the patient's phone during a QR payment: runs a kiosk flow in a thread, scans the
    QR code as soon as the kiosk shows it (``pay_waiting_scan``), returns the flow's result."""

    def __init__(self, rig: KioskRig, events: Events, channel: str = "wechat") -> None:
        import threading
        self.rig, self.channel = rig, channel
        self.order_no = ""
        self.shown = threading.Event()
        events.subscribe(self._on)

    def _on(self, name: str, payload: dict[str, Any]) -> None:
        if name == "kiosk_order" and payload["state"] == "created":
            self.order_no = payload["order_no"]
        if name == "pay_waiting_scan":
            self.shown.set()

    def pay(self, flow: Any, *, scan: bool = True) -> Any:
        import threading
        out: dict[str, Any] = {}
        t = threading.Thread(target=lambda: out.setdefault("result", flow()), name="kiosk-flow")
        t.start()
        try:
            assert self.shown.wait(10), "the kiosk never showed a QR code"
            if scan:
                self.rig.control.scan(self.order_no, self.channel)
        finally:
            t.join(30)
        assert not t.is_alive()
        return out["result"]
