"""The real finance simulator and sync server as subprocesses on free ports (cashier tests).

``python -m simulators.finance`` and ``python -m sync_server --finance-url ...`` are started once
per session; the server's first start writes ``demo.json`` with the terminal caller (TERM01) and
the demo users, which the cashier window uses exactly as a real terminal would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.rigs.stack import ServerProcess

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not open")


@dataclass
class ServerRig:
    """Simulator + sync server; ``stop_server``/``start_server`` make an outage on the same port."""

    tmp: Path
    finance_port: int = 0
    server_port: int = 0
    finance: subprocess.Popen[bytes] | None = None
    server: subprocess.Popen[bytes] | None = None

    @property
    def server_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    @property
    def demo(self) -> dict[str, Any]:
        return json.loads((self.tmp / "server" / "demo.json").read_text(encoding="utf-8"))

    def terminal(self) -> dict[str, Any]:
        return next(c for c in self.demo["callers"] if c["kind"] == "terminal")

    def user(self, role: str) -> dict[str, Any]:
        return next(u for u in self.demo["users"] if u["role"] == role)

    def start(self) -> ServerRig:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.finance_port = self.finance_port or free_port()
        self.finance = subprocess.Popen(
            [sys.executable, "-m", "simulators.finance", "--host", "127.0.0.1", "--port", str(self.finance_port),
             "--data-dir", str(self.tmp / "finance")], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(self.finance_port, self.finance)
        self.server_port = self.server_port or free_port()
        self.start_server()
        return self

    def start_server(self) -> None:
        self.server = ServerProcess(self.tmp / "server", f"http://127.0.0.1:{self.finance_port}/medical-web/api/medical",
                                    port=self.server_port).start().proc

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    def stop(self) -> None:
        self.stop_server()
        if self.finance is not None and self.finance.poll() is None:
            self.finance.send_signal(signal.SIGTERM)
            try:
                self.finance.wait(15)
            except subprocess.TimeoutExpired:
                self.finance.kill()


def paper_batch_code(api: Any, place_code: str) -> str:
    """The paper form batch of a billing point (workflows.cashier.paper.discover_paper_batch)."""
    from workflows.cashier.paper import discover_paper_batch

    return discover_paper_batch(api, place_code)
