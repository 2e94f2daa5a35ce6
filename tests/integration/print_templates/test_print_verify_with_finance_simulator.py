"""End to end: issue a bill on the finance simulator, print its notice, scan the QR, verify it.

The simulator runs on a real socket (127.0.0.1, free port); the notice is rendered to PNG with
the QPainter renderer and its QR read back with OpenCV; the decoded text goes to the
simulator's public verification endpoint, which must call the bill genuine.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from billing_core import envelope
from billing_core.ids import new_noise
from print_templates.registry import build
from print_templates.render_qt import write_png
from simulators.finance.app import create_app
from simulators.finance.platform import Platform
from simulators.finance.server import SimServer
from simulators.finance.store import DEMO_APPID, DEMO_KEY
from tests.integration.print_templates.print_golden_utils import scan_qr

pytestmark = pytest.mark.integration

REQUESTS = Path(__file__).resolve().parents[2] / "fixtures" / "requests"


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    platform = Platform(tmp_path_factory.mktemp("finance"))
    server = SimServer(create_app(platform)).start()
    try:
        yield server
    finally:
        server.go_down()
        platform.store.close()


def _issue(server: SimServer, method: str, request: dict) -> dict:
    body = envelope.encode_request(DEMO_APPID, DEMO_KEY, request, noise=new_noise())
    resp = requests.post(f"{server.api_url}/{method}", json=body, timeout=10)
    return envelope.decode_response(resp.content, DEMO_APPID, DEMO_KEY).payload()


def _scan(png: Path) -> str:
    text = scan_qr(png)
    assert text, "no QR code read from the notice"
    return text


@pytest.mark.parametrize(("fixture", "method", "width"), [("outpatient", "invoiceEBillOutpatient", 80),
                                                          ("registration", "invEBillRegistration", 58)])
def test_printed_notice_qr_is_genuine_at_the_verifier(finance: SimServer, fixture: str, method: str, width: int,
                                                      tmp_path: Path) -> None:
    request = json.loads((REQUESTS / f"{fixture}.json").read_text(encoding="utf-8"))
    request["placeCode"] = "001"  # a billing point the simulator's demo caller may use
    response = _issue(finance, method, request)
    sample = {"hospital": {"name": "广州市第一人民医院", "placeName": "门诊收费处"}, "request": request,
              "response": response}
    png = write_png(build("notice", sample, width), tmp_path / "notice", dpi=100)[0]
    text = _scan(png)
    answer = requests.get(f"{finance.url}/medical-web/verify", params={"qr": text}, timeout=10).json()
    assert answer["genuine"] is True, answer
    assert (answer["billBatchCode"], answer["billNo"]) == (response["billBatchCode"], response["billNo"])


def test_a_tampered_check_code_is_not_genuine(finance: SimServer, tmp_path: Path) -> None:
    request = json.loads((REQUESTS / "outpatient.json").read_text(encoding="utf-8"))
    request["busNo"] = request["busNo"] + "T"
    response = _issue(finance, "invoiceEBillOutpatient", request)
    response = dict(response, random="000000" if response["random"] != "000000" else "111111")
    sample = {"hospital": {"name": "广州市第一人民医院"}, "request": request, "response": response}
    png = write_png(build("notice", sample, 80), tmp_path / "notice", dpi=100)[0]
    answer = requests.get(f"{finance.url}/medical-web/verify", params={"qr": _scan(png)}, timeout=10).json()
    assert answer["genuine"] is False
