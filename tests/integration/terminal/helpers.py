"""Helpers of the terminal tests: write a runtime config, start/kill ``python -m workflows.terminal``."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from billing_core.crypto import SM2PrivateKey
from workflows.terminal.control import ControlClient

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "fixtures" / "requests" / "outpatient.json"
METHOD = "invoiceEBillOutpatient"


def outpatient(bus_no: str) -> dict[str, Any]:
    """The sample outpatient request (386.50 yuan) with its own busNo."""
    data: dict[str, Any] = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    data["busNo"] = bus_no
    return data


def write_config(data_dir: Path, server_url: str, *, terminal_id: str = "T1", key: str = "key-T1",
                 private_key: SM2PrivateKey, printer_port: int | None = None, maintain_interval: float = 0,
                 **extra: Any) -> Path:
    """A runtime config file in ``data_dir`` (fast link timeouts for tests)."""
    cfg: dict[str, Any] = {
        "terminal_id": terminal_id, "appid": terminal_id, "key": key, "server_url": server_url,
        "place_code": "001", "data_dir": str(data_dir), "private_key": private_key.to_hex(),
        "hospital_name": "测试医院", "place_name": "门诊收费处",
        "link": {"connect_timeout": 0.5, "read_timeout": 3, "failure_threshold": 1, "open_seconds": 0.2,
                 "max_open_seconds": 0.5},
        "maintain_interval": maintain_interval,
    }
    if printer_port is not None:
        cfg["printer"] = {"driver": "escpos", "host": "127.0.0.1", "port": printer_port, "timeout": 3}
    cfg.update(extra)
    path = data_dir / "terminal.json"
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    return path


class Terminal:
    """A running terminal process and a control connection to it."""

    def __init__(self, config: Path, crash_at: str = "") -> None:
        self.config = config
        port_file = config.parent / "control.port"
        if port_file.exists():
            port_file.unlink()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("TERMINAL_CRASH_AT", None)
        if crash_at:
            env["TERMINAL_CRASH_AT"] = crash_at
        with open(config.parent / "terminal.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen([sys.executable, "-m", "workflows.terminal", "--config", str(config)],
                                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        self.client = ControlClient.wait(port_file, timeout=30)

    def call(self, cmd: str, **args: Any) -> Any:
        """Run a command that must succeed; returns its result."""
        answer = self.client.call(cmd, **args)
        assert answer["ok"], answer
        return answer["result"]

    def link_back(self, timeout: float = 10.0) -> None:
        """Probe until the breaker closes again (it half-opens after its wait)."""
        deadline = time.monotonic() + timeout
        while not self.call("probe")["up"]:
            assert time.monotonic() < deadline, "link did not come back"
            time.sleep(0.1)

    def raw(self, cmd: str, **args: Any) -> dict[str, Any]:
        return self.client.call(cmd, **args)

    def wait_dead(self, timeout: float = 20) -> int:
        """Wait for the process to end (after a fault injection); returns its return code."""
        self.client.close()
        return self.proc.wait(timeout)

    def stop(self) -> None:
        try:
            self.client.call("shutdown")
        except (OSError, ConnectionError):
            pass
        self.client.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
