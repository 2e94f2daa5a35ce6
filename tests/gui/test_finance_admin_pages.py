"""基础资料, 用户与接入 and 审计日志 in the real window against a real sync server (issue 18 §4):
finance saves a checker and a charge-item group and disables a department; the admin creates a
user (who then logs in with the one-time password) and an HIS caller; the audit page lists the
changes with the chain verified. Screenshots: docs/screenshots/finance_report_baseinfo.png,
finance_report_users.png, finance_report_audit.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_core.clock import SystemClock
from cashier_app.app import build_from_config
from cashier_app.main_window import MainWindow
from qt_common.fonts import install_app_font
from qt_common.qt import QPushButton
from sync_server.bills.catalog import import_items
from sync_server.security.audit import Actor
from sync_server.store.baseinfo_schema import checkers, item_groups
from sync_server.store.db import read_tx
from tests.rigs.stack import ServerThread, Stack
from workflows.demo.server import demo_server_config
from workflows.terminal.config import printer_spec

from .conftest import Window, bg, login

pytestmark = pytest.mark.gui

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with Stack(tmp_path_factory.mktemp("finance-admin-gui"), "sqlite").start(settle=True) as st:
        import_items(st.server.ctx.engine, SystemClock(), Actor("test"),
                     [{"chargeCode": "001", "chargeName": "西药费"}, {"chargeCode": "004", "chargeName": "化验费"}])
        yield st.server


def _window(qtbot, qapp, srv: ServerThread, tmp_path: Path, role: str) -> tuple[Window, tuple[str, str]]:
    install_app_font(qapp)
    cfg, account = demo_server_config(f"http://127.0.0.1:{srv.port}", srv.ctx.config.data_dir, tmp_path,
                                      receipt_printer=printer_spec(f"dir:{tmp_path / 'prints'}"), role=role)
    started = bg(lambda: build_from_config(cfg))
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    return Window(win, started.services, None, started.printers, None, tmp_path), account  # type: ignore[arg-type]


def _shot(w: Window, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert w.win.grab().save(str(SHOTS / f"finance_report_{name}.png"))


def _rows(grid) -> list[list[str]]:
    return [[grid.cell_text(r, c) for c in range(grid.columnCount())] for r in range(grid.rowCount())]


def test_finance_keeps_base_info_and_reads_the_audit_log(qtbot, qapp, server: ServerThread, tmp_path, io_guard) -> None:
    w, (user, password) = _window(qtbot, qapp, server, tmp_path, "finance")
    login(qtbot, w, user, password)
    page = w.win.baseinfo_page
    w.win.tabs.setCurrentWidget(page)
    page.which.setCurrentIndex(page.which.findData("checkers"))
    page.code.setText("C01")
    page.name.setText("孙丽")
    page.save_btn.click()
    qtbot.waitUntil(lambda: ["C01", "孙丽", "是"] in _rows(page.grid), timeout=10000)
    page.which.setCurrentIndex(page.which.findData("itemGroups"))
    qtbot.waitUntil(lambda: page.table == "itemGroups" and page.items.isVisible(), timeout=5000)
    page.code.setText("G1")
    page.name.setText("血常规套餐")
    page.items.setText("004*2, 001")
    page.save_btn.click()
    qtbot.waitUntil(lambda: any(r[:2] == ["G1", "血常规套餐"] for r in _rows(page.grid)), timeout=10000)
    page.which.setCurrentIndex(page.which.findData("departments"))
    page.code.setText("0203")
    page.name.setText("呼吸内科")
    page.save_btn.click()
    qtbot.waitUntil(lambda: ["0203", "呼吸内科", "是"] in _rows(page.grid), timeout=10000)
    page.off_btn.click()
    qtbot.waitUntil(lambda: ["0203", "呼吸内科", "否"] in _rows(page.grid), timeout=10000)
    page.items.setText("")  # a group without items is refused on screen, nothing sent
    page.which.setCurrentIndex(page.which.findData("itemGroups"))
    qtbot.waitUntil(lambda: any(r[:2] == ["G1", "血常规套餐"] for r in _rows(page.grid)), timeout=10000)
    page.code.setText("G2")
    page.name.setText("空组")
    page.save_btn.click()
    assert "分组项目" in page.msg.text()
    _shot(w, "baseinfo")
    # 财政基础信息: downloaded from the platform through the server, shown read-only
    page.which.setCurrentIndex(page.which.findData("fin:incomeItem"))
    qtbot.waitUntil(lambda: page.download_btn.isVisible() and not page.save_btn.isVisible(), timeout=5000)
    page.download_btn.click()
    qtbot.waitUntil(lambda: ["004", "化验费"] in [r[:2] for r in _rows(page.grid)], timeout=15000)
    assert "已下载" in page.msg.text() or "收入项目" in page.msg.text()
    _shot(w, "base_download")

    def stored() -> tuple[list[tuple[str, str, int]], str]:
        with read_tx(server.ctx.engine) as conn:
            return (list(conn.execute(checkers.select().with_only_columns(checkers.c.code, checkers.c.name,
                                                                             checkers.c.enabled))),
                    str(conn.execute(item_groups.select().with_only_columns(item_groups.c.items_json)).scalar()))
    chk, items = bg(stored)
    assert chk == [("C01", "孙丽", 1)] and '"chargeCode": "004", "number": "2"' in items

    audit = w.win.audit_page
    w.win.tabs.setCurrentWidget(audit)
    audit.go.click()
    qtbot.waitUntil(lambda: audit.page_data is not None, timeout=10000)
    actions = [r[4] for r in _rows(audit.grid)]
    for a in ("save_checkers", "save_item_groups", "save_departments", "disable_departments"):
        assert a in actions
    assert audit.page_data.chain_ok and "校验通过" in audit.chain.text()
    _shot(w, "audit")


def test_admin_manages_users_and_callers(qtbot, qapp, server: ServerThread, tmp_path, io_guard) -> None:
    w, (user, password) = _window(qtbot, qapp, server, tmp_path, "admin")
    login(qtbot, w, user, password)
    page = w.win.users_page
    w.win.tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: page.user_grid.rowCount() >= 5, timeout=10000)
    page.username.setText("cw09")
    page.display.setText("财务九")
    page.role.setCurrentIndex(page.role.findData("finance"))
    page.findChild(QPushButton, "user_create").click()
    qtbot.waitUntil(lambda: "初始密码" in page.msg.text(), timeout=10000)
    one_time = page.msg.text().split("：")[-1].split("<")[0].strip()
    qtbot.waitUntil(lambda: any(r[0] == "cw09" for r in _rows(page.user_grid)), timeout=10000)
    got = bg(lambda: server.terminal("TERM01").ok("login", {"username": "cw09", "password": one_time}))
    assert got["role"] == "finance"
    page.appid.setText("HIS77")
    page.caller_name.setText("体检系统")
    page.kind.setCurrentIndex(page.kind.findData("his"))
    page.places.setText("004")
    page.findChild(QPushButton, "caller_create").click()
    qtbot.waitUntil(lambda: "接入密钥" in page.msg.text(), timeout=10000)
    qtbot.waitUntil(lambda: any(r[0] == "HIS77" and r[3] == "004" for r in _rows(page.caller_grid)), timeout=10000)
    _shot(w, "users")
