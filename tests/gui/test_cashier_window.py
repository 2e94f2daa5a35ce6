"""The real cashier window driven offscreen: login, keyboard issuing, notice to the TCP printer
rig, paper exchange to PDF, write-off, import with a bad row, daily report export, outage."""

from __future__ import annotations

import csv
from decimal import Decimal

import openpyxl
import pytest

from qt_common import guard
from qt_common.qt import Qt
from workflows.cashier.importer import COLUMNS
from workflows.records import STATE_RED
from workflows.writeoff import QUEUED_TEXT

from .conftest import Window, bg, focused, login, press, type_text

pytestmark = pytest.mark.gui

# Header fields after 交款人, in Enter order: 卡号, 门诊号, 性别, 年龄, 住院号, 复核人, 手机号, 证件号码, 科室, 备注.
HEADER_VALUES = ["3101000123", "MZ0001", None, "34", "", "", "13800138000", "", "内科", ""]


def issue_by_keyboard(qtbot, w: Window, payer: str = "刘洋") -> None:
    """Outpatient bill with 诊查费 (by code) and 化验费 (by pinyin), cash via F7, issued with F9."""
    assert focused(w) is w.win.issue_page.fields["payer"]
    type_text(qtbot, w, payer)
    press(qtbot, w, Qt.Key.Key_Return)
    for value in HEADER_VALUES:
        if value:
            type_text(qtbot, w, value)
        press(qtbot, w, Qt.Key.Key_Return)
    assert focused(w) is w.win.issue_page.code
    for code in ("102", "HYF"):
        type_text(qtbot, w, code)
        press(qtbot, w, Qt.Key.Key_Return)   # code -> quantity
        press(qtbot, w, Qt.Key.Key_Return)   # quantity 1 -> price
        press(qtbot, w, Qt.Key.Key_Return)   # catalog price -> line added, back to code
    press(qtbot, w, Qt.Key.Key_Return)       # empty code -> pay amount
    assert focused(w) is w.win.issue_page.pay_amount
    press(qtbot, w, Qt.Key.Key_F7)           # the amount owed
    press(qtbot, w, Qt.Key.Key_Return)       # set the channel
    assert w.win.issue_page.issues.count() == 0
    press(qtbot, w, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: w.win.issue_page.last is not None, timeout=10000)


def test_login_lock_and_unlock(qtbot, window: Window) -> None:
    w = window
    type_text(qtbot, w, "sf01")
    press(qtbot, w, Qt.Key.Key_Return)
    type_text(qtbot, w, "wrong")
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "用户名或密码错误" in w.win.login_page.msg.text(), timeout=10000)
    assert w.win.root.currentWidget() is w.win.login_page
    w.win.login_page.user.clear()
    w.win.login_page.user.setFocus()
    login(qtbot, w)
    assert "张敏" in w.win.st_user.value
    press(qtbot, w, Qt.Key.Key_F12)
    assert w.win.root.currentWidget() is w.win.login_page and w.services.login.locked
    assert focused(w) is w.win.login_page.password
    type_text(qtbot, w, "demo-1234")
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.win.root.currentWidget() is w.win.workspace, timeout=10000)


