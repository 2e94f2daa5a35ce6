"""pytest-qt fixtures: the real cashier window over the demo platform, the TCP printer rig, and
the GUI-thread I/O guard installed for every test (a test fails if any HTTP, SQLite, socket or
device call ran on the GUI thread)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from cashier_app.main_window import MainWindow  # noqa: E402
from cashier_app.printers import WindowPrinters  # noqa: E402
from qt_common import guard  # noqa: E402
from qt_common.fonts import install_app_font  # noqa: E402
from qt_common.qt import QApplication, QEvent, QKeyEvent, Qt, QWidget  # noqa: E402
from tests.rigs.escpos_printer import TcpEscposPrinter  # noqa: E402
from workflows.cashier.services import CashierServices  # noqa: E402
from workflows.demo.cashier import demo_services  # noqa: E402
from workflows.demo.platform import DemoPlatform  # noqa: E402
from workflows.demo.users import DEMO_PASSWORD  # noqa: E402
from workflows.terminal.builder import make_receipt_printer  # noqa: E402
from workflows.terminal.config import printer_spec  # noqa: E402

T = TypeVar("T")


def bg(fn: Callable[[], T], timeout: float = 120) -> T:
    """Run test-harness I/O (setup calls, store reads, process control) off the GUI thread, as the
    app would: the store is SQLite and the demo platform is reached through the SyncClient, both
    of which the guard refuses on the GUI thread."""
    out: list[Any] = []
    err: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # re-raised on the test thread below
            err.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout)
    if err:
        raise err[0]
    assert out, "background call did not finish"
    return out[0]


@pytest.fixture(scope="session")
def printer_rig() -> Iterator[TcpEscposPrinter]:
    rig = TcpEscposPrinter().start()
    yield rig
    rig.stop()


@dataclass
class Window:
    """The window under test with its parts."""

    win: MainWindow
    services: CashierServices
    platform: DemoPlatform
    printers: WindowPrinters
    rig: TcpEscposPrinter
    tmp: Path


@pytest.fixture
def io_guard() -> Iterator[None]:
    guard.violations.clear()
    guard.install()
    yield
    found = list(guard.violations)
    guard.uninstall()
    guard.violations.clear()
    assert not found, "I/O on the GUI thread:\n" + "\n\n".join(found)


@pytest.fixture
def window(qtbot, qapp, tmp_path, printer_rig, io_guard) -> Iterator[Window]:
    install_app_font(qapp)
    printer_rig.clear()
    printers = WindowPrinters(make_receipt_printer(printer_spec(f"tcp://127.0.0.1:{printer_rig.port}")),
                              tmp_path / "paper", "演示市人民医院")
    services, platform = bg(lambda: demo_services(tmp_path, printer=printers))
    win = MainWindow(services, printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    w = Window(win, services, platform, printers, printer_rig, tmp_path)
    wait_focus(qtbot, w, win.login_page.user)
    yield w
    # The store stays open: a task's success handler may still start another (a page refreshing its
    # list) after the window closed, and it must not meet a closed database.
    win.close()  # closeEvent shuts the printer down off the GUI thread


def focused(w: Window) -> QWidget:
    """The widget that has keyboard focus in the window."""
    f = QApplication.focusWidget() or w.win.focusWidget()
    assert f is not None, "nothing has focus"
    return f


def type_text(qtbot, w: Window, text: str) -> None:
    """Type into whatever has focus (keyboard only).

    QTest.keyClicks aborts on non-ASCII characters (qasciikey.cpp), so Chinese characters are sent
    as key events carrying the text, as an input method commits them.
    """
    for ch in text:
        target = focused(w)
        if ch.isascii():
            qtbot.keyClick(target, ch)
        else:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(target, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, ch))


def press(qtbot, w: Window, key: Qt.Key) -> None:
    """Press one key on whatever has focus."""
    qtbot.keyClick(focused(w), key)


def wait_focus(qtbot, w: Window, widget: QWidget) -> None:
    """Make sure keys go to ``widget``: a window of the previous test may still hold the application's
    focus until its deferred deletion ran, and typing would land there."""
    w.win.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=5000)


def login(qtbot, w: Window, user: str = "sf01", password: str = DEMO_PASSWORD) -> None:
    """Log in by keyboard: user id, Enter, password, Enter."""
    wait_focus(qtbot, w, w.win.login_page.user)
    type_text(qtbot, w, user)
    press(qtbot, w, Qt.Key.Key_Return)
    type_text(qtbot, w, password)
    press(qtbot, w, Qt.Key.Key_Return)
    try:
        qtbot.waitUntil(lambda: w.win.root.currentWidget() is w.win.workspace, timeout=10000)
    except Exception:  # say why: what was typed, what the login page answered, the last error
        page = w.win.login_page
        raise AssertionError(f"login did not finish: user={page.user.text()!r} msg={page.msg.text()!r} "
                             f"button={page.button.isEnabled()} busy={w.win.tasks.busy} "
                             f"error={w.win.errors.last!r}") from None
