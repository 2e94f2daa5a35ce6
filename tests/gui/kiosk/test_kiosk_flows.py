"""The kiosk window driven through real flows: virtual devices, the real session and checkout,
the finance / sync server / HIS / payment simulators as processes. Checks what the patient sees
and what the receipt printer printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.app import build_demo
from kiosk_app.audit import all_texts
from kiosk_app.controller import KioskController
from kiosk_app.theme import SCREEN_H, SCREEN_W
from kiosk_app.window import KioskWindow
from qt_common.fonts import install_app_font
from qt_common.qt import QPushButton
from tests.gui.conftest import bg

pytestmark = pytest.mark.usefixtures("io_guard")


@pytest.fixture
def kiosk_window(qtbot, qapp, tmp_path, kiosk_stack):
    install_app_font(qapp)
    kiosk, devices = bg(lambda: build_demo(tmp_path / "kiosk", **kiosk_stack.stack_args()))
    bg(kiosk.start)
    win = KioskWindow(kiosk.config.hospital, idle_s=300, countdown_s=30)
    qtbot.addWidget(win)
    win.resize(SCREEN_W, SCREEN_H)
    win.show()
    ctl = KioskController(kiosk, win, maintain_ms=0)
    yield win, ctl, kiosk, tmp_path / "kiosk"
    ctl.close()
    win.close()
    bg(kiosk.close)


def _patient(kiosk_stack, field: str) -> dict:
    return next(p for p in kiosk_stack.his.demo["patients"] if p.get(field))


def _type(win: KioskWindow, digits: str) -> None:
    for ch in digits:
        win.identify.keypad.keys[ch].click()


def test_hospital_card_outpatient_paid_from_prepayment(qtbot, kiosk_window, kiosk_stack):
    """就诊卡 typed on the keypad -> menu -> 门诊缴费 -> 预交金支付 -> result with the receipt printed."""
    win, ctl, kiosk, data = kiosk_window
    p = _patient(kiosk_stack, "hospitalCard")
    win.attract.methods.buttons["hospital_card"].click()
    assert win.current().key == "identify"
    _type(win, p["hospitalCard"])
    win.identify.ok.click()
    qtbot.waitUntil(lambda: win.current().key in ("home", "error") or win.identify.message.isVisible(), timeout=20000)
    assert win.current().key == "home", win.current().message.text() or win.error.text.text()
    assert p["idNo"] not in "\n".join(all_texts(win))  # the ID number is only ever shown masked
    win.home.tiles.buttons["outpatient"].click()
    qtbot.waitUntil(lambda: win.current().key in ("outpatient", "error"), timeout=20000)
    assert win.current().key == "outpatient", win.error.text.text()
    if not win.outpatient.checks:
        pytest.skip("the demo patient has no pending charges")
    win.outpatient.go.click()
    assert win.current().key == "confirm_pay"
    choice = win.confirm_pay.methods.buttons.get("prepayment")
    if choice is None or not choice.isEnabled():
        pytest.skip("prepayment balance too small for the pending charges")
    choice.click()
    qtbot.waitUntil(lambda: win.current().key in ("result", "error"), timeout=60000)
    assert win.current().key == "result", win.error.text.text()
    assert win.result.headline.text().startswith("✔"), win.result.headline.text()
    prints = list(Path(data, "prints").glob("*.png"))
    assert prints, "nothing printed"
    assert any("凭条：已打印" in t for t in all_texts(win))
    win.result.findChild(QPushButton, "resultFinish").click()
    assert win.current().key == "attract"
    assert p["name"] not in "\n".join(all_texts(win))
