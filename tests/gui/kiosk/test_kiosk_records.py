"""Visits and records on the kiosk window: 挂号 (department -> doctor -> slot) paid by payment code
with the e-bill notice printed, 预约 check-in and cancel, bill history -> print the notice ->
exchange for paper once on the bill printer, fee query and the inpatient daily list, the
satisfaction survey."""

from __future__ import annotations

from datetime import date

import pytest

from tests.gui.conftest import bg
from tests.rigs.payment import WECHAT_CODE

pytestmark = pytest.mark.usefixtures("io_guard")


def _hospital_card(ui, card_no: str) -> None:  # type: ignore[no-untyped-def]
    ui.win.attract.methods.buttons["hospital_card"].click()
    ui.type(ui.win.identify.keypad, card_no)
    ui.tap("identifyOk")
    ui.wait("home")


def _first_enabled(choices) -> str:  # type: ignore[no-untyped-def]
    return next(k for k, b in choices.buttons.items() if b.isEnabled() and k)


def test_registration_paid_by_code_then_booking_check_in_and_cancel(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="何挂号", prepay="500.00")
    ui = open_ui()
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["registration"].click()
    ui.wait("registration")
    assert "NK" in ui.win.registration.list.buttons
    ui.win.registration.list.buttons["NK"].click()
    qtbot.waitUntil(lambda: ui.win.registration.stage == "doctors" and not ui.win.busy_bar.isVisible(), timeout=10000)
    ui.win.registration.list.buttons[""].click()  # 普通门诊: any doctor
    qtbot.waitUntil(lambda: ui.win.registration.stage == "slots" and not ui.win.busy_bar.isVisible(), timeout=20000)
    today = f"{date.today():%m月%d日}"
    slots = {k: b for k, b in ui.win.registration.list.buttons.items() if b.isEnabled()}
    todays = [k for k, b in slots.items() if b.text().startswith(today)]
    later = [k for k, b in slots.items() if not b.text().startswith(today)]
    assert todays and later, ui.texts()
    ui.win.registration.list.buttons[todays[0]].click()
    ui.wait("confirm_pay")
    assert ui.win.confirm_pay.what.text().startswith("挂号")
    ui.pay_by("code")
    ui.show_code(WECHAT_CODE)
    ui.wait("result", timeout=60000)
    seen = ui.texts()
    assert ui.win.result.headline.text().startswith("✔") and "就诊序号：" in seen, seen
    assert "电子票据告知单：已打印，请取走" in seen and "凭条：已打印，请取走" in seen
    printed = "\n".join(ui.printed())
    assert "电子票据告知单" in printed and "挂号" in printed, printed
    assert p["idNo"] not in printed and p["phone"] not in printed

    # 预约 a later day from the prepayment, then cancel it on 预约签到 / 取消.
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["registration"].click()
    ui.wait("registration")
    ui.win.registration.list.buttons["NK"].click()
    qtbot.waitUntil(lambda: ui.win.registration.stage == "doctors" and not ui.win.busy_bar.isVisible(), timeout=10000)
    ui.win.registration.list.buttons[""].click()
    qtbot.waitUntil(lambda: ui.win.registration.stage == "slots" and not ui.win.busy_bar.isVisible(), timeout=20000)
    ui.win.registration.list.buttons[later[0]].click()
    ui.wait("confirm_pay")
    assert ui.win.confirm_pay.what.text().startswith("预约")
    ui.pay_by("prepayment")
    ui.wait("result", timeout=60000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    # One for today booked beforehand (on the phone: the HIS's other booking channel) to check in.
    from workflows.kiosk.models import PayChoice
    assert bg(lambda: ui.kiosk.session.book(int(todays[-1]), PayChoice.prepayment())).ok

    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["check_in"].click()
    ui.wait("appointments")
    names = [b.objectName() for b in ui.win.appointments.findChildren(type(ui.win.back)) if b.isVisible()]
    check_ins = [n for n in names if n.startswith("checkin_")]
    cancels = [n for n in names if n.startswith("cancel_")]
    assert check_ins and len(cancels) >= 2, ui.texts()
    ui.tap(check_ins[0])
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✔") and "就诊序号：" in ui.texts(), ui.texts()
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["check_in"].click()
    ui.wait("appointments")
    cancel = next(n for n in (b.objectName() for b in ui.win.appointments.findChildren(type(ui.win.back))
                              if b.isVisible()) if n.startswith("cancel_"))
    ui.tap(cancel)
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()


def test_bill_history_notice_then_paper_once(qtbot, open_ui, kiosk_stack):
    p = kiosk_stack.patient(name="林票据", prepay="300.00")
    kiosk_stack.charge(p["patientId"], count=1)
    ui = open_ui()
    _hospital_card(ui, p["hospitalCard"])
    ui.win.home.tiles.buttons["outpatient"].click()
    ui.wait("outpatient")
    ui.tap("outpatientPay")
    ui.pay_by("prepayment")
    ui.wait("result", timeout=60000)
    settlement = bg(lambda: ui.kiosk.session.bill_history())[0].settlement_no
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["print_notice"].click()
    ui.wait("bills")
    assert "票据 " in ui.texts()
    before = len(ui.printed())
    ui.tap(f"notice_{settlement}")
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    assert len(ui.printed()) > before and "电子票据告知单" in ui.printed()[-1]
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["paper"].click()
    ui.wait("bills")
    ui.tap(f"paper_{settlement}")
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    assert list((ui.data / "paper").glob("*.pdf")), "the bill printer printed nothing"
    ui.tap("resultAgain")
    ui.win.home.tiles.buttons["paper"].click()
    ui.wait("bills")
    assert "已换开纸质票据" in ui.texts()
    assert not [b for b in ui.win.bills.findChildren(type(ui.win.back))
                if b.objectName() == f"paper_{settlement}" and b.isVisible()]  # no second exchange offered
    # Asked anyway (a stale screen): refused with a clear message, nothing printed again.
    pdfs = len(list((ui.data / "paper").glob("*.pdf")))
    ui.win.bills.paper.emit(settlement)
    ui.wait("result", timeout=30000)
    assert ui.win.result.headline.text().startswith("✘") and "只能换开一次" in ui.win.result.headline.text()
    assert len(list((ui.data / "paper").glob("*.pdf"))) == pdfs


def test_fee_query_daily_list_and_survey(qtbot, open_ui, kiosk_stack):
    out = kiosk_stack.patient(name="许查询", prepay="0.00")
    kiosk_stack.charge(out["patientId"], count=3)
    ui = open_ui()
    _hospital_card(ui, out["hospitalCard"])
    ui.win.home.tiles.buttons["query"].click()
    ui.wait("query")
    assert ui.win.query.heading.text() == "门诊待缴费用" and "×" in ui.texts()
    ui.tap("footerHome")
    ui.tap("logout")
    qtbot.waitUntil(lambda: ui.kiosk.session.patient is None, timeout=5000)

    inp = kiosk_stack.patient(name="钟日清", prepay="0.00")
    kiosk_stack.his_control("inpatients", {"patientId": inp["patientId"], "days": 3, "deposit": "500.00", "seed": 5})
    _hospital_card(ui, inp["hospitalCard"])
    ui.win.home.tiles.buttons["query"].click()
    ui.wait("query")
    assert ui.win.query.heading.text().startswith("住院日清单") and "当日合计：" in ui.texts(), ui.texts()
    ui.tap("queryPrev")
    ui.wait("query")
    assert ui.win.query.current is not None and ui.win.query.current < date.today()

    ui.tap("footerHome")
    ui.win.home.tiles.buttons["survey"].click()
    ui.wait("survey")
    ui.tap("surveySubmit")
    assert "请为每一项选择评价" in ui.win.survey.message.text()
    for key in ui.win.survey.groups:
        ui.win.survey.choose(key, 0)
    ui.tap("surveySubmit")
    ui.wait("result", timeout=20000)
    assert ui.win.result.headline.text().startswith("✔"), ui.texts()
    from offline_store import kiosk_orders
    summary = bg(lambda: kiosk_orders.survey_summary(ui.kiosk.terminal.db))
    assert set(summary) == set(ui.win.survey.groups) or summary, summary