def test_issue_by_keyboard_print_notice_and_exchange_paper(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)
    issue_by_keyboard(qtbot, w)
    rec = w.win.issue_page.last
    assert rec is not None and rec.total == "35.00" and not rec.emergency
    assert w.platform.bill_count() == 1
    # Status bar: online stock from getValidBillNo (electronic ranges only), printer ready.
    qtbot.waitUntil(lambda: w.win.st_online.value == "99999张", timeout=5000)
    qtbot.waitUntil(lambda: w.win.st_printer.value == "就绪", timeout=5000)
    # Notice to the TCP ESC/POS printer rig.
    press(qtbot, w, Qt.Key.Key_F10)
    doc = w.rig.wait_document(timeout=10)
    assert "电子票据告知单" in doc.text and rec.bill_no in doc.text and doc.cuts >= 1
    assert any(rec.bill_no in q for q in doc.qr_codes)
    qtbot.waitUntil(lambda: bg(lambda: w.services.bills.get(rec.bill_batch_code, rec.bill_no)).notice_printed,
                    timeout=5000)
    # F11: straight to paper exchange with the next paper number shown.
    press(qtbot, w, Qt.Key.Key_F11)
    page = w.win.paper_page
    assert w.win.tabs.currentWidget() is page
    qtbot.waitUntil(lambda: bool(page.next_no), timeout=5000)
    assert page.next_no in page.next_label.text()
    type_text(qtbot, w, str(int(page.next_no) + 1))     # the wrong form is in the printer
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.win.errors.last is not None, timeout=5000)
    assert w.win.errors.last[0] == "E5832"
    w.win.errors.dismiss()
    page.confirm.setFocus()
    page.confirm.clear()
    type_text(qtbot, w, page.next_no)
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(page.last_pdf), timeout=10000)
    with open(page.last_pdf, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    stored = bg(lambda: w.services.bills.get(rec.bill_batch_code, rec.bill_no))
    assert stored.paper_no and stored.paper_no in page.last_pdf


def test_write_off_paper_first_and_red_notice(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w, "cw01")  # 李华: write-off and voiding need the finance role (issue 14)
    recs = [bg(lambda: w.services.issuing.issue(_form(w), "张敏")) for _ in range(2)]
    bg(lambda: w.services.paper.exchange(recs[1], w.services.paper.next_number()[1], "张敏"))
    w.rig.clear()
    press(qtbot, w, Qt.Key.Key_F4)
    page = w.win.writeoff_page
    assert w.win.tabs.currentWidget() is page
    qtbot.waitUntil(lambda: len(page.rows) == 2, timeout=5000)
    page.select(recs[0].bill_no)
    page.select(recs[1].bill_no)
    page.reason.setText("患者退费")
    qtbot.mouseClick(page.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "未冲红" in page.log.toPlainText(), timeout=10000)
    assert "E5841" in page.log.toPlainText()
    assert bg(lambda: w.services.bills.get(recs[0].bill_batch_code, recs[0].bill_no)).state == STATE_RED
    doc = w.rig.wait_document(timeout=10)
    assert "红字" in doc.text and recs[0].bill_no in doc.text
    page.select(recs[1].bill_no)
    page.paper_first.setChecked(True)
    qtbot.mouseClick(page.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bg(lambda: w.services.bills.get(recs[1].bill_batch_code, recs[1].bill_no)).state
                    == STATE_RED, timeout=10000)
    assert "invalidPaper" in w.platform.calls and w.platform.calls.count("writeOffEBill") == 1


def test_import_with_a_bad_row_issues_nothing(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)
    path = w.tmp / "bills.xlsx"
    wb = openpyxl.Workbook()
    for row in [list(COLUMNS),
                ["A1", "门诊", "刘洋", "3101000001", "MZ01", "男", "30", "", "", "102", "1", "", "现金", "10.00"],
                ["B1", "往来票", "某公司", "", "", "男", "1", "李华", "", "901", "1", "800", "03", "800"],
                ["C1", "门诊", "王五", "3101000002", "MZ02", "男", "20", "", "", "777", "1", "", "现金", "5"]]:
        wb.active.append(row)
    wb.save(path)
    press(qtbot, w, Qt.Key.Key_F2)
    page = w.win.import_page
    page.path.setFocus()
    type_text(qtbot, w, str(path))
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.plan is not None, timeout=10000)
    errors = [page.errors.item(i).text() for i in range(page.errors.count())]
    assert errors == ["第4行【项目编码】收费项目“777”不存在"]
    assert not page.issue_btn.isEnabled()
    page.issue()
    assert w.platform.bill_count() == 0
    # Fixed file: both bills issued.
    with path.with_suffix(".csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([list(COLUMNS),
                                  ["A1", "门诊", "刘洋", "3101000001", "MZ01", "男", "30", "", "", "102", "1", "",
                                   "现金", "10.00"]])
    page.path.setText(str(path.with_suffix(".csv")))
    page.check()
    qtbot.waitUntil(page.issue_btn.isEnabled, timeout=10000)
    qtbot.mouseClick(page.issue_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.platform.bill_count() == 1, timeout=10000)


