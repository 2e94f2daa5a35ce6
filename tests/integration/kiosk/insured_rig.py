"""The kiosk rig with the insurance platform: finance, insurance, HIS and payment simulators and
the sync server configured for the insurance platform — all real processes on 127.0.0.1 — and
helpers for an insured patient known to both the insurance simulator and the HIS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from simulators.his import catalog
from tests.integration.insurance.ins_stack import insurance_config, write_config
from tests.integration.kiosk.rig import KioskRig
from tests.rigs.insurance import CONSULT, DRUG_B, InsSimProcess
from tests.rigs.stack import ROOT, ServerProcess
from workflows.terminal.config import TerminalConfig

#: 医保目录对照 of every HIS catalogue item: drugs -> a 乙类 drug, exams -> the consultation item.
INS_CODES = {d[0]: DRUG_B for d in catalog.DRUGS} | {x[0]: CONSULT for x in catalog.EXAMS}


class InsuredKioskRig(KioskRig):
    """:class:`KioskRig` plus the insurance simulator behind the sync server."""

    def __init__(self, base: Path) -> None:
        super().__init__(base)
        self.ins = InsSimProcess(base / "ins")

    def start(self) -> InsuredKioskRig:
        self.ins.start()
        self.finance.start()
        config = write_config(self.base / "server.json", insurance_config(self.ins, timeout=5.0))
        (self.base / "srv").mkdir(exist_ok=True)
        # with its outbox worker: it resolves a settlement in doubt (5203 / 2601) and uploads vouchers
        self.server = ServerProcess(self.base / "srv", self.finance.method_url, config=config).start()
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
        super().stop()
        self.ins.stop()

    def config(self, data_dir: Path, **kiosk: Any) -> TerminalConfig:
        return super().config(data_dir, **({"insurance_codes": INS_CODES} | kiosk))

    def insured_patient(self, balc: str = "300.00", prepay: str = "100.00") -> dict[str, Any]:
        """A fresh insured person on the insurance simulator (e-voucher token, ``balc`` in the
        personal account) and the same person in the HIS (found by that token)."""
        n = time.time_ns() % 10**12
        token = f"ECT-KIOSK-{n:012d}"
        r = requests.post(self.ins.url + "/_sim/persons", json={
            "psn_no": f"4403008{n:012d}"[:20], "certno": f"440306198{n:09d}"[:18], "psn_name": "医保患者",
            "gend": "1", "brdy": "1980-01-01", "card_no": f"SSC{n}", "card_sn": f"SN{n}", "ec_token": token,
            "insurances": [{"insutype": "310", "psn_insu_stas": "1", "insuplc_admdvs": "440300", "balc": balc}]},
            timeout=10)
        assert r.status_code == 200, r.text
        patient = self.patient(name="医保患者", eVoucher=token, prepay=prepay)
        return {"token": token, "psn_no": f"4403008{n:012d}"[:20], "patient": patient}

    def ins_settlements(self, psn_no: str) -> list[dict[str, Any]]:
        """The insurance simulator's settlements of a person."""
        r = requests.get(self.ins.url + "/_sim/settlements", params={"psn_no": psn_no}, timeout=10)
        body = r.json()
        return list(body["settlements"] if isinstance(body, dict) else body)
