"""The real stack under the kiosk window: finance simulator, sync server (--demo), HIS simulator
wired to it, payment simulator — each a process on 127.0.0.1 — and a kiosk built by
kiosk_app.app.build_demo over virtual devices (receipt PNGs in data_dir/prints)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.gui.conftest import bg, io_guard  # noqa: E402,F401  (the GUI-thread I/O guard)
from tests.rigs.his_rig import HisProcess  # noqa: E402
from tests.rigs.payment import PaySimProcess  # noqa: E402
from tests.rigs.stack import ServerProcess, Simulator  # noqa: E402


@dataclass
class KioskStack:
    finance: Simulator
    server: ServerProcess
    his: HisProcess
    pay: PaySimProcess
    root: Path

    def stack_args(self) -> dict[str, Any]:
        return {"server_url": f"http://127.0.0.1:{self.server.port}", "server_dir": self.server.data_dir,
                "his_url": self.his.url, "his_dir": self.his.data_dir, "payment_url": self.pay.url,
                "payment_dir": self.pay.data_dir}


@pytest.fixture(scope="module")
def kiosk_stack(tmp_path_factory) -> Iterator[KioskStack]:
    root = tmp_path_factory.mktemp("kiosk-stack")
    finance = Simulator(root / "finance").start()
    server = ServerProcess(root / "server", finance.url).start()
    his = HisProcess(root / "his").start()
    pay = PaySimProcess(root / "payment").start()
    kiosk_his = next(c for c in server.demo["callers"] if c["appid"] == "HIS02")
    his.control("config", {"syncUrl": server.method_url, "syncAppid": kiosk_his["appid"],
                           "syncKey": kiosk_his["key"], "placeCode": kiosk_his["placeCodes"][0]})
    yield KioskStack(finance, server, his, pay, root)
    for p in (pay, his, server, finance):
        p.stop()
