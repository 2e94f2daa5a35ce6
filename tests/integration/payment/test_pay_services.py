"""Notification to a local HTTP receiver (with a retry), the daily statement against the orders,
and face verification, through the real client and the simulator process."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance, ImageOps

from billing_core import paysign
from billing_core.clock import CST
from tests.integration.payment.conftest import fresh
from tests.rigs.payment import ALIPAY_CODE, FACE, KEY, MCH_ID, UNIONPAY_CODE, WECHAT_CODE, PaySimProcess
from workflows.payment_client import PaymentClient, PaymentError

pytestmark = pytest.mark.integration


class Receiver:
    """The hospital's notify endpoint: refuses the first POST (HTTP 500), then answers SUCCESS."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.got = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append(body)
                first = len(outer.received) == 1
                out = b"busy" if first else json.dumps({"code": "SUCCESS"}).encode()
                self.send_response(500 if first else 200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)
                if not first:
                    outer.got.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/pay/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def test_notification_is_signed_and_retried_until_acknowledged(sim: PaySimProcess, client: PaymentClient,
                                                                no: str) -> None:
    sim.control.knobs(notify_retry=[0, 0.3, 0.3])
    with Receiver() as rx:
        client.unified_order(no, 2500, "门诊缴费", notify_url=rx.url)
        sim.control.scan(no, "wechat")
        assert rx.got.wait(10), "no acknowledged notification"
    assert len(rx.received) == 2
    note = rx.received[-1]
    paysign.verify(note, KEY)
    assert (note["out_trade_no"], note["trade_state"], note["total_fee"], note["channel"]) == (
        no, "SUCCESS", 2500, "wechat")
    row = next(n for n in sim.control.notifications() if n["out_trade_no"] == no)
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    sim.control.knobs(notify_retry=None)


@pytest.fixture
def own_sim(tmp_path: Path) -> Iterator[PaySimProcess]:
    proc = fresh(tmp_path / "own")
    yield proc
    proc.stop()


def test_statement_totals_equal_the_orders(own_sim: PaySimProcess) -> None:
    client = PaymentClient(own_sim.url, MCH_ID, KEY)
    paid = {"A": (1250, WECHAT_CODE), "B": (99999, ALIPAY_CODE), "C": (1, UNIONPAY_CODE)}
    for suffix, (fee, code) in paid.items():
        client.micropay(f"ST{suffix}", fee, "门诊缴费", code)
    client.unified_order("STQ", 4321, "住院押金")
    own_sim.control.scan("STQ", "alipay")
    own_sim.control.plan("STF", outcome="fail")
    client.micropay("STF", 777, "药费", WECHAT_CODE)  # failed: not on the statement
    client.refund("STB", "STB-R1", 50000, "退费")
    client.refund("STQ", "STQ-R1", 4321, "退费")
    s = client.statement(datetime.now(CST).date())
    orders = [client.query(n) for n in ("STA", "STB", "STC", "STQ")]
    assert s.pay_count == 4 and s.pay_total == sum(o.total_fee for o in orders)
    assert s.refund_count == 2 and s.refund_total == sum(o.refund_fee for o in orders) == 54321
    assert s.net_total == s.pay_total - s.refund_total - s.fee_total
    assert {r.transaction_id for r in s.rows if r.kind == "支付"} == {o.transaction_id for o in orders}
    assert sum(r.fee for r in s.rows) == s.fee_total and "STF" not in s.csv_text
    client.close_http()


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_face_verify_match_no_match_and_wrong_phone(sim: PaySimProcess, client: PaymentClient) -> None:
    face = Image.open(FACE)
    sim.control.enrol("13800138001", FACE.read_bytes(), name="王五", patient_id="P1001")
    sim.control.enrol("13800138002", _jpeg(ImageOps.mirror(face)), name="赵六", id_card_no="44010619800303002X",
                      patient_id="P1002")
    frame = _jpeg(ImageEnhance.Contrast(face).enhance(1.2))  # the kiosk's camera: same face, other light
    who = client.face_verify("13800138001", frame)
    assert (who.name, who.patient_id) == ("王五", "P1001")
    with pytest.raises(PaymentError) as no_match:
        client.face_verify("13800138002", frame)
    assert no_match.value.code == "E3752" and "不一致" in no_match.value.message
    with pytest.raises(PaymentError) as wrong_phone:
        client.face_verify("13800138009", frame)
    assert wrong_phone.value.code == "E3751"
    started = time.monotonic()
    client.face_verify("13800138001", FACE.read_bytes())
    assert time.monotonic() - started < 2
