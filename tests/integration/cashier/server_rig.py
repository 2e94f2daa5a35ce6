"""The real finance simulator and sync server as subprocesses on free ports (cashier tests).

``python -m simulators.finance`` and ``python -m sync_server --finance-url ...`` are started once
per session; the server's first start writes ``demo.json`` with the terminal caller (TERM01) and
the demo users, which the cashier window uses exactly as a real terminal would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.rigs.stack import ServerProcess, Simulator


@dataclass
class ServerRig:
    """Simulator + sync server as processes (tests/rigs/stack.py); ``stop_server``/``start_server``
    make an outage on the same port."""

    tmp: Path
    finance_port: int = 0
    server_port: int = 0
    finance: Simulator | None = None
    server: ServerProcess | None = None

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
        self.finance = Simulator(self.tmp / "finance", port=self.finance_port or None).start()
        self.finance_port = self.finance.port
        self.server = ServerProcess(self.tmp / "server", self.finance.url, port=self.server_port or None)
        self.server_port = self.server.port
        self.start_server()
        return self

    def start_server(self) -> None:
        assert self.server is not None
        self.server.start()

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()

    def stop(self) -> None:
        self.stop_server()
        if self.finance is not None:
            self.finance.stop()


def paper_batch_code(api: Any, place_code: str) -> str:
    """The paper form batch of a billing point (workflows.paper.discover_paper_batch)."""
    from workflows.paper import discover_paper_batch

    return discover_paper_batch(api, place_code)
