"""The ward workspace in the cashier window (pytest-qt, offscreen) over the real processes: the
ward list with arrears highlighted, collection by payment code and by the QR shown on screen,
reversal, the daily list printed, discharge with the surplus deposit refunded, statistics,
export and posters. Screenshots: docs/screenshots/ward_*.png."""

from __future__ import annotations

from decimal import Decimal
from shutil import copyfile

import openpyxl
import pytest

from print_templates.render_qt import write_png
from qt_common.qt import QColor
from tests.gui.ward.conftest import SHOTS, WardWindow, bg, login
from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE

pytestmark = pytest.mark.gui


def _open(qtbot, w: WardWindow) -> None:  # type: ignore[no-untyped-def]
    login(qtbot, w)  # type: ignore[arg-type]
    w.win.show_page("ward")
    w.ws.board.refresh()
    qtbot.waitUntil(lambda: bool(w.ws.board.rows) and w.win.tasks.busy == 0, timeout=15000)


def _admit(w: WardWindow, bed: str, deposit: str, days: int = 2, name: str = "王小明") -> dict:  # type: ignore[type-arg]
    p = bg(lambda: w.rig.patient(prepay="0.00", name=name))
    bg(lambda: w.rig.admit(p["patientId"], deposit=deposit, days=days, bed=bed))
    return p


def _select(qtbot, w: WardWindow, patient_id: str) -> None:  # type: ignore[no-untyped-def]
    w.ws.board.refresh()
    qtbot.waitUntil(lambda: any(r.patient_id == patient_id for r in w.ws.board.rows) and w.win.tasks.busy == 0,
                    timeout=15000)
    no = next(r.admission_no for r in w.ws.board.rows if r.patient_id == patient_id)
    w.ws.board.select(no)
    assert w.ws.board.selected is not None and w.ws.board.selected.patient_id == patient_id


def test_ward_list_collect_by_code_and_qr_then_reverse(qtbot, ward_window: WardWindow) -> None:  # type: ignore[no-untyped-def]
    w = ward_window
    owes = _admit(w, "01床", "0", name="张三丰")
    _admit(w, "02床", "300.00", name="李四")
    _admit(w, "03床", "9000.00", name="赵六")
    _open(qtbot, w)
    board = w.ws.board
    statuses = [r.status for r in board.rows]
    assert statuses[0] == "arrears" and "ok" in statuses and "low" in statuses
    bg_colour = board.table.item(0, 0).background().color()
    assert bg_colour == QColor("#ffcdd2")  # arrears highlighted red
    assert "欠费" in board.summary.text()
    assert all("*" in board.table.item(i, 1).text() for i in range(board.table.rowCount()))
    _select(qtbot, w, owes["patientId"])
    row = board.selected
    assert row is not None and board.amount.text() == f"{row.suggested:.2f}"
    w.shot("board")

    board.code.setText(WECHAT_CODE)
    board.amount.setText("150.00")
    board.pay_code()
    qtbot.waitUntil(lambda: "补缴成功" in board.message.text(), timeout=30000)
    first = board.last
    assert first is not None and first.ok and first.amount == Decimal("150.00")
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    assert bg(lambda: w.ward.his.inpatient(owes["patientId"])).deposit == Decimal("150.00")

    # 主扫: the QR code appears on screen; the patient's phone scans it
    board.amount.setText("66.60")
    board.pay_qr()
    qtbot.waitUntil(lambda: bool(board.qr.payload), timeout=15000)
    assert board.qr.pixmap() is not None and not board.qr.pixmap().isNull()
    w.shot("collect_qr")
    order_no = bg(lambda: w.ward.desk.orders()[0].order_no)
    bg(lambda: w.rig.control.scan(order_no, "alipay"))
    qtbot.waitUntil(lambda: "补缴成功 66.60元" in board.message.text(), timeout=30000)
    assert board.qr.payload == ""
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)

    board.reason.setText("金额收错")
    board.reverse()
    qtbot.waitUntil(lambda: "已撤销" in board.message.text(), timeout=30000)
    assert bg(lambda: w.rig.control._get(f"/_sim/orders/{order_no}"))["refund_fee"] == 6660
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    assert bg(lambda: w.ward.his.inpatient(owes["patientId"])).deposit == Decimal("150.00")
    w.shot("reversed")


