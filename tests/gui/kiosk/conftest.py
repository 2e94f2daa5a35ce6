"""The real stack under the kiosk window: finance simulator, sync server (--demo), HIS simulator
wired to it, payment simulator — each a process on 127.0.0.1, one set per test module — and
kiosk windows built by kiosk_app.app over virtual devices (receipt PNGs in data_dir/prints), the
social-security card reader optionally on the real pcscd rig."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
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

    def patient(self, **fields: Any) -> dict[str, Any]:
        """A new HIS patient (with a hospital card and 100.00 prepayment unless told)."""
        body = {"name": "测试患者", "sex": "男", "birthDate": "1980-01-01", "phone": "13911112222",
                "withCard": True, "prepay": "100.00"} | fields
        return dict(bg(lambda: self.his.control("patients", body))["patient"])

    def charge(self, patient_id: str, **fields: Any) -> dict[str, Any]:
        body = {"patientId": patient_id, "count": 2, "seed": 7} | fields
        return dict(bg(lambda: self.his.control("charges", body))["charge"])

    def his_control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """A HIS simulator control call, off the GUI thread (the I/O guard watches that one)."""
        return bg(lambda: self.his.control(path, body))

    def pay_get(self, path: str) -> Any:
        """A payment simulator control GET (``/_sim/orders/<no>`` …), off the GUI thread."""
        return bg(lambda: self.pay.control._get(path))


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


@pytest.fixture
def open_ui(qtbot, qapp, tmp_path, kiosk_stack) -> Iterator[Callable[..., Any]]:
    """``open_ui(ssc=None, payment=None)``: a started kiosk and its window, closed after the test.
    ``ssc`` replaces the social-security reader's device table (the pcscd rig: driver pcsc);
    ``payment`` overrides PaymentSettings fields (deadlines)."""
    from dataclasses import replace

    from devices.registry import build_devices
    from kiosk_app.app import demo_config, virtual_devices
    from kiosk_app.controller import KioskController
    from kiosk_app.theme import SCREEN_H, SCREEN_W
    from kiosk_app.window import KioskWindow
    from qt_common.fonts import install_app_font
    from tests.gui.kiosk.ui import Ui
    from workflows.events import Events
    from workflows.kiosk.builder import build_kiosk

    install_app_font(qapp)
    opened: list[Ui] = []

    def open_(ssc: dict[str, Any] | None = None, payment: dict[str, Any] | None = None) -> Ui:
        data = tmp_path / f"kiosk{len(opened)}"

        def build() -> Any:
            data.mkdir(parents=True, exist_ok=True)
            tables = virtual_devices(data) | ({"ssc_reader": ssc} if ssc else {})
            cfg = demo_config(data, **kiosk_stack.stack_args())
            if payment and cfg.payment is not None:
                cfg.payment = replace(cfg.payment, **payment)
            kiosk = build_kiosk(cfg, build_devices(tables), Events())
            kiosk.start()
            return kiosk

        kiosk = bg(build)
        win = KioskWindow(kiosk.config.hospital, idle_s=300, countdown_s=30)
        qtbot.addWidget(win)
        win.resize(SCREEN_W, SCREEN_H)
        win.show()
        ctl = KioskController(kiosk, win, maintain_ms=0)
        ui = Ui(win, ctl, kiosk, data, qtbot)
        opened.append(ui)
        qtbot.waitUntil(lambda: bool(ctl.functions), timeout=10000)  # the first availability check
        return ui

    yield open_
    for ui in opened:
        ui.ctl.close()
        ui.win.close()
        bg(ui.kiosk.close)
