"""The simulator served in this process by ``start()`` (threads end at stop), its QR page, and
the command line's demo face enrolment."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from simulators.payment import start
from tests.rigs.payment import FACE, KEY, MCH_ID, WECHAT_CODE, Control, PaySimProcess
from workflows.payment_client import PaymentClient

pytestmark = pytest.mark.integration


def test_start_serves_keeps_state_and_stops_its_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    server = start(tmp_path / "inproc")
    client = PaymentClient(server.url, MCH_ID, KEY, timeout=5)
    order = client.unified_order("INPROC1", 1990, "门诊缴费<script>")
    page = requests.get(order.code_url, timeout=5)
    assert page.status_code == 200 and "19.90" in page.text and "<script>" not in page.text
    assert requests.get(server.url + "/qr/nosuchtoken", timeout=5).status_code == 404
    Control.of_url(server.url).scan("INPROC1")
    assert client.query("INPROC1").paid
    client.close_http()
    server.stop()
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in left:
        t.join(5)
    assert not [t for t in left if t.is_alive()]
    again = start(tmp_path / "inproc")
    client = PaymentClient(again.url, MCH_ID, KEY, timeout=5)
    assert client.query("INPROC1").paid and client.micropay("INPROC2", 1, "药费", WECHAT_CODE).paid
    client.close_http()
    again.stop()


def test_command_line_enrols_the_virtual_cameras_face(tmp_path: Path) -> None:
    proc = PaySimProcess(tmp_path / "cli", "--demo-face", str(FACE)).start()
    try:
        client = PaymentClient(proc.url, MCH_ID, KEY, timeout=5)
        who = client.face_verify("13800138000", FACE.read_bytes())
        assert (who.name, who.patient_id) == ("张三", "P0001")
        client.close_http()
    finally:
        proc.stop()