def test_daily_list_discharge_statistics(qtbot, ward_window: WardWindow) -> None:  # type: ignore[no-untyped-def]
    w = ward_window
    p = _admit(w, "05床", "0", days=2, name="周芷若")
    _open(qtbot, w)
    _select(qtbot, w, p["patientId"])
    board = w.ws.board
    board.amount.setText("2000.00")
    board.code.setText(ALIPAY_CODE)
    board.pay_code()
    qtbot.waitUntil(lambda: "补缴成功" in board.message.text(), timeout=30000)
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    _select(qtbot, w, p["patientId"])
    board.show_daily()
    qtbot.waitUntil(lambda: board.daily.rowCount() > 0, timeout=15000)
    assert "当日合计" in board.daily_total.text()
    target = w.tmp / "daily.pdf"
    board.print_daily(target)
    qtbot.waitUntil(lambda: "日清单已输出" in board.message.text(), timeout=30000)
    assert target.read_bytes().startswith(b"%PDF")
    w.shot("daily_list")
    job = bg(lambda: w.ward.reports.daily_list_job(p["patientId"], w.ward.terminal.clock.now().date()))
    pages = write_png(job, w.tmp / "daily", dpi=60)  # the printed page itself, looked at as an image
    posters = bg(w.ward.reports.posters_job)
    shots = write_png(posters, w.tmp / "poster", dpi=60)
    assert len(shots) == 2 and len(pages) == 1
    copyfile(pages[0], SHOTS / "ward_daily_list_a4.png")
    copyfile(shots[0], SHOTS / "ward_poster_a4.png")

    page = w.ws.discharge
    w.ws.setCurrentWidget(page)
    page.load()
    qtbot.waitUntil(lambda: page.bill is not None, timeout=15000)
    bill = page.bill
    assert bill is not None and bill.due == 0 and bill.refund_due > 0
    assert f"应退押金 {bill.refund_due:.2f}元" in page.sums.text()
    page.settle("qr")
    qtbot.waitUntil(lambda: "出院结算完成" in page.message.text(), timeout=60000)
    assert page.refunds.rowCount() == 1 and page.refunds.item(0, 3).text() == "已原路退回"
    assert page.refunds.item(0, 2).text() == f"{bill.refund_due:.2f}"
    page.target.setText("13912345678")
    page.send_notice()
    qtbot.waitUntil(lambda: "告知单已发送" in page.message.text(), timeout=15000)
    w.shot("discharge")

    stats = w.ws.stats
    w.ws.setCurrentWidget(stats)
    stats.summary()
    qtbot.waitUntil(lambda: stats.table.rowCount() > 0 and stats.current is not None, timeout=15000)
    assert stats.table.item(stats.table.rowCount() - 1, 0).text() == "合计"
    w.shot("statistics")
    out = w.tmp / "stats.xlsx"
    stats.export(out, ".xlsx")
    qtbot.waitUntil(lambda: "已导出" in stats.message.text(), timeout=15000)
    wb = openpyxl.load_workbook(out)
    try:
        assert [c.value for c in wb[wb.sheetnames[0]][1]][-2:] == ["笔数", "金额"]
    finally:
        wb.close()
    stats.abnormal()
    qtbot.waitUntil(lambda: stats.title.text() == "异常支付", timeout=15000)
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    assert any(stats.table.item(i, 3).text() == "押金余额已原路退" for i in range(stats.table.rowCount()))
    w.shot("abnormal")
    poster_pdf = w.tmp / "posters.pdf"
    stats.posters(poster_pdf)
    qtbot.waitUntil(lambda: "海报已输出" in stats.message.text(), timeout=15000)
    assert poster_pdf.read_bytes().startswith(b"%PDF")


def test_insured_discharge_from_the_discharge_page(qtbot, ward_window: WardWindow) -> None:  # type: ignore[no-untyped-def]
    from tests.rigs.insurance import WANG

    w = ward_window
    p = _admit(w, "08床", "0", days=2, name=WANG["name"])
    _open(qtbot, w)
    _select(qtbot, w, p["patientId"])
    board = w.ws.board
    board.amount.setText("3000.00")
    board.code.setText(WECHAT_CODE)
    board.pay_code()
    qtbot.waitUntil(lambda: "补缴成功" in board.message.text(), timeout=30000)
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    _select(qtbot, w, p["patientId"])
    page = w.ws.discharge
    w.ws.setCurrentWidget(page)
    page.cert.setText(WANG["certno"])
    page.disease.setText("J18.900")
    page.insured_admit()
    qtbot.waitUntil(lambda: "诊断" in page.message.text(), timeout=15000)  # name missing: refused here
    page.disease.setText("J18.900 肺炎")
    page.insured_admit()
    qtbot.waitUntil(lambda: "医保入院登记完成" in page.message.text(), timeout=30000)
    page.insured_pre()
    qtbot.waitUntil(lambda: "医保预结算完成" in page.message.text(), timeout=30000)
    assert "统筹基金" in page.sums.text() and "押金 3000.00元" in page.sums.text()
    page.insured_settle()
    qtbot.waitUntil(lambda: "出院结算完成" in page.message.text() or w.win.errors.last is not None, timeout=60000)
    assert "出院结算完成" in page.message.text(), (page.message.text(), w.win.errors.last)
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=15000)
    s = bg(lambda: w.ward.his.settlements(p["patientId"], "discharge"))[0]
    req = s.ebill_request or {}
    assert s.insurance_part > 0 and Decimal(req["fundPay"]) + Decimal(req["accountPay"]) == s.insurance_part
    assert req["medicalInsuranceID"] == WANG["psn_no"]
    assert page.refunds.rowCount() == 1 and page.refunds.item(0, 3).text() == "已原路退回"
    w.shot("insured_discharge")
