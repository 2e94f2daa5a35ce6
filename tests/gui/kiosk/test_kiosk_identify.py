"""Identification on the kiosk window: the social-security card through the real pcscd rig (the
card watcher starts it when the card goes in, pulling it mid-flow leaves nothing on screen), the
ID card on the virtual reader, the e-voucher QR on the virtual scanner, and the face (virtual
camera + the phone number on the keypad, enrolled at the payment simulator)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from devices.virtual.card_readers import DEMO_ID
from print_templates.masking import mask_name
from tests.gui.conftest import bg
from tests.rigs.payment import FACE

pytestmark = pytest.mark.usefixtures("io_guard")
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


def _greeted(ui, p: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    """On the menu, greeted by the masked name; the ID number and phone only ever masked."""
    seen = ui.texts()
    assert ui.win.current().key == "home"
    assert ui.win.patient.text() == f"{mask_name(p['name'])}，您好"
    assert p["idNo"] not in seen and p["phone"] not in seen
    assert f"{p['idNo'][:4]}" in ui.win.home.ids.text() and "*" in ui.win.home.ids.text()
    assert p["phone"][-4:] in ui.win.home.ids.text()


def _nothing_left(ui, p: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    seen = ui.texts()
    assert ui.win.current().key == "attract" and ui.win.patient.text() == ""
    for secret in (p["name"], mask_name(p["name"]), p["idNo"], p["idNo"][-4:], p["phone"][-4:]):
        assert secret not in seen, secret
    ui.qtbot.waitUntil(lambda: ui.kiosk.session.patient is None, timeout=5000)  # reset runs off the GUI thread


def test_ssc_through_pcscd_then_card_pulled_mid_flow(qtbot, open_ui, pcsc, kiosk_stack):
    """GIVEN the kiosk on the pcscd reader WHEN the social-security card goes in THEN the patient
    is identified without a tap and shown masked; WHEN it is pulled on the top-up screen THEN the
    window is back on the attract screen with nothing of the patient left."""
    from tests.rigs.pcscd import READER
    ui = open_ui(ssc={"driver": "pcsc", "reader": READER})
    assert ui.win.attract.methods.buttons["ssc"].isEnabled()
    pcsc.insert(FIX / "ssse_zhangsan.json")  # card A12345678: 李娜 in the HIS demo data
    ui.wait("home", timeout=30000)
    p = next(x for x in kiosk_stack.his.demo["patients"] if x.get("ssCard") == "A12345678")
    _greeted(ui, p)
    ui.win.home.tiles.buttons["prepay"].click()
    ui.wait("topup")
    assert "预交金余额" in ui.win.topup.account.text()
    pcsc.remove()
    qtbot.waitUntil(lambda: ui.win.current().key == "attract", timeout=10000)
    _nothing_left(ui, p)
    assert ui.win.topup.account.text() == "" and ui.win.home.who.text() == ""
    assert ui.printed() == []  # nothing was paid, nothing printed


def test_id_card_on_the_virtual_reader(open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="周身份", phone="13700001111")
    ui = open_ui()
    bg(lambda: ui.device("id_reader").place(replace(DEMO_ID, name=p["name"], id_no=p["idNo"])))
    ui.win.attract.methods.buttons["id_card"].click()
    ui.wait("home")
    _greeted(ui, p)
    ui.tap("logout")
    _nothing_left(ui, p)


def test_e_voucher_qr_on_the_virtual_scanner(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="吴凭证", phone="13700002222", eVoucher="EVGUIVOUCHER000000001")
    ui = open_ui()
    ui.win.attract.methods.buttons["e_voucher"].click()
    assert ui.win.current().key == "identify"
    assert "医保电子凭证" in ui.win.identify.prompt.text()
    qtbot.waitUntil(lambda: ui.win.busy_bar.text() == "请将二维码对准扫码口…", timeout=5000)
    bg(lambda: ui.device("scanner").scan("EVGUIVOUCHER000000001"))
    ui.wait("home")
    _greeted(ui, p)
    # An unknown voucher is refused on the identify screen (with 重新识别), nothing else happens.
    # The next patient taps at once after 退出: the session's reset (off the GUI thread) must not
    # throw the new identification back to the attract screen when its event arrives.
    ui.tap("logout")
    ui.win.attract.methods.buttons["e_voucher"].click()
    qtbot.wait(300)
    qtbot.waitUntil(lambda: ui.kiosk.session.patient is None, timeout=5000)
    assert ui.win.current().key == "identify", ui.win.current().key
    bg(lambda: ui.device("scanner").scan("EVUNKNOWNVOUCHER0000099"))
    qtbot.waitUntil(lambda: ui.win.identify.message.isVisible(), timeout=20000)
    assert ui.win.current().key == "identify" and ui.win.identify.again.isVisible()
    assert ui.kiosk.session.patient is None


def test_face_with_the_phone_on_the_keypad(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="孙刷脸", phone="13822223333")
    bg(lambda: kiosk_stack.pay.control.enrol(p["phone"], FACE.read_bytes(), name=p["name"],
                                             id_card_no=p["idNo"], patient_id=""))
    ui = open_ui()
    ui.win.attract.methods.buttons["face"].click()
    assert ui.win.current().key == "identify" and ui.win.identify.keypad.isVisible()
    qtbot.waitUntil(lambda: ui.win.identify.preview.pixmap() is not None
                    and not ui.win.identify.preview.pixmap().isNull(), timeout=10000)  # the camera's frame
    ui.type(ui.win.identify.keypad, "1382222")
    ui.tap("identifyOk")
    assert ui.win.identify.message.text() == "请输入11位手机号"  # refused on the screen, nothing sent
    ui.type(ui.win.identify.keypad, "3333")
    ui.tap("identifyOk")
    ui.wait("home")
    _greeted(ui, p)


def test_ssc_pulled_during_a_qr_payment_finishes_the_payment_first(qtbot, open_ui, pcsc, kiosk_stack):
    """GIVEN a QR payment on screen WHEN the social-security card is pulled THEN the payment screen
    stays (the money path finishes first); once the phone pays, the result is shown without any
    patient data, the receipt printed once, and 继续办理 leads back to the attract screen."""
    from tests.rigs.pcscd import READER
    p = next(x for x in kiosk_stack.his.demo["patients"] if x.get("ssCard") == "A12345678")
    kiosk_stack.charge(p["id"], count=1)
    ui = open_ui(ssc={"driver": "pcsc", "reader": READER})
    pcsc.insert(FIX / "ssse_zhangsan.json")
    ui.wait("home", timeout=30000)
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    ui.tap("outpatientPay")
    ui.pay_by("qr")
    order_no = ui.qr_shown()
    pcsc.remove()
    qtbot.wait(1000)  # the card watcher polls every 0.3 s
    assert ui.win.current().key == "payment" and ui.win.payment.qr.payload
    bg(lambda: kiosk_stack.pay.control.scan(order_no, "wechat"))
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    qtbot.waitUntil(lambda: ui.kiosk.session.patient is None, timeout=5000)
    seen = ui.texts()
    assert ui.win.patient.text() == "" and ui.win.home.who.text() == ""
    assert p["name"] not in seen and mask_name(p["name"]) not in seen and p["idNo"][-4:] not in seen
    assert len([t for t in ui.printed() if "门诊缴费凭条" in t]) == 1
    assert kiosk_stack.pay_get(f"/_sim/orders/{order_no}")["trade_state"] == "SUCCESS"
    ui.tap("resultAgain")
    assert ui.win.current().key == "attract"
