"""qt_common pieces on their own: task runner, event bridge, error display, prompter, widgets."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from billing_core.errors import BillingError
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter, describe
from qt_common.prompter import QtPrompter
from qt_common.qt import QApplication, QMessageBox, Qt, QWidget
from qt_common.tasks import TaskRunner
from qt_common.widgets.bill_table import BillTable
from qt_common.widgets.money import MoneyLabel
from workflows.events import Events

pytestmark = pytest.mark.gui


def test_task_runner_reports_on_the_gui_thread(qtbot) -> None:
    runner = TaskRunner()
    gui = threading.get_ident()
    seen: list[tuple[str, object, bool]] = []
    runner.run(lambda: threading.get_ident(), lambda v: seen.append(("ok", v, threading.get_ident() == gui)))
    runner.run(lambda: 1 / 0, on_failure=lambda e: seen.append(("err", type(e), threading.get_ident() == gui)))
    qtbot.waitUntil(lambda: len(seen) == 2 and runner.busy == 0, timeout=5000)
    ok = next(s for s in seen if s[0] == "ok")
    err = next(s for s in seen if s[0] == "err")
    assert ok[1] != gui and ok[2]          # ran on a worker, reported on the GUI thread
    assert err[1] is ZeroDivisionError and err[2]


def test_event_bridge_delivers_worker_events_on_the_gui_thread(qtbot) -> None:
    events = Events()
    bridge = EventBridge(events)
    got: list[tuple[str, dict, bool]] = []
    gui = threading.get_ident()
    bridge.event.connect(lambda n, p: got.append((n, p, threading.get_ident() == gui)))
    t = threading.Thread(target=lambda: events.emit("link_changed", online=False, reason="测试"))
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [("link_changed", {"online": False, "reason": "测试"}, True)]
    bridge.close()
    events.emit("link_changed", online=True, reason="")
    qtbot.wait(50)
    assert len(got) == 1


def test_errors_show_code_and_message_never_a_trace(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    presenter = ErrorPresenter(parent)
    presenter.show(BillingError("交款人不能为空", code="E5813"))
    box = parent.findChild(QMessageBox, "errorBox")
    assert box is not None and "交款人不能为空" in box.text() and "E5813" in box.text()
    presenter.show(KeyError("secret_internal_name"))
    code, message = presenter.last
    assert code == "E9000" and "事件编号" in message and "secret_internal_name" not in message
    assert "Traceback" not in message
    assert describe(ValueError("x"))[0] == "E9000"
    presenter.dismiss()


def test_prompter_answers_a_device_thread(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    prompter = QtPrompter(parent)
    answers: list[bool] = []
    t = threading.Thread(target=lambda: answers.append(prompter.confirm("打印机缺纸，装纸后继续？")))
    t.start()
    qtbot.waitUntil(lambda: prompter.last_message == "打印机缺纸，装纸后继续？", timeout=5000)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    t.join(5)
    assert answers == [True]
    with pytest.raises(RuntimeError):
        prompter.confirm("GUI线程上调用会死锁")


def test_money_label_and_table(qtbot) -> None:
    label = MoneyLabel(upper=True)
    qtbot.addWidget(label)
    label.set_amount(Decimal("1004.05"))
    assert "¥1,004.05" in label.text() and "壹仟零肆元零伍分" in label.text()
    label.set_amount(Decimal("-5.00"))
    assert "#c62828" in label.text()
    table = BillTable(["选择", "票据号码", "金额"], checkable=True)
    qtbot.addWidget(table)
    table.set_rows([["", "0001", "35.00"], ["", "0002", "1,200.00"]])
    table.item(1, 0).setCheckState(table.item(1, 0).checkState().Checked)
    assert table.checked_rows() == [1] and table.cell_text(1, 2) == "1,200.00"


def test_every_screen_at_200_percent_has_nothing_cut_off(tmp_path) -> None:
    """``python -m cashier_app.screenshots`` at QT_SCALE_FACTOR=2 in its own process: exit 0 means
    every screen passed the cut-off check; the images are the 1366x768 window at twice the pixels."""
    import subprocess
    import sys

    from PIL import Image

    proc = subprocess.run([sys.executable, "-m", "cashier_app.screenshots", "--only", "2", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shots = sorted(tmp_path.glob("*_200pct.png"))
    assert len(shots) == 11
    for shot in shots:
        with Image.open(shot) as image:
            assert image.size == (2732, 1536)
