"""Rigs of the HIS simulator tests: a signing caller over Flask's test client (unit tests, no
sockets) and ``python -m simulators.his`` as a real process (integration tests)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import requests
from flask.testing import FlaskClient

from simulators.his.context import HisContext
from tests.rigs.stack import free_port, spawn_simulator, stop_process


class Caller:
    """Signs calls as one registered caller and returns (code, msg, data)."""

    def __init__(self, client: FlaskClient, ctx: HisContext, appid: str, key: str) -> None:
        self.client, self.ctx, self.appid, self.key = client, ctx, appid, key

    def raw(self, operation: str, body: bytes, *, ts: int | None = None, nonce: str | None = None,
            key: str | None = None, appid: str | None = None) -> Any:
        ts_text = str(ts if ts is not None else int(self.ctx.now().timestamp() * 1000))
        nonce = nonce or secrets.token_hex(8)
        sig = hmac.new((key or self.key).encode(), f"{ts_text}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()
        return self.client.post(f"/his/api/{operation}", data=body, headers={
            "X-His-Appid": appid or self.appid, "X-His-Timestamp": ts_text, "X-His-Nonce": nonce,
            "X-His-Signature": sig, "Content-Type": "application/json"})

    def call(self, operation: str, data: dict[str, Any]) -> tuple[str, str, Any]:
        resp = self.raw(operation, json.dumps(data, ensure_ascii=False).encode())
        out = resp.get_json()
        return out["code"], out["msg"], out["data"]

    def ok(self, operation: str, data: dict[str, Any]) -> Any:
        code, msg, out = self.call(operation, data)
        assert code == "0", f"{operation}: {code} {msg}"
        return out


def rid() -> str:
    """A fresh requestId."""
    return secrets.token_hex(8)


class HisProcess:
    """``python -m simulators.his`` on a fixed free port, restartable on the same port and data."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> HisProcess:
        self.proc = spawn_simulator("simulators.his", self.port, self.data_dir)
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    @property
    def demo(self) -> dict[str, Any]:
        """Callers (with keys) and demo patients written on the first start."""
        return dict(json.loads((self.data_dir / "demo.json").read_text(encoding="utf-8")))

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """POST (or GET without a body) a ``/_sim/...`` control endpoint."""
        url = f"{self.url}/_sim/{path}"
        r = requests.post(url, json=body, timeout=10) if body is not None else requests.get(url, timeout=10)
        r.raise_for_status()
        return r.json()
