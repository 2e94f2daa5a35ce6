"""Issue 18 §1: card readers fill the payer fields on the issue page — the social-security card
through the real pcscd rig (vpcd virtual card), the resident ID card through the SAM module
simulator on a socat pty — and the bill issued carries them; the ID number is shown masked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app.app import make_card_readers
from cashier_app.main_window import MainWindow
from cashier_app.printers import WindowPrinters
from qt_common.fonts import install_app_font
from qt_common.qt import QPushButton, Qt
from tests.rigs.fixtures import id_reader, pty_pair  # noqa: F401  (the ID reader rig fixtures)
from tests.rigs.pcscd import READER
from tests.rigs.ptys import SocatPair
from workflows.demo.cashier import demo_services

from .conftest import Window, bg, login

pytestmark = pytest.mark.gui

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
#: screenshots go to docs/screenshots only when asked (``SCREENSHOTS_DIR=docs/screenshots``), else to tmp
SHOTS_ENV = "SCREENSHOTS_DIR"


@pytest.fixture
def card_window(qtbot, qapp, tmp_path, pty_pair: SocatPair, id_reader, pcsc,  # noqa: F811
                io_guard) -> Iterator[Window]:
    install_app_font(qapp)
    printers = WindowPrinters(None, tmp_path / "paper", "演示市人民医院")
    services, platform = bg(lambda: demo_services(tmp_path, printer=printers))
    services.cards = make_card_readers({"ssc_reader": {"driver": "pcsc", "reader": READER},
                                        "id_reader": {"driver": "sam_serial", "port": pty_pair.a}})
    win = MainWindow(services, printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    w = Window(win, services, platform, printers, None, tmp_path)  # type: ignore[arg-type]
    login(qtbot, w)
    yield w
    win.close()


def _issue(qtbot, w: Window) -> dict:  # type: ignore[type-arg]
    page = w.win.issue_page
    page.fields["patient_no"].setText("MZ7001")  # type: ignore[attr-defined]
    page.form.add_item("102", "1", None)
    page.form.set_pay("02", str(page.form.total))
    page.last = None
    page.issue()
    qtbot.waitUntil(lambda: page.last is not None, timeout=15000)
    assert page.last is not None
    return page.last.request


def test_social_security_card_fills_the_payer(qtbot, card_window: Window, pcsc) -> None:
    w, page = card_window, card_window.win.issue_page
    assert page.ssc_btn.isEnabled() and page.id_btn.isEnabled()
    pcsc.insert(FIX / "ssse_zhangsan.json")
    qtbot.mouseClick(w.win.findChild(QPushButton, "readSscButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.fields["payer"].text() == "张三", timeout=20000)  # type: ignore[attr-defined]
    assert page.fields["card_no"].text() == "A12345678"  # type: ignore[attr-defined]
    shown = page.fields["id_card_no"].text()  # type: ignore[attr-defined]
    assert shown == "330102********1234" and page.form.header["id_card_no"] == "330102199001011234"
    assert page.fields["sex"].currentData() == "男" and page.fields["age"].text().isdigit()  # type: ignore[attr-defined]
    from cashier_app.screenshots import cut_off

    out = Path(os.environ.get(SHOTS_ENV) or w.tmp)
    out.mkdir(parents=True, exist_ok=True)
    assert w.win.grab().save(str(out / "cashier_anybill_card.png")) and cut_off(w.win) == []
    req = _issue(qtbot, w)
    assert (req["payer"], req["cardType"], req["cardNo"], req["idCardNo"]) == (
        "张三", "1102", "A12345678", "330102199001011234")


def test_id_card_fills_the_payer(qtbot, card_window: Window) -> None:
    w, page = card_window, card_window.win.issue_page
    qtbot.mouseClick(w.win.findChild(QPushButton, "readIdButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.fields["payer"].text() == "张三", timeout=20000)  # type: ignore[attr-defined]
    assert page.fields["id_card_no"].text() == "330106********1234"  # type: ignore[attr-defined]
    assert page.fields["card_no"].text() == "330106********1234"  # type: ignore[attr-defined]
    req = _issue(qtbot, w)
    assert (req["cardType"], req["cardNo"], req["idCardNo"]) == ("1101", "330106199001011234", "330106199001011234")
    assert req["sex"] == "男"


def test_no_card_is_reported(qtbot, card_window: Window, id_reader) -> None:  # noqa: F811
    page = card_window.win.issue_page
    id_reader.mode = "no_card"
    qtbot.mouseClick(page.id_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✘" in page.result.text(), timeout=20000)
    assert page.fields["payer"].text() == ""  # type: ignore[attr-defined]
    last = card_window.win.errors.last
    assert last is not None and last[0].startswith("E6"), last
