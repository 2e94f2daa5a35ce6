"""The kiosk window driven through real flows: virtual devices, the real session and checkout,
the finance / sync server / HIS / payment simulators as processes. Checks what the patient sees
and what the receipt printer printed. (Identification, money, records and faults each have their
own module: test_kiosk_identify, test_kiosk_money, test_kiosk_records, test_kiosk_faults.)"""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.usefixtures("io_guard")


def test_hospital_card_outpatient_paid_from_prepayment(qtbot, open_ui, kiosk_stack):
    """就诊卡 typed on the keypad -> menu -> 门诊缴费 -> 预交金支付 -> result with the receipt printed."""
    p = kiosk_stack.patient(name="韩预交", prepay="500.00")
    kiosk_stack.charge(p["patientId"], count=2)
    ui = open_ui()
    ui.win.attract.methods.buttons["hospital_card"].click()
    assert ui.win.current().key == "identify"
    ui.type(ui.win.identify.keypad, p["hospitalCard"])
    ui.tap("identifyOk")
    ui.wait("home")
    assert p["idNo"] not in ui.texts()  # the ID number is only ever shown masked
    assert ui.win.home.balance.text() == "预交金余额：¥500.00"
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    assert len(ui.win.outpatient.checks) == 1
    total = ui.win.outpatient.total_of(ui.win.outpatient.selected())
    ui.tap("outpatientPay")
    assert ui.win.current().key == "confirm_pay"
    ui.pay_by("prepayment")
    ui.wait("result", timeout=60000)
    assert ui.win.result.headline.text().startswith("✔"), ui.win.result.headline.text()
    seen = ui.texts()
    assert "凭条：已打印，请取走" in seen and f"余额：¥{Decimal('500.00') - total:,.2f}" in seen, seen
    assert ui.receipt_files(), "nothing printed"
    receipt = ui.printed()[0]
    assert "门诊缴费凭条" in receipt and f"¥{total:,.2f}" in receipt and "预交金" in receipt, receipt
    assert p["idNo"] not in receipt and p["phone"] not in receipt
    ui.finish()
    assert p["name"] not in ui.texts()
