"""The finance workspace's 票据库存 against the real sync server and finance simulator (issue 18 §2):
opening stock, 申领 -> approval in the simulator -> 入库确认, 分发 to a terminal, 作废, 申退, a
threshold and its warning — driven through the window's widgets, read back on screen and from the
server; screenshots docs/screenshots/finance_stock_*.png."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from cashier_app.app import build_from_config
from cashier_app.main_window import MainWindow
from qt_common.fonts import install_app_font
from tests.integration.cashier.server_rig import ServerRig
from workflows.terminal.config import TerminalConfig

from .conftest import Window, login

pytestmark = pytest.mark.gui
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("finance-stock-gui")).start()
    yield r
    r.stop()


def bg(fn):
    """Run test-harness I/O off the GUI thread, as the app would."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join(120)
    assert out, "background call failed"
    return out[0]


def _window(qtbot, qapp, rig: ServerRig, tmp_path: Path, role: str) -> Window:
    term, user = rig.terminal(), rig.user(role)
    cfg = TerminalConfig(server_url=rig.server_url, appid=term["appid"], key=term["key"], place_code="001",
                         data_dir=str(tmp_path / role))
    started = bg(lambda: build_from_config(cfg))
    install_app_font(qapp)
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    w = Window(win, started.services, None, started.printers, None, tmp_path)  # type: ignore[arg-type]
    login(qtbot, w, user["username"], user["password"])
    return w


def _done(qtbot, w: Window, button, expect: str) -> None:
    """Click and wait for the page's result line to say ``expect`` and the view to be re-read."""
    page = w.win.stock_page
    page.msg.clear()
    button.click()
    qtbot.waitUntil(lambda: expect in page.msg.text() or "✘" in page.msg.text(), timeout=20000)
    assert expect in page.msg.text(), page.msg.text()
    qtbot.waitUntil(lambda: w.win.tasks.busy == 0, timeout=20000)


def _shot(w: Window, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert w.win.grab().save(str(SHOTS / f"finance_stock_{name}.png"))


def _cells(table) -> list[list[str]]:
    return [[table.cell_text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_finance_stock_workspace_end_to_end(qtbot, qapp, rig: ServerRig, tmp_path, io_guard) -> None:
    w = _window(qtbot, qapp, rig, tmp_path, "finance")
    page = w.win.stock_page
    w.win.show_page("stock")
    qtbot.waitUntil(lambda: page.view is not None, timeout=20000)
    forms = page.apply_form
    page.tabs.setCurrentWidget(forms)
    forms.o_first.setText("0000900001")
    forms.o_last.setText("0000900500")
    _done(qtbot, w, forms.o_btn, "期初库存已登记")
    forms.a_count.setText("300")
    forms.a_reason.setText("门诊年底用量")
    _done(qtbot, w, forms.a_btn, "申领已提交")
    assert _cells(forms.applies)[0][3] == "待审批"
    forms.applies.selectRow(0)
    _done(qtbot, w, forms.r_btn, "已刷新审批结果")  # the simulator approves (stock_approval=auto)
    assert _cells(forms.applies)[0][3] == "已批准" and _cells(forms.applies)[0][5]
    forms.applies.selectRow(0)
    _done(qtbot, w, forms.c_btn, "入库确认完成")
    assert _cells(forms.applies)[0][3] == "已入库"
    _shot(w, "apply")

    move = page.move_form
    page.tabs.setCurrentWidget(move)
    move.first.setText("0000900001")
    move.last.setText("0000900100")
    move.terminal.setText("TERM01")
    _done(qtbot, w, move.buttons["distribute"], "分发完成")
    _shot(w, "distribute")

    void = page.void_form
    page.tabs.setCurrentWidget(void)
    void.first.setText("0000900101")
    void.last.setText("0000900102")
    void.buttons["void"].click()  # no reason: refused on the desk, nothing sent
    qtbot.waitUntil(lambda: "请填写作废原因" in page.msg.text(), timeout=10000)
    void.reason.setText("受潮损毁")
    _done(qtbot, w, void.buttons["void"], "作废完成")
    void.first.setText("0000900401")
    void.last.setText("0000900500")
    void.reason.setText("年终申退")
    _done(qtbot, w, void.buttons["return"], "申退完成")
    _shot(w, "void_return")

    th = page.threshold_form
    page.tabs.setCurrentWidget(th)
    th.place.setCurrentIndex(th.place.findData("001"))
    th.minimum.setText("200")
    _done(qtbot, w, th.save, "预警值已保存")
    assert ["001", "（全部）", "0602", "200"] in _cells(th.table)
    _shot(w, "thresholds")

    page.tabs.setCurrentWidget(page.overview)
    ov = page.overview
    lots = _cells(ov.lots)
    opening = next(r for r in lots if r[2] == "0000900001")
    # 入库 500 − 分发 100 − 作废 2 − 申退 100 = 结余 298
    assert opening[4:] == ["期初", "500", "100", "2", "100", "298", "平衡"]
    stock_in = next(r for r in lots if r[4] == "入库")
    assert stock_in[5] == stock_in[9] == "300"
    assert ["001", "TERM01", "0602", "100", "0", "100"] in _cells(ov.holdings)
    assert ov.warnings.isVisible() and "开票点001" in ov.warnings.text() and "低于预警值200张" in ov.warnings.text()
    assert ov.emergency.rowCount() > 0  # the server's own emergency blocks in the same view
    assert "财务库房结余 598 张" in ov.summary.text()
    _shot(w, "overview")
    w.win.close()


def test_a_cashier_cannot_use_the_stock_workspace(qtbot, qapp, rig: ServerRig, tmp_path, io_guard) -> None:
    w = _window(qtbot, qapp, rig, tmp_path, "cashier")
    page = w.win.stock_page
    w.win.show_page("stock")
    page.refresh_btn.click()
    qtbot.waitUntil(lambda: "✘" in page.msg.text(), timeout=5000)
    assert page.view is None and "权" in page.msg.text()  # refused on the window, nothing sent
    w.win.close()
