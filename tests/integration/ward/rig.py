"""The ward rig: the kiosk rig's four real processes (finance simulator, sync server, HIS and
payment simulators) plus a ward caller (kind ``ward``) and a ward nurse (role ``ward_nurse``)
registered with the server's admin CLI, and nurse stations built by the product's builder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.integration.kiosk.rig import KioskRig
from tests.rigs.stack import ROOT
from workflows.events import Events
from workflows.terminal.config import TerminalConfig
from workflows.ward.builder import Ward, build_ward
from workflows.ward.settings import WardSettings

WARD = "W17病区"


class WardRig(KioskRig):
    """The processes and a ward caller + nurse."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self.ward_caller: dict[str, Any] = {}
        self.nurse: dict[str, Any] = {}

    def _admin(self, *args: str) -> dict[str, Any]:
        out = subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(self.base / "srv"),
                              *args, "--operator", "测试"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                             capture_output=True, text=True, check=True, timeout=60)
        return dict(json.loads(out.stdout))

    def start(self, *, insurance: bool = False) -> WardRig:
        if insurance:
            self._start_with_insurance()
        else:
            super().start()
        assert self.server is not None
        self.ward_caller = self._admin("add-caller", "--appid", "WARDT1", "--name", "测试护士站", "--kind", "ward",
                                       "--places", self.server.demo["placeCodes"][-1])
        self.nurse = self._admin("add-user", "--username", "wardtest1", "--name", "护士一", "--role", "ward_nurse")
        return self

    def _start_with_insurance(self) -> None:
        # the kiosk rig's processes, the server pointed at a real insurance simulator
        from tests.integration.insurance.ins_stack import insurance_config
        from tests.rigs.insurance import InsSimProcess
        from tests.rigs.stack import ServerProcess

        self.ins = InsSimProcess(self.base / "ins").start()
        env = {f"SYNC_{k.upper()}": str(v) for k, v in insurance_config(self.ins, timeout=5.0).items()
               if k in ("insurance_url", "insurance_paasid", "insurance_pass_token", "insurance_fixmedins_code")}
        self.finance.start()
        self.server = ServerProcess(self.base / "srv", self.finance.method_url, "--worker", "none", env=env).start()
        self.his.start()
        self.pay.start()

    def stop(self) -> None:
        super().stop()
        ins = getattr(self, "ins", None)
        if ins is not None:
            ins.stop()

    def caller(self) -> dict[str, Any]:
        return dict(self.ward_caller)

    def ward_config(self, data_dir: Path) -> TerminalConfig:
        cfg = self.config(data_dir)
        cfg.place_name, cfg.kiosk = "护士站", None
        return cfg

    def ward(self, data_dir: Path, events: Events | None = None, **settings: Any) -> Ward:
        from devices.registry import build_devices

        devices = build_devices({"receipt_printer": {"driver": "virtual", "out_dir": str(data_dir / "receipts")}})
        self.devices.append(devices)
        w = build_ward(self.ward_config(data_dir), WardSettings(**({"ward": WARD, "hospital": "测试医院"} | settings)),
                       receipt_printer=devices.by_role("receipt_printer"), events=events)
        w.login(self.nurse["username"], self.nurse["password"])
        return w

    def admit(self, patient_id: str, *, deposit: str = "0", days: int = 1, bed: str = "01床") -> dict[str, Any]:
        return dict(self.his_control("inpatients", {"patientId": patient_id, "deptCode": "NK", "days": days,
                                                    "deposit": deposit, "ward": WARD, "bed": bed, "seed": 3})
                    ["inpatient"])

    def fee(self, admission_no: str, amount: str) -> dict[str, Any]:
        return dict(self.his_control(f"inpatients/{admission_no}/fees", {"amount": amount})["inpatient"])


def sim_visit(rig: WardRig, mdtrt_id: str) -> dict[str, Any]:
    """The insurance simulator's view of a visit (its /_sim control): state, admission data, fee lines."""
    import requests

    r = requests.get(f"{rig.ins.url}/_sim/visits/{mdtrt_id}", timeout=10)
    r.raise_for_status()
    return dict(r.json())


class QrPayer:
    """The patient's phone for a 主扫 payment: runs a desk call in a thread and scans the QR code
    the station shows (``pay_waiting_scan``)."""

    def __init__(self, rig: WardRig, events: Events, channel: str = "alipay") -> None:
        self.rig, self.channel = rig, channel
        self.order_no = ""
        self.shown = threading.Event()
        events.subscribe(self._on)

    def _on(self, name: str, payload: dict[str, Any]) -> None:
        if name == "pay_waiting_scan":
            self.order_no = payload["out_trade_no"]
            self.shown.set()

    def pay(self, call: Any) -> Any:
        out: dict[str, Any] = {}
        t = threading.Thread(target=lambda: out.setdefault("result", call()), name="ward-flow")
        t.start()
        try:
            assert self.shown.wait(10), "the station never showed a QR code"
            self.rig.control.scan(self.order_no, self.channel)
        finally:
            t.join(30)
        assert not t.is_alive()
        return out["result"]
