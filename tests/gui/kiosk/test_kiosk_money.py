"""Money flows on the kiosk window, paid the ways a patient pays: 门诊缴费 from the prepayment,
办就诊卡 with a first top-up by QR (the payment simulator's scan control plays the phone), 门诊缴费
by QR with a late success and one paid too late, 预交金 and 住院押金 top-ups by payment code (the virtual scanner), 出院结算 with the self-pay part.
Each checks the screen the patient sees and the receipt the virtual printer printed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from devices.virtual.card_readers import DEMO_ID
from tests.gui.conftest import bg
from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE

pytestmark = pytest.mark.usefixtures("io_guard")


def _settled_by(stack, patient_id: str, order_no: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    """The HIS settlements paid by one payment order."""
    from workflows.his import HisClient
    caller = stack.his.demo["callers"][0]

    def read() -> list:  # type: ignore[type-arg]
        with HisClient(stack.his.url, caller["appid"], caller["key"]) as his:
            return [s for s in his.settlements(patient_id) if s.pay_ref == order_no]
    return list(bg(read))


def _hospital_card(ui, card_no: str) -> None:  # type: ignore[no-untyped-def]
    ui.win.attract.methods.buttons["hospital_card"].click()
    ui.type(ui.win.identify.keypad, card_no)
    ui.tap("identifyOk")
    ui.wait("home")


def _paid(ui, amount: Decimal, timeout: int = 60000) -> str:  # type: ignore[no-untyped-def]
    """The result screen says ✔ with the amount and the receipt printed; the text of what the
    flow printed (the receipt, then the e-bill / voucher notice)."""
    before = len(ui.printed())
    ui.wait("result", timeout=timeout)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    seen = ui.texts()
    assert f"金额：¥{amount:,.2f}" in seen and "凭条：已打印，请取走" in seen, seen
    jobs = ui.printed()
    assert len(jobs) > before or before == 0 and jobs, "nothing printed"
    return "\n".join(jobs[before:])


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


def test_register_card_first_top_up_by_qr(qtbot, open_ui, kiosk_stack):
    """办就诊卡: ID card -> phone on the keypad -> first top-up 50 -> 扫码支付 (the phone scans)
    -> the new card is on the result screen and the receipt; the patient is identified."""
    ui = open_ui()
    person = replace(DEMO_ID, name="郑新卡", id_no="110101198505056784")  # a valid ID nobody has used
    bg(lambda: ui.device("id_reader").place(person))
    ui.tap("registerCard")
    assert ui.win.current().key == "register_card"
    ui.tap("registerRead")
    qtbot.waitUntil(lambda: ui.win.register_card.confirm.isVisible(), timeout=10000)
    seen = ui.texts()
    assert "110101********6784" in seen and person.id_no not in seen
    ui.type(ui.win.register_card.keypad, "1395555")
    ui.tap("registerConfirm")
    assert "11位手机号" in ui.win.register_card.message.text()  # refused on the screen
    ui.type(ui.win.register_card.keypad, "6666")
    ui.win.register_card.top_ups.buttons["50.00"].click()
    ui.tap("registerConfirm")
    ui.wait("confirm_pay")
    assert "prepayment" not in ui.win.confirm_pay.methods.buttons  # a new patient has no account yet
    assert ui.win.confirm_pay.amount_label.text() == "应付：¥55.00"  # 工本费 5 + first top-up 50
    ui.pay_by("qr")
    order_no = ui.qr_shown()
    assert "请用微信" in ui.win.payment.prompt.text() and ui.win.payment.countdown.text()
    bg(lambda: kiosk_stack.pay.control.scan(order_no, "wechat"))
    receipt = _paid(ui, Decimal("55.00"))
    assert ui.kiosk.session.patient is not None and ui.kiosk.session.patient.hospital_card
    card = ui.kiosk.session.patient.hospital_card
    assert "工本费" in receipt and "首次充值" in receipt and "50.00" in receipt, receipt
    assert person.id_no not in receipt and "6666" in receipt and "13955556666" not in receipt
    assert card in receipt or card in ui.texts(), (card, receipt)
    ui.finish()


def test_outpatient_qr_late_success_paid_once(qtbot, open_ui, kiosk_stack):
    """门诊缴费 by QR where the platform says USERPAYING and succeeds only later: the result
    screen says paid, the platform holds one paid order, the HIS one settlement."""
    p = kiosk_stack.patient(name="冯迟到", prepay="0.00")
    kiosk_stack.charge(p["patientId"], count=2)
    ui = open_ui(payment={"qr_deadline": 20.0})
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    total = ui.win.outpatient.total_of(ui.win.outpatient.selected())
    ui.tap("outpatientPay")
    assert ui.win.confirm_pay.methods.buttons["prepayment"].isEnabled() is False  # balance 0: greyed
    bg(lambda: kiosk_stack.pay.control.knobs(next={"outcome": "late", "late_seconds": 3}))
    ui.pay_by("qr")
    order_no = ui.qr_shown()
    bg(lambda: kiosk_stack.pay.control.scan(order_no, "alipay"))
    receipt = _paid(ui, total)
    assert "门诊" in receipt and f"{total:.2f}" in receipt, receipt
    order = kiosk_stack.pay_get(f"/_sim/orders/{order_no}")
    assert order["trade_state"] == "SUCCESS" and order["total_fee"] == int(total * 100)
    # Paid once: nothing pending any more, the HIS has exactly one settlement paid by this order.
    assert len(_settled_by(kiosk_stack, p["patientId"], order_no)) == 1
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    assert ui.win.outpatient.checks == {} and "没有待缴费" in ui.win.outpatient.message.text()
    assert [o.state for o in bg(lambda: ui.kiosk.checkout.orders())] == ["printed"]


def test_outpatient_qr_not_paid_by_the_deadline_is_closed_uncharged(qtbot, open_ui, kiosk_stack):
    """The phone scans but the payment would land only after the QR deadline: the kiosk closes
    the order, says 未扣款 (no internal state word as an error code), the charges stay to pay."""
    p = kiosk_stack.patient(name="卫超时", prepay="0.00")
    kiosk_stack.charge(p["patientId"], count=1)
    ui = open_ui(payment={"qr_deadline": 3.0})
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    ui.tap("outpatientPay")
    bg(lambda: kiosk_stack.pay.control.knobs(next={"outcome": "late", "late_seconds": 6}))
    ui.pay_by("qr")
    order_no = ui.qr_shown()
    bg(lambda: kiosk_stack.pay.control.scan(order_no, "wechat"))
    ui.wait("result", timeout=60000)
    seen = ui.texts()
    assert ui.win.result.headline.text().startswith("✘") and "未扣款" in ui.win.result.headline.text(), seen
    assert "错误代码" not in seen and f"订单号：{order_no}" in seen
    assert ui.printed() == []
    assert kiosk_stack.pay_get(f"/_sim/orders/{order_no}")["trade_state"] == "CLOSED"
    assert _settled_by(kiosk_stack, p["patientId"], order_no) == []
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    assert len(ui.win.outpatient.checks) == 1  # still to pay


def test_prepay_and_deposit_top_ups_then_discharge_self_pay(qtbot, open_ui, kiosk_stack):
    """预交金充值 200 by payment code; an inpatient's 住院押金 typed on the keypad; 出院结算 where
    the deposit falls short: the self-pay part paid by payment code, the stay discharged."""
    p = kiosk_stack.patient(name="陈住院", prepay="0.00")
    kiosk_stack.his_control("inpatients", {"patientId": p["patientId"], "days": 3, "deposit": "10.00", "seed": 3})
    ui = open_ui()
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["prepay"].click()
    ui.wait("topup")
    assert ui.win.topup.account.text() == "预交金余额：¥0.00"
    ui.win.topup.presets.buttons["200"].click()
    ui.wait("confirm_pay")
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    receipt = _paid(ui, Decimal("200.00"))
    assert "余额：¥200.00" in ui.texts() and "200.00" in receipt and "预交金" in receipt, receipt
    assert ui.his_balance(p["patientId"]) == Decimal("200.00")

    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["deposit"].click()
    ui.wait("topup")
    assert ui.win.topup.account.text().startswith("押金余额：¥10.00")
    ui.type(ui.win.topup.keypad, "30")
    ui.tap("topupOk")
    ui.wait("confirm_pay")
    assert "prepayment" not in ui.win.confirm_pay.methods.buttons
    ui.pay_by("code")
    ui.show_code(ALIPAY_CODE)
    receipt = _paid(ui, Decimal("30.00"))
    assert "余额：¥40.00" in ui.texts() and "押金" in receipt and "住院号" in receipt, receipt

    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["discharge"].click()
    ui.wait("discharge")
    due_text = ui.win.discharge.summary.text()
    assert due_text.startswith("需补缴：¥"), due_text
    due = Decimal(due_text.split("¥")[1].replace(",", ""))
    ui.tap("dischargeSettle")
    ui.wait("confirm_pay")
    assert ui.win.confirm_pay.amount_label.text() == f"应付：¥{due:,.2f}"
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    receipt = _paid(ui, due)
    assert "出院" in receipt, receipt
    assert bg(lambda: ui.kiosk.session.inpatient()).status == "discharged"


def test_top_up_out_of_range_refused_back_on_the_top_up_screen(qtbot, open_ui, kiosk_stack):
    """An amount the kiosk does not take (over 50000) is refused before any money moves, and the
    patient is back on 充值 with the reason (not left on the payment screen without a way out)."""
    p = kiosk_stack.patient(name="过大额", prepay="0.00")
    ui = open_ui()
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["prepay"].click()
    ui.wait("topup")
    ui.type(ui.win.topup.keypad, "60000")
    ui.tap("topupOk")
    ui.wait("confirm_pay")
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    qtbot.waitUntil(lambda: ui.win.current().key != "payment", timeout=10000)
    assert ui.win.current().key == "topup", ui.win.current().key
    assert ui.win.topup.message.text() == "充值金额：须在1.00元到50000.00元之间"
    assert ui.win.back.isVisible() and ui.win.to_home.isVisible()
    assert bg(lambda: ui.kiosk.checkout.orders()) == [] and ui.printed() == []
    ui.win.topup.presets.buttons["500"].click()
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    _paid(ui, Decimal("500.00"))
