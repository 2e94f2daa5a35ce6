"""The ward workspace under the real cashier window: demo services for the window itself, and a
nurse station (workflows.ward) over the real processes of the ward rig (finance simulator, sync
server, HIS and payment simulators), one set per module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from cashier_app.main_window import MainWindow  # noqa: E402
from cashier_app.pages.ward import WardWorkspace  # noqa: E402
from cashier_app.printers import WindowPrinters  # noqa: E402
from qt_common.fonts import install_app_font  # noqa: E402
from tests.gui.conftest import bg, login  # noqa: E402,F401  (io_guard comes from tests/gui/conftest.py)
from tests.integration.ward.rig import WardRig  # noqa: E402
from workflows.demo.cashier import demo_services  # noqa: E402
from workflows.ward.builder import Ward  # noqa: E402

#: the HIS simulator's ward items -> the insurance simulator's catalogue (医保目录对照)
INS_CODES = {"C0001": "120100001", "C0002": "110200001", "T0001": "110200001", "J0001": "250101015",
             "X0012": "XR05CBA037A001010100794", "X0002": "XR05CBA037A001010100794"}
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardRig]:
    r = WardRig(tmp_path_factory.mktemp("ward_gui_rig"))
    try:
        yield r.start(insurance=True)
    finally:
        r.stop()


@dataclass
class WardWindow:
    win: MainWindow
    ward: Ward
    ws: WardWorkspace
    rig: WardRig
    tmp: Path

    def shot(self, name: str) -> Path:
        """Save the window as docs/screenshots/ward_<name>.png."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"ward_{name}.png"
        assert self.win.grab().save(str(path))
        return path


@pytest.fixture
def ward_window(qtbot, qapp, tmp_path, rig: WardRig, io_guard) -> Iterator[WardWindow]:  # type: ignore[no-untyped-def]
    install_app_font(qapp)
    printers = WindowPrinters(None, tmp_path / "paper", "测试医院")
    services, _platform = bg(lambda: demo_services(tmp_path / "win", printer=printers))
    ward = bg(lambda: rig.ward(tmp_path / "ward", minimum_deposit=Decimal("1000.00"),
                               top_up_url="https://his.example/ward/topup",
                               daily_list_url="https://his.example/ward/daily", insurance_codes=INS_CODES,
                               admdvs="440300"))
    bg(ward.maintain)
    win = MainWindow(services, printers, probe_ms=0, ward=ward)
    qtbot.addWidget(win)
    win.resize(1366, 860)
    win.show()
    qtbot.waitExposed(win)
    ws = win.pages["ward"]
    assert isinstance(ws, WardWorkspace)
    w = WardWindow(win, ward, ws, rig, tmp_path)
    yield w
    win.close()
    win.tasks.wait(20000)
    bg(ward.close)
    while rig.devices:
        d = rig.devices.pop()
        bg(d.shutdown)
