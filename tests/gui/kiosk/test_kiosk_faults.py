"""Faults the patient meets on the kiosk window: the sync server gone before paying (the bill is
issued from the emergency stock; the result screen and the receipt say 已应急开票 / 应急票据),
and the receipt printer out of paper (what needs it is greyed with the reason, the rest works)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from devices.printer import PaperState
from tests.gui.conftest import bg
from tests.rigs.payment import WECHAT_CODE

pytestmark = pytest.mark.usefixtures("io_guard")


def _hospital_card(ui, card_no: str) -> None:  # type: ignore[no-untyped-def]
    ui.win.attract.methods.buttons["hospital_card"].click()
    ui.type(ui.win.identify.keypad, card_no)
    ui.tap("identifyOk")
    ui.wait("home")


def test_sync_server_stopped_before_paying_emergency_bill(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="梁应急", prepay="0.00")
    kiosk_stack.charge(p["patientId"], count=1)
    ui = open_ui()
    assert bg(lambda: ui.kiosk.terminal.workflow.status()).stock_remaining > 0  # start() took a block
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    total = ui.win.outpatient.total_of(ui.win.outpatient.selected())
    bg(kiosk_stack.server.stop)
    try:
        ui.tap("outpatientPay")
        ui.pay_by("code")
        ui.show_code(WECHAT_CODE)
        ui.wait("result", timeout=60000)
        seen = ui.texts()
        assert ui.win.result.headline.text().startswith("✔"), seen
        assert ui.win.result.emergency.isVisible() and "已应急开票" in ui.win.result.emergency.text()
        assert f"金额：¥{total:,.2f}" in seen and "凭条：已打印，请取走" in seen
        printed = "\n".join(ui.printed())
        assert "应急票据" in printed, printed
        assert ui.kiosk.session.patient is not None
    finally:
        bg(kiosk_stack.server.start)


def test_printer_out_of_paper_greys_what_needs_it(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="宋缺纸", prepay="100.00")
    ui = open_ui()
    printer = ui.device("receipt_printer")
    printer.paper = PaperState.OUT
    ui.ctl.refresh_functions()
    reason = "凭条打印机故障，请到人工窗口办理"
    qtbot.waitUntil(lambda: not ui.win.attract.new_card.isEnabled(), timeout=10000)
    assert reason.split("，")[0] in ui.win.attract.new_card.text()  # 办就诊卡 prints a receipt
    assert ui.win.attract.methods.buttons["hospital_card"].isEnabled()  # identifying needs no paper
    _hospital_card(ui, p["hospitalCard"])
    qtbot.waitUntil(lambda: "outpatient" in ui.win.home.tiles.buttons
                    and not ui.win.home.tiles.buttons["outpatient"].isEnabled(), timeout=10000)
    for fn in ("outpatient", "prepay", "registration"):
        tile = ui.win.home.tiles.buttons[fn]
        assert not tile.isEnabled() and "凭条打印机故障" in tile.text(), (fn, tile.text())
    assert ui.win.home.tiles.buttons["query"].isEnabled()  # a query prints nothing
    ui.win.home.tiles.buttons["query"].click()
    ui.wait("query")
    # Paper back: the functions come back on the next check (返回首页 re-checks).
    printer.paper = PaperState.OK
    ui.tap("footerHome")
    qtbot.waitUntil(lambda: ui.win.home.tiles.buttons["outpatient"].isEnabled(), timeout=10000)
    ui.win.home.tiles.buttons["prepay"].click()
    ui.wait("topup")
    ui.win.topup.presets.buttons["100"].click()
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    ui.wait("result", timeout=60000)
    assert "凭条：已打印，请取走" in ui.texts() and ui.printed()
    assert ui.his_balance(p["patientId"]) == Decimal("200.00")
