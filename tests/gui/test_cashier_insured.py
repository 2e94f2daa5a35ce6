"""医保结算 at the real cashier window (F8) against real processes — sync server, finance,
insurance and payment simulators (tests/rigs/insured.py): read the insured person by ID card,
enter fees, pre-settle (fund / account / cash shown), take the cash, settle: the e-bill carries
the insurance parts and the voucher is queued; the platform down says "self-pay". Screenshots of
each screen (``INS_SCREENSHOTS=docs/screenshots`` writes the documented ones)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cashier_app.app import build_from_config
from cashier_app.main_window import MainWindow
from offline_store import ins_orders
from qt_common.fonts import install_app_font
from qt_common.qt import Qt
from tests.rigs.insurance import QIAN, ZHANG
from tests.rigs.insured import Rig, platform_bill_data
from workflows.terminal.config import TerminalConfig

from .conftest import Window, bg, login, press

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("cashier-insured"))
    try:
        yield r.start()
    finally:
        r.stop()


def _window(qtbot, qapp, rig: Rig, tmp_path: Path) -> Window:  # type: ignore[no-untyped-def]
    install_app_font(qapp)
    assert rig.server is not None
    term = next(c for c in rig.server.demo["callers"] if c["appid"] == "TERM01")
    cfg = TerminalConfig(server_url=rig.base, appid=term["appid"], key=term["key"], place_code="001",
                         data_dir=tmp_path, emergency=False)
    started = bg(lambda: build_from_config(cfg))
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    return Window(win, started.services, None, started.printers, None, tmp_path)  # type: ignore[arg-type]


def _shot(w: Window, name: str) -> None:
    out = Path(os.environ.get("INS_SCREENSHOTS") or w.tmp)
    out.mkdir(parents=True, exist_ok=True)
    assert w.win.grab().save(str(out / f"{name}_1366x768.png"))


def _read_person(qtbot, w: Window, certno: str) -> None:  # type: ignore[no-untyped-def]
    page = w.win.insured_page
    page.cert_type.setCurrentIndex(1)  # 居民身份证
    page.cert_no.setText(certno)
    qtbot.mouseClick(page.read, Qt.MouseButton.LeftButton)


def test_insured_checkout_at_the_window(qtbot, qapp, rig: Rig, tmp_path: Path, io_guard) -> None:  # type: ignore[no-untyped-def]
    w = _window(qtbot, qapp, rig, tmp_path)
    user = rig.user("cashier")
    login(qtbot, w, user["username"], user["password"])
    press(qtbot, w, Qt.Key.Key_F8)
    page = w.win.insured_page
    assert w.win.tabs.currentWidget() is page
    assert not page.pre.isEnabled()  # nobody identified yet
    _read_person(qtbot, w, QIAN["certno"])
    qtbot.waitUntil(lambda: QIAN["name"] in page.person.text(), timeout=15000)
    assert QIAN["certno"] not in page.person.text() and page.cert_no.text() == "440***********1111"  # masked
    for med, charge, price, count in (("110200001", "102", "10.00", "1"), ("250101015", "301", "25.00", "2")):
        page.med_code.setText(med)
        page.charge.setText(charge)
        page.price.setText(price)
        page.count.setText(count)
        qtbot.mouseClick(page.findChild(type(page.read), "insAdd"), Qt.MouseButton.LeftButton)
    assert page.table.rowCount() == 2 and page.m_total.amount == Decimal("60.00"), page.msg.text()
    page.charge.setText("NOPE")  # a charge item not in the catalog: named, nothing added
    page.med_code.setText("110200001")
    page.price.setText("1")
    page.add_line()
    assert "NOPE" in page.msg.text() and page.table.rowCount() == 2
    qtbot.mouseClick(page.pre, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "预结算完成" in page.msg.text(), timeout=20000)
    fund, account, cash = page.m_fund.amount, page.m_account.amount, page.m_cash.amount
    assert fund + account + cash == Decimal("60.00") == page.m_total.amount and cash > 0
    assert f"{cash:.2f}" in page.msg.text() and page.go.isEnabled() and page.drop.isEnabled()
    _shot(w, "12_insured_presettle")
    qtbot.mouseClick(page.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "已结算" in page.msg.text(), timeout=30000)
    _shot(w, "13_insured_settled")
    order = bg(lambda: ins_orders.get(page.checkout.flow.db, page.checkout.order.order_no))  # type: ignore[union-attr]
    assert order.state == "done" and order.bill["billNo"] in page.msg.text()
    data = bg(lambda: platform_bill_data(rig, order.bus_no))
    assert Decimal(data["fundPay"]) + Decimal(data["accountPay"]) + Decimal(data["selfCashPay"]) == Decimal("60.00")
    assert (Decimal(data["selfCashPay"]), Decimal(data["accountPay"])) == (cash, account)
    assert data["medicalInsuranceID"] == QIAN["psn_no"]
    # a cashier may not write off: the refund is refused before anything moved
    page.reason.setText("患者要求退费")
    qtbot.mouseClick(page.back, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "✘" in page.msg.text(), timeout=20000)
    assert "冲红失败" in page.msg.text(), page.msg.text()
    assert bg(lambda: page.checkout.flow.api.query(order.settlement_id or 0)).state == "settled"
    w.win.close()


def test_platform_down_offers_self_pay(qtbot, qapp, rig: Rig, tmp_path: Path, io_guard) -> None:  # type: ignore[no-untyped-def]
    assert rig.ins is not None
    w = _window(qtbot, qapp, rig, tmp_path)
    user = rig.user("cashier")
    login(qtbot, w, user["username"], user["password"])
    press(qtbot, w, Qt.Key.Key_F8)
    page = w.win.insured_page
    bg(lambda: rig.ins.knobs(down=True))  # type: ignore[union-attr]
    try:
        _read_person(qtbot, w, ZHANG["certno"])
        qtbot.waitUntil(lambda: "自费" in page.msg.text(), timeout=20000)
        _shot(w, "14_insured_platform_down")
        assert page.read.isEnabled() and not page.pre.isEnabled()
    finally:
        bg(lambda: rig.ins.knobs(down=None))  # type: ignore[union-attr]
    w.win.close()
