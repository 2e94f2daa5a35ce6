"""Sample view models (the demo hospital's data, already masked as the session hands them over):
what ``python -m kiosk_app.screenshots`` and the screen-walking tests put on every screen.

They are the real dataclasses of workflows.kiosk.models, so a screen that shows them shows what
the session gives it; the flow tests (tests/gui/kiosk) drive the same screens from the real session.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from kiosk_app.window import KioskWindow
from workflows.kiosk.insured import InsuredQuote
from workflows.kiosk.models import (
    AppointmentView,
    BillHistoryItem,
    BillInfo,
    ChargeLineView,
    ChargeView,
    DailyListView,
    DischargeView,
    FlowResult,
    FunctionAvailability,
    IdCardView,
    IdentifyMethod,
    InpatientView,
    PatientSummary,
    ReceiptInfo,
    SlotView,
    SurveyQuestion,
)
from workflows.kiosk.settings import DEFAULT_SURVEY

D = Decimal
TODAY = date(2026, 12, 3)
PATIENT = PatientSummary("P00000001", "王秀兰", "女", 72, "3502**********1228", "138****5678", "88000001", True,
                         D("326.50"), IdentifyMethod.SSC, in_hospital=True)
#: What must never survive an idle reset (tests look for each in every widget's text).
SECRETS = ("王秀兰", "秀兰", "1228", "5678", "88000001", "326.50", "P00000001", "ZY00000012")


def _line(name: str, spec: str, unit: str, price: str, qty: str, charge: str) -> ChargeLineView:
    return ChargeLineView(name, spec, unit, D(price), D(qty), (D(price) * D(qty)).quantize(D("0.01")), charge)


CHARGES = [
    ChargeView("C1001", "处方", "西药处方", "心血管内科", "陈建华", "12-03 09:12", D("86.40"),
               (_line("苯磺酸氨氯地平片", "5mg×28片", "盒", "28.80", "3", "西药费"),)),
    ChargeView("C1002", "检查", "心脏彩超", "超声科", "林晓", "12-03 09:15", D("220.00"),
               (_line("心脏彩色多普勒超声", "", "次", "220.00", "1", "检查费"),)),
    ChargeView("C1003", "处方", "中成药处方", "心血管内科", "陈建华", "12-03 09:20", D("45.60"),
               (_line("复方丹参滴丸", "27mg×180丸", "瓶", "22.80", "2", "中成药费"),)),
]
FUNCTIONS = [FunctionAvailability(n, label, n != "paper", "" if n != "paper" else "票据打印机故障，请到人工窗口办理")
             for n, label in (("registration", "挂号预约"), ("check_in", "预约签到"), ("outpatient", "门诊缴费"),
                              ("prepay", "预交金充值"), ("deposit", "住院押金"), ("discharge", "出院结算"),
                              ("print_notice", "打印电子票据"), ("paper", "换开纸质票据"), ("query", "费用查询"),
                              ("survey", "满意度评价"))]
BILL = BillInfo("35010126", "0000123456", "a1b2c3", emergency=True)


def fill(w: KioskWindow, key: str) -> None:
    """Put sample data on screen ``key`` and show it."""
    w.set_patient("王*兰，您好" if key not in ("attract", "identify", "register_card") else "")
    if key == "identify":
        w.identify.show_method("face")
        w.identify.field.setText("13812345678")
    elif key == "home":
        w.home.show_patient(PATIENT)
        w.home.show_functions(FUNCTIONS)
    elif key == "register_card":
        w.register_card.show_id(IdCardView("李建国", "男", date(1956, 4, 18), "3502**********3017",
                                           "福建省厦门市海沧区海沧大道1号", False))
        w.register_card.phone.setText("139")
    elif key == "registration":
        w.registration.show_slots("科室：心血管内科　医生：陈建华", [
            SlotView(11, "心血管内科", "陈建华", TODAY, "上午", "专家", D("25.00"), 6, 30),
            SlotView(12, "心血管内科", "陈建华", TODAY, "下午", "专家", D("25.00"), 0, 30),
            SlotView(13, "心血管内科", "陈建华", TODAY + timedelta(days=1), "上午", "专家", D("25.00"), 18, 30)])
    elif key == "appointments":
        w.appointments.show_appointments([
            AppointmentView("A0001", "booked", "已预约", "心血管内科", "陈建华", TODAY, "上午", D("25.00"), "", True, True),
            AppointmentView("A0002", "booked", "已预约", "眼科", "", TODAY + timedelta(days=2), "下午", D("10.00"), "",
                            False, True)])
    elif key == "outpatient":
        w.outpatient.show_charges(CHARGES)
    elif key == "topup":
        w.topup.show_deposit(InpatientView("ZY00000012", "心血管内科", "六病区", "12", TODAY - timedelta(days=5), "in",
                                           D("1500.00"), D("3862.40")))
        w.screens["topup"].title = w.topup.title
    elif key == "discharge":
        w.discharge.show_discharge(DischargeView("ZY00000012", D("3862.40"), D("3000.00"), D("862.40"), D("0.00"),
                                                 (("西药费", D("1240.20")), ("检查费", D("980.00")),
                                                  ("床位费", D("450.00")), ("护理费", D("1192.20")))))
    elif key == "confirm_pay":
        w.confirm_pay.show_order("门诊缴费（3项）", D("352.00"), PATIENT.prepay_balance)
    elif key == "payment":
        w.payment.show_qr(D("352.00"), "weixin://wxpay/bizpayurl?pr=DEMO0001", 118)
        w.payment.show_status("等待扫码支付…")
    elif key == "result":
        w.result.show_result(FlowResult(True, "outpatient", "缴费成功", order_no="K20261203000017", state="printed",
                                        amount=D("352.00"), settlement_no="S0001", bill=BILL,
                                        receipt=ReceiptInfo(True, True, ""), balance=D("326.50")))
    elif key == "bills":
        w.bills.show_history([
            BillHistoryItem("S0001", "outpatient", "门诊缴费", D("352.00"), "2026-12-03 09:31", "已结算", BILL, True, True),
            BillHistoryItem("S0000", "registration", "挂号", D("25.00"), "2026-11-28 08:05", "已结算",
                            BillInfo("35010126", "0000120001", "x", False, True), True, False)])
    elif key == "query":
        w.query.show_daily(DailyListView("ZY00000012", TODAY, (
            _line("0.9%氯化钠注射液", "250ml", "袋", "4.50", "2", "西药费"),
            _line("一级护理", "", "日", "26.00", "1", "护理费"),
            _line("床位费（三人间）", "", "日", "50.00", "1", "床位费")), D("85.00"), D("3862.40"), D("1500.00")))
    elif key == "survey":
        w.survey.show_questions(list(DEFAULT_SURVEY))
    elif key == "insured":
        w.outpatient.show_charges(CHARGES)
        w.insured.show_quote(InsuredQuote("YB20261203SELF010001", "王*兰", "职工基本医疗保险", D("352.00"), D("198.40"),
                                          D("60.00"), D("93.60"), tuple((f"{c.kind_text} {c.title}", c.amount)
                                                                        for c in CHARGES)))
    elif key == "error":
        w.error.show_error("E3906", "医院信息系统暂时无法连接，本次未扣款", "K20261203000018")
    w.show_screen(key)


#: Every screen in the order the screenshots number them.
SCREENS = ("attract", "identify", "home", "register_card", "registration", "appointments", "outpatient", "topup",
           "discharge", "confirm_pay", "payment", "result", "bills", "query", "survey", "error", "insured")

__all__ = ["CHARGES", "FUNCTIONS", "PATIENT", "SCREENS", "SECRETS", "SurveyQuestion", "fill"]