def test_daily_report_export_xlsx(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)
    a = bg(lambda: w.services.issuing.issue(_form(w), "张敏"))
    bg(lambda: w.services.issuing.issue(_form(w, channel="05"), "张敏"))
    bg(lambda: w.services.writeoff.write_off(a, "退费", "张敏"))
    press(qtbot, w, Qt.Key.Key_F6)
    page = w.win.report_page
    qtbot.mouseClick(page.findChild(type(page.export_btn), "reportButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.cashiers.rowCount() > 0, timeout=5000)
    assert page.cashiers.cell_text(0, 0) == "张敏" and page.cashiers.cell_text(0, 5) == "35.00"
    target = w.tmp / "日结.xlsx"
    page.path.setText(str(target))
    qtbot.mouseClick(page.export_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已导出" in page.msg.text(), timeout=10000)
    wb = openpyxl.load_workbook(target)
    cashier_rows = list(wb["收费员汇总表"].iter_rows(values_only=True))
    assert cashier_rows[1][0] == "收费员" and cashier_rows[2][0] == "张敏"
    printer_doc_before = len(w.rig.received())
    qtbot.mouseClick(page.print_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已打印" in page.msg.text(), timeout=10000)
    assert len(w.rig.received()) > printer_doc_before and "日结报表" in w.rig.document().text
    assert Decimal(str(cashier_rows[2][2])) == Decimal("70.00") and Decimal(str(cashier_rows[2][5])) == Decimal("35.00")
    channels = {r[1]: Decimal(str(r[2])) for r in wb["缴款渠道汇总表"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert channels == {"现金": Decimal("0.00"), "微信": Decimal("35.00")}  # cash bill refunded


def test_outage_emergency_issuing_and_back(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)
    w.platform.online = False
    issue_by_keyboard(qtbot, w, "赵六")
    rec = w.win.issue_page.last
    assert rec.emergency and not rec.uploaded
    qtbot.waitUntil(w.win.banner.isVisible, timeout=5000)
    assert w.win.st_link.value == "应急"
    qtbot.waitUntil(lambda: "剩余应急票号 49" in w.win.banner.text(), timeout=5000)
    assert w.win.st_pending.value == "1张"
    w.win.probe()                      # still down
    qtbot.waitUntil(lambda: not w.win._probing, timeout=5000)
    assert w.win.banner.isVisible()
    w.platform.online = True

    def probed_back() -> bool:
        # The breaker lets the half-open probe through after its wait (2 s): probe as the timer would.
        if not w.win._probing:
            w.win.probe()
        return w.win.carry.isVisible()

    qtbot.waitUntil(probed_back, timeout=15000)
    assert "已结转 1 张" in w.win.carry.text()
    assert w.win.upload.maximum() == 1
    assert not w.win.banner.isVisible() and w.win.st_link.value == "在线"
    assert w.platform.bus_nos() == [rec.bus_no]
    qtbot.waitUntil(lambda: w.win.st_pending.value == "0张", timeout=5000)


def test_guard_fails_gui_thread_io(qtbot, window: Window) -> None:
    """The assertion itself: SQLite, HTTP and device calls on the GUI thread raise and are recorded."""
    import sqlite3

    from workflows.sync_client import SyncClient

    with pytest.raises(guard.GuiThreadIO):
        sqlite3.connect(":memory:")
    with pytest.raises(guard.GuiThreadIO):
        SyncClient("http://127.0.0.1:9", "a", "k").his("testServerConnect", {})
    with pytest.raises(guard.GuiThreadIO):
        window.printers.receipt.worker.call(lambda: None)
    assert len(guard.violations) == 3
    guard.violations.clear()
    # The same calls from a worker thread are fine.
    results: list[object] = []
    window.win.tasks.run(lambda: sqlite3.connect(":memory:").execute("select 1").fetchone(), results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [(1,)]


def _form(w: Window, channel: str = "02"):
    from workflows.cashier.entry import EntryForm

    form = EntryForm("outpatient", w.services.catalog)
    form.header.update(payer="刘洋", card_no="3101000123", patient_no="MZ0001", sex="男", age="34")
    form.add_item("102")
    form.add_item("301")
    form.set_pay(channel, "35.00")
    return form


def test_cut_off_check_finds_a_squeezed_window(qtbot, window: Window) -> None:
    """The screenshot command's cut-off check can fail: squeeze the window below its minimum."""
    from cashier_app.screenshots import cut_off

    login(qtbot, window)
    qtbot.waitUntil(lambda: cut_off(window.win) == [], timeout=3000)  # after the status bar re-lays out
    problems = cut_off(window.win, screen=(800, 480))
    assert problems and "does not fit the 800x480 screen" in problems[0]


def test_wedge_scan_of_a_notice_opens_paper_exchange(qtbot, window: Window) -> None:
    """A keyboard-wedge scan (keys ms apart, then Enter) of the notice QR opens the bill for exchange;
    the same keys typed at human speed stay in the field."""
    from billing_core.qr_payload import BillQr

    w = window
    login(qtbot, w)
    rec = bg(lambda: w.services.issuing.issue(_form(w), "张敏"))
    qr = BillQr(rec.bill_batch_code, rec.bill_no, rec.random, Decimal(rec.total), rec.create_time[:8]).text()
    payer = w.win.issue_page.fields["payer"]
    assert focused(w) is payer
    for _attempt in range(3):
        qtbot.keyClicks(payer, qr)            # QTest sends the keys back to back, like a scanner
        qtbot.keyClick(payer, Qt.Key.Key_Return)
        if payer.text() == "":
            break
        # A starved CI machine can stretch one gap past the scanner's 30 ms: then it was "typing",
        # the keys stay in the field (the behaviour under test below), and the scan is repeated.
        payer.clear()
    qtbot.waitUntil(lambda: w.win.paper_page.rec is not None, timeout=5000)  # looked up off the GUI thread
    assert w.win.tabs.currentWidget() is w.win.paper_page
    assert w.win.paper_page.rec is not None and w.win.paper_page.rec.bill_no == rec.bill_no
    assert payer.text() == ""              # the scanned characters were taken back out
    w.win.show_page("issue")
    payer.setFocus()
    for ch in "ZHANGSAN":
        qtbot.keyClick(payer, ch, delay=60)  # a person typing
    qtbot.keyClick(payer, Qt.Key.Key_Return, delay=60)
    assert payer.text() == "ZHANGSAN" and w.win.tabs.currentWidget() is w.win.issue_page


def test_query_and_notice_delivery(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)
    rec = bg(lambda: w.services.issuing.issue(_form(w), "张敏"))
    press(qtbot, w, Qt.Key.Key_F5)
    page = w.win.query_page
    assert w.win.tabs.currentWidget() is page
    qtbot.waitUntil(lambda: page.table.rowCount() == 1, timeout=5000)
    assert page.table.cell_text(0, 3) == rec.bill_no and page.table.cell_text(0, 8) == "未交付"
    page.table.selectRow(0)
    page.target.setText("13800001234")
    from qt_common.qt import QPushButton

    qtbot.mouseClick(page.findChild(QPushButton, "pushButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.table.cell_text(0, 8) == "已推送138****1234", timeout=5000)


def test_common_bills_are_the_finance_offices(qtbot, window: Window) -> None:
    """A cashier cannot issue 捐赠票 (E5802); the finance user can, through the same form."""
    from workflows.cashier.entry import EntryForm

    w = window
    login(qtbot, w)  # sf01: cashier only
    page = w.win.issue_page
    page.kind.setCurrentIndex(page.kind.findData("donation"))
    page.form = EntryForm("donation", w.services.catalog)
    page.form.header.update(payer="某某基金会", sex="男", age="1", checker="李华")
    page.form.add_item("902", "1", "500")
    page.form.set_pay("03", "500")
    page.issue()
    assert w.win.errors.last[0] == "E5802" and w.platform.bill_count() == 0
    w.win.errors.dismiss()
    bg(lambda: w.services.login.login("cw01", "demo-1234"))  # 李华: finance
    page.issue()
    qtbot.waitUntil(lambda: page.last is not None, timeout=10000)
    assert page.last.request["busType"] == "10" and "invoiceEBillCommon" in w.platform.calls


def test_idle_lock_after_the_configured_time(qtbot, qapp, tmp_path, io_guard) -> None:
    """With an injected clock: no input for idle_seconds -> the lock screen; the session stays."""
    from billing_core.clock import ManualClock
    from cashier_app.main_window import MainWindow
    from cashier_app.printers import WindowPrinters
    from workflows.demo.cashier import demo_services

    clock = ManualClock()
    services, _platform = bg(lambda: demo_services(tmp_path, clock=clock, idle_seconds=120))
    win = MainWindow(services, WindowPrinters(None, tmp_path, "演示医院"), probe_ms=0)
    qtbot.addWidget(win)
    win.show()
    w = Window(win, services, _platform, win.ctx.printers, None, tmp_path)  # type: ignore[arg-type]
    login(qtbot, w)
    clock.advance(119)
    qtbot.wait(1200)
    assert win.root.currentWidget() is win.workspace
    clock.advance(2)
    qtbot.waitUntil(lambda: win.root.currentWidget() is win.login_page, timeout=3000)
    assert services.login.locked and services.login.user is not None
    assert win.login_page.button.text() == "解锁"
    win.close()


def test_paper_page_reprint_void_and_void_blank(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w, "cw01")  # 李华: write-off and voiding need the finance role (issue 14)
    rec = bg(lambda: w.services.issuing.issue(_form(w), "张敏"))
    press(qtbot, w, Qt.Key.Key_F3)
    page = w.win.paper_page
    page.search.setText(rec.bill_no)
    page.find()
    qtbot.waitUntil(lambda: page.rec is not None and bool(page.next_no), timeout=5000)
    page.confirm.setText(page.next_no)
    qtbot.mouseClick(page.exchange_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.last_pdf), timeout=10000)
    first = page.rec.paper_no
    # Reprint without a reason is refused; with one it goes on the next number.
    qtbot.waitUntil(lambda: bool(page.next_no) and page.next_no != first, timeout=5000)
    page.confirm.setText(page.next_no)
    qtbot.mouseClick(page.reprint_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.win.errors.last is not None, timeout=5000)
    assert w.win.errors.last[0] == "E5831"
    w.win.errors.dismiss()
    page.reason.setText("卡纸")
    page.last_pdf = ""
    qtbot.waitUntil(lambda: bool(page.next_no), timeout=5000)
    page.confirm.setText(page.next_no)
    qtbot.mouseClick(page.reprint_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(page.last_pdf), timeout=10000)
    assert page.rec.paper_no != first and page.rec.voided_papers == [first]
    # Void the paper: the e-bill is red-flushed in the same call.
    page.reason.setText("患者退费")
    qtbot.mouseClick(page.void_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "纸质票据已作废" in page.msg.text(), timeout=10000)
    assert not page.rec.paper_no and "已冲红" in page.info.text()
    # Void two blank forms: the next number moves past them.
    qtbot.waitUntil(lambda: bool(page.next_no), timeout=5000)
    start = int(page.next_no)
    page.blank_start.setText(str(start))
    page.blank_end.setText(str(start + 1))
    page.blank_reason.setText("撕坏")
    qtbot.mouseClick(page.blank_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.next_no == f"{start + 2:010d}", timeout=5000)


def test_write_off_of_an_emergency_bill_is_queued_while_down(qtbot, window: Window) -> None:
    """Link down: an emergency bill written off at the window is queued behind its upload, and the
    page says so instead of failing."""
    w = window
    login(qtbot, w, "cw01")  # 李华: write-off needs the finance role (issue 14)
    w.platform.online = False
    issue_by_keyboard(qtbot, w, "钱七")
    rec = w.win.issue_page.last
    assert rec.emergency and not rec.uploaded
    press(qtbot, w, Qt.Key.Key_F4)
    page = w.win.writeoff_page
    qtbot.waitUntil(lambda: any(r.bill_no == rec.bill_no for r in page.rows), timeout=5000)
    page.select(rec.bill_no)
    page.reason.setText("患者退费")
    qtbot.mouseClick(page.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: QUEUED_TEXT in page.log.toPlainText(), timeout=10000)
    assert rec.bill_no in page.log.toPlainText() and "未冲红" not in page.log.toPlainText()
    assert "writeOffEBill" not in w.platform.calls
