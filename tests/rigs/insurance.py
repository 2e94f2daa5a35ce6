"""The insurance platform simulator for tests: ``python -m simulators.insurance`` on a free port,
its control endpoints, and a minimal signed client (x-tif-* headers + envelope) — the test's own
view of the wire protocol (docs/INSURANCE.md), independent of the server's connector."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from tests.rigs.stack import ROOT, free_port, wait_port

CODE, PAASID, TOKEN = "H44030300001", "demo_fsi_paas", "demo-insurance-pass-token-2026"
OTHER_CODE, OTHER_PAASID, OTHER_TOKEN = "H44030300002", "other_fsi_paas", "other-insurance-pass-token-2026"
ADMDVS = "440300"
SINGLE = "/fsi/api/rsfComIfsService/callService"
CST = timezone(timedelta(hours=8))
#: Demo persons (simulators/insurance/seed.py).
ZHANG = {"psn_no": "44030000000000000001", "certno": "440106199001011234", "name": "张三", "insutype": "310",
         "plc": "440300", "card": "SSC440300000001", "card_sn": "SN0001", "ect": "ECT-DEMO-0001"}
LI = {"psn_no": "44030000000000000002", "certno": "440106198502023456", "name": "李四", "insutype": "390",
      "plc": "440100", "card": "SSC440300000002", "card_sn": "SN0002", "ect": "ECT-DEMO-0002"}
WANG = {"psn_no": "44030000000000000003", "certno": "440106194503035678", "name": "王五", "insutype": "340",
        "plc": "440300", "card": "SSC440300000003", "card_sn": "SN0003", "ect": "ECT-DEMO-0003"}
ZHAO = {"psn_no": "44030000000000000004", "certno": "440106200004047890", "name": "赵六", "insutype": "390",
        "plc": "440300", "card": "SSC440300000004", "card_sn": "SN0004", "ect": "ECT-DEMO-0004"}
QIAN = {"psn_no": "44030000000000000005", "certno": "440106197805051111", "name": "钱七", "insutype": "310",
        "plc": "440300", "card": "SSC440300000005", "card_sn": "SN0005", "ect": "ECT-DEMO-0005"}

#: (path, body, headers) -> (HTTP status, body bytes): how an InsClient reaches the simulator.
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]

_serial = itertools.count(int(time.time() * 1000) % 9000)


def tif_headers(paasid: str = PAASID, token: str = TOKEN, ts: int | None = None, nonce: str | None = None,
                upper: bool = False) -> dict[str, str]:
    """The gateway headers: signature = SHA-256(timestamp + token + nonce + timestamp), hex."""
    stamp = str(int(time.time()) if ts is None else ts)
    nonce = nonce or uuid.uuid4().hex
    sig = hashlib.sha256((stamp + token + nonce + stamp).encode("utf-8")).hexdigest()
    return {"x-tif-paasid": paasid, "x-tif-timestamp": stamp, "x-tif-nonce": nonce,
            "x-tif-signature": sig.upper() if upper else sig, "Content-Type": "application/json"}


def new_msgid(code: str = CODE) -> str:
    """fixmedins_code(12) + yyyyMMddHHmmss(14) + 4 digits, unique within this test process."""
    return f"{code}{datetime.now(CST):%Y%m%d%H%M%S}{next(_serial) % 10000:04d}"


class InsClient:
    """Signs and posts envelopes; keeps the sign_no of its operator."""

    def __init__(self, base: str, code: str = CODE, paasid: str = PAASID, token: str = TOKEN,
                 opter: str = "OP001", timeout: float = 10.0, transport: Transport | None = None) -> None:
        self.base, self.code, self.paasid, self.token = base, code, paasid, token
        self.transport = transport
        self.opter = opter
        self.timeout = timeout
        self.sign_no = ""
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def envelope(self, infno: str, payload: dict[str, Any], insuplc: str = "", msgid: str | None = None,
                 **over: Any) -> dict[str, Any]:
        body = {"infno": infno, "msgid": new_msgid(self.code) if msgid is None else msgid, "mdtrtarea_admvs": ADMDVS,
                "insuplc_admdvs": insuplc, "recer_sys_code": "HIS", "dev_no": "", "dev_safe_info": "", "cainfo": "",
                "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": self.opter, "opter_name": "测试员",
                "inf_time": datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": self.code,
                "fixmedins_name": "演示医院", "sign_no": self.sign_no, "input": payload}
        body.update(over)
        return body

    def post_raw(self, body: Any, path: str = SINGLE, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """(HTTP status, body bytes) of one POST."""
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False, default=str).encode()
        headers = headers if headers is not None else tif_headers(self.paasid, self.token)
        if self.transport is not None:
            return self.transport(path, data, headers)
        resp = self.http.post(self.base + path, data=data, timeout=self.timeout, headers=headers)
        return resp.status_code, resp.content

    def call(self, infno: str, payload: dict[str, Any], insuplc: str = "", path: str = SINGLE,
             **over: Any) -> dict[str, Any]:
        """The answer envelope (numbers as Decimal)."""
        status, body = self.post_raw(self.envelope(infno, payload, insuplc, **over), path)
        assert status == 200, (status, body.decode("utf-8", "replace"))
        return dict(json.loads(body, parse_float=Decimal))

    def ok(self, infno: str, payload: dict[str, Any], insuplc: str = "", **over: Any) -> dict[str, Any]:
        """The output of a transaction that must succeed."""
        out = self.call(infno, payload, insuplc, **over)
        assert out["infcode"] == 0, out
        return dict(out["output"])

    def fails(self, infno: str, payload: dict[str, Any], insuplc: str = "", **over: Any) -> str:
        """The err_msg of a transaction that must fail."""
        out = self.call(infno, payload, insuplc, **over)
        assert out["infcode"] == -1, out
        return str(out["err_msg"])

    def sign_in(self) -> str:
        self.sign_no = self.ok("9001", {"signIn": {"opter_no": self.opter, "mac": "00-11-22-33-44-55",
                                                    "ip": "127.0.0.1"}})["signinoutb"]["sign_no"]
        return self.sign_no


def flask_transport(app: Any) -> Transport:
    """An InsClient transport over a Flask test client (unit tests: no sockets)."""
    client = app.test_client()

    def send(path: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        resp = client.post(path, data=data, headers=headers)
        return resp.status_code, resp.get_data()

    return send


class InsSimProcess:
    """``python -m simulators.insurance`` on a free port, restartable on the same port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> InsSimProcess:
        # stderr (its request log) goes to a file: a pipe nobody reads fills up after ~64 KiB and
        # then blocks the simulator mid-request (a long test, e.g. the mixed-day state machine)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "simulator.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "simulators.insurance", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(self.data_dir)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                env=dict(os.environ, PYTHONPATH=str(ROOT)))
        wait_port(self.port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def knobs(self, **changes: Any) -> dict[str, Any]:
        r = requests.post(self.url + "/_sim/knobs", json=changes, timeout=10)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def control(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, timeout=10)

    def demo(self) -> dict[str, Any]:
        return dict(json.loads((self.data_dir / "demo.json").read_text(encoding="utf-8")))


# -- business flows the tests share ---------------------------------------------------------------

def now_text() -> str:
    return datetime.now(CST).strftime("%Y-%m-%d %H:%M:%S")


def register(c: InsClient, person: dict[str, str], no: str | None = None, cert: str = "02") -> str:
    """2201 for a person; the mdtrt_id."""
    cert_no = {"01": person["ect"], "02": person["certno"], "03": person["card"]}[cert]
    out = c.ok("2201", {"data": {"psn_no": person["psn_no"], "insutype": person["insutype"], "begntime": now_text(),
                                 "mdtrt_cert_type": cert, "mdtrt_cert_no": cert_no,
                                 "ipt_otp_no": no or "MZ" + uuid.uuid4().hex[:12], "atddr_no": "D001",
                                 "dr_name": "李医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}},
               person["plc"])
    return str(out["data"]["mdtrt_id"])


def fee_line(mdtrt_id: str, person: dict[str, str], sn: str, code: str, cnt: str, pric: str,
             bchno: str = "B1", **extra: Any) -> dict[str, Any]:
    """One feedetail line (amount = cnt * pric)."""
    amount = (Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01"))
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": person["psn_no"], "chrg_bchno": bchno,
            "rxno": "", "rx_circ_flag": "0", "fee_ocur_time": now_text(), "med_list_codg": code,
            "medins_list_codg": "H-" + code[:8], "det_item_fee_sumamt": str(amount), "cnt": cnt, "pric": pric,
            "bilg_dept_codg": "A03", "bilg_dept_name": "内科", "bilg_dr_codg": "D001", "bilg_dr_name": "李医生",
            "hosp_appr_flag": "1", **extra}


def settle_data(mdtrt_id: str, person: dict[str, str], medfee: str, bchno: str = "B1", acct: str = "1",
                **extra: Any) -> dict[str, Any]:
    """The ``data`` node of 2206/2207."""
    return {"psn_no": person["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": person["certno"], "med_type": "11",
            "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": bchno,
            "insutype": person["insutype"], "acct_used_flag": acct, **extra}


#: Catalogue codes of the demo (seed.py): 甲 drug (limit 0.50), 乙 drug 10 %, 丙 drug, 甲 service.
DRUG_A, DRUG_B, DRUG_C, CONSULT = "XJ01CAA040A001010101445", "XR05CBA037A001010100794", \
    "XA11JBV176A001020100001", "110200001"


def outpatient_settled(c: InsClient, person: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Register, upload 2 lines (乙 300.00 + 丙 50.00) and settle: (mdtrt_id, 2207 output)."""
    mdtrt_id = register(c, person)
    c.ok("2204", {"feedetail": [fee_line(mdtrt_id, person, "1", DRUG_B, "10", "30"),
                                fee_line(mdtrt_id, person, "2", DRUG_C, "1", "50")]}, person["plc"])
    return mdtrt_id, c.ok("2207", {"data": settle_data(mdtrt_id, person, "350.00")}, person["plc"])
