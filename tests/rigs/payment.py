"""The payment simulator for tests: in process over the Flask test client (unit tests, manual
clock), or as ``python -m simulators.payment`` on a free port (integration tests), plus its
control endpoints."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask

from tests.rigs.stack import ROOT, free_port, spawn_simulator, stop_process

MCH_ID, KEY = "1900000109", "demo-payment-key-2026-hmac-sha256"
OTHER_MCH_ID, OTHER_KEY = "1900000110", "demo-payment-key-2026-other-merchant"
FACE = ROOT / "devices" / "virtual" / "assets" / "face.jpg"
#: Payment codes of each channel (prefix and length as the real ones).
WECHAT_CODE = "134567890123456789"
ALIPAY_CODE = "28763443825664394"
UNIONPAY_CODE = "6225880000000000001"

Transport = Callable[[str, bytes, float], tuple[int, bytes]]


def flask_transport(app: Flask) -> Transport:
    """A PaymentClient transport that hands each request to the simulator app in this process."""
    client = app.test_client()

    def send(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        resp = client.post(urlsplit(url).path, data=body, content_type="application/json")
        return resp.status_code, resp.get_data()

    return send


class Control:
    """The ``/_sim`` endpoints over a Flask test client or over HTTP."""

    def __init__(self, post: Callable[[str, dict[str, Any]], Any], get: Callable[[str], Any]) -> None:
        self._post = post
        self._get = get

    @classmethod
    def of_app(cls, app: Flask) -> Control:
        c = app.test_client()

        def post(path: str, body: dict[str, Any]) -> Any:
            r = c.post(path, json=body)
            assert r.status_code == 200, r.get_json()
            return r.get_json()

        return cls(post, lambda path: c.get(path).get_json())

    @classmethod
    def of_url(cls, base: str) -> Control:
        def post(path: str, body: dict[str, Any]) -> Any:
            r = requests.post(base + path, json=body, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        return cls(post, lambda path: requests.get(base + path, timeout=10).json())

    def knobs(self, **changes: Any) -> dict[str, Any]:
        return dict(self._post("/_sim/knobs", changes))

    def plan(self, out_trade_no: str, **plan: Any) -> Any:
        return self._post(f"/_sim/orders/{out_trade_no}/plan", plan)

    def scan(self, out_trade_no: str, channel: str = "wechat") -> Any:
        return self._post(f"/_sim/orders/{out_trade_no}/scan", {"channel": channel})

    def confirm(self, out_trade_no: str) -> Any:
        return self._post(f"/_sim/orders/{out_trade_no}/confirm", {})

    def enrol(self, phone: str, image: bytes, name: str = "张三", id_card_no: str = "440106199001011234",
              patient_id: str = "P0001") -> Any:
        return self._post("/_sim/faces", {"phone": phone, "name": name, "id_card_no": id_card_no,
                                          "patient_id": patient_id,
                                          "face_image": base64.b64encode(image).decode("ascii")})

    def notifications(self) -> list[dict[str, Any]]:
        return list(self._get("/_sim/notifications")["notifications"])


class PaySimProcess:
    """``python -m simulators.payment`` on a free port, restartable on the same port and data."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.args = list(args)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control(self) -> Control:
        return Control.of_url(self.url)

    def start(self) -> PaySimProcess:
        self.proc = spawn_simulator("simulators.payment", self.port, self.data_dir, *self.args, stderr=subprocess.PIPE)
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def demo(self) -> dict[str, Any]:
        return dict(json.loads((self.data_dir / "demo.json").read_text(encoding="utf-8")))
