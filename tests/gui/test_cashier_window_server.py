"""The real window against the real sync server and finance simulator (the run command's setup):
log in with the server's cashier account, issue by keyboard, print the notice to the TCP rig,
exchange for paper; and an outage with the emergency stock the server handed out, carried forward
when the server is back."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cashier_app.app import build_from_config
from cashier_app.demo import build_demo
from cashier_app.main_window import MainWindow
from qt_common.fonts import install_app_font
from qt_common.qt import Qt
from tests.integration.cashier.server_rig import ServerRig, paper_batch_code
from workflows.link_monitor import carry_summary
from workflows.terminal.config import TerminalConfig

from .conftest import Window, login, press
from .test_cashier_window import issue_by_keyboard

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("cashier-gui-server")).start()
    yield r
    r.stop()


def bg(fn):
    """Run test-harness I/O (process control, setup calls) off the GUI thread, as the app would."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(120)
    assert out, "background call failed"
    return out[0]


def _window(qtbot, qapp, started, rig, printer_rig, tmp_path) -> Window:
    install_app_font(qapp)
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    return Window(win, started.services, None, started.printers, printer_rig, tmp_path)  # type: ignore[arg-type]


def test_run_command_setup_issue_notice_and_paper(qtbot, qapp, rig: ServerRig, printer_rig, tmp_path,
                                                  io_guard) -> None:
    printer_rig.clear()
    started = bg(lambda: build_demo(tmp_path, server_url=rig.server_url, server_data_dir=str(rig.tmp / "server"),
                                    printer=f"tcp://127.0.0.1:{printer_rig.port}"))
    started.services.paper.paper_batch_code = bg(lambda: paper_batch_code(started.services.api, "001"))
    w = _window(qtbot, qapp, started, rig, printer_rig, tmp_path)
    user, password = started.auto_login
    login(qtbot, w, user, password)
    issue_by_keyboard(qtbot, w)
    rec = w.win.issue_page.last
    found = started.services.api  # the bill is on the server (and so on the platform)
    w.win.tasks.run(lambda: found.call("getEBillByBusNo", {"busNo": rec.bus_no, "busDateTime": rec.bus_date_time}),
                    lambda ans: setattr(w, "found", ans))
    qtbot.waitUntil(lambda: hasattr(w, "found"), timeout=10000)
    assert w.found["billNo"] == rec.bill_no
    press(qtbot, w, Qt.Key.Key_F10)
    doc = printer_rig.wait_document(timeout=10)
    assert rec.bill_no in doc.text
    press(qtbot, w, Qt.Key.Key_F11)
    page = w.win.paper_page
    qtbot.waitUntil(lambda: bool(page.next_no), timeout=10000)
    page.confirm.setText(page.next_no)
    press(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(page.last_pdf), timeout=10000)
    w.win.close()


def test_real_window_outage_with_the_real_emergency_engine(qtbot, qapp, rig: ServerRig, printer_rig, tmp_path,
                                                           io_guard) -> None:
    """The window issues through IssuingWorkflow: stock from the server while online, an emergency
    bill with its EMERGENCY notice during the outage, and on return the carry-forward shown."""
    term, user = rig.terminal(), rig.user("cashier")
    cfg = TerminalConfig(server_url=rig.server_url, appid=term["appid"], key=term["key"], place_code="001",
                        data_dir=str(tmp_path), receipt_printer={"transport": "network", "host": "127.0.0.1",
                                                                 "port": printer_rig.port})
    started = bg(lambda: build_from_config(cfg))
    w = _window(qtbot, qapp, started, rig, printer_rig, tmp_path)
    login(qtbot, w, user["username"], user["password"])
    w.win.probe()  # online: the engine registers its key and takes a stock block from the server
    qtbot.waitUntil(lambda: w.win.st_emergency.value not in ("—", "0张"), timeout=20000)
    before = int(w.win.st_emergency.value.rstrip("张"))
    printer_rig.clear()
    bg(lambda: rig.stop_server() or True)
    try:
        issue_by_keyboard(qtbot, w, "赵六")
        rec = w.win.issue_page.last
        assert rec.emergency and not rec.uploaded
        qtbot.waitUntil(w.win.banner.isVisible, timeout=5000)
        qtbot.waitUntil(lambda: f"剩余应急票号 {before - 1}" in w.win.banner.text(), timeout=5000)
        doc = printer_rig.wait_document(timeout=10)  # the engine prints the EMERGENCY notice itself
        assert "应急" in doc.text and rec.bill_no in doc.text
    finally:
        bg(lambda: rig.start_server() or True)

    def probed_back() -> bool:
        # The breaker lets the half-open probe through after its wait: probe as the timer would.
        if not w.win._probing:
            w.win.probe()
        return w.win.carry.isVisible()

    # The breaker backs off up to max_open_seconds (30 s) between probes while the server restarts
    # (slow on a loaded machine): allow one full backoff after the restart.
    qtbot.waitUntil(probed_back, timeout=60000)
    assert not w.win.banner.isVisible() and w.win.st_link.value == "在线"
    assert carry_summary(w.win.last_carry) == (1, [], [])
    assert "已结转 1 张" in w.win.carry.text()
    assert bg(lambda: started.services.workflow.status().pending_uploads) == 0
    w.win.close()
