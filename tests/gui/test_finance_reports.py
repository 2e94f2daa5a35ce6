"""报表中心 in the real window against a real sync server holding a seeded day of traffic (issue 18
§3): a finance user queries each report, the table matches the test's own count, a summary draws
its chart, export writes an XLSX that openpyxl reads back, print writes the A4 PDF. Screenshots:
docs/screenshots/finance_report_*.png."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from cashier_app.app import build_from_config
from cashier_app.main_window import MainWindow
from qt_common.fonts import install_app_font
from qt_common.qt import QDate
from tests.integration.reports.traffic import Traffic, seed_day
from tests.rigs.stack import Stack
from workflows.demo.server import demo_server_config
from workflows.terminal.config import printer_spec

from .conftest import Window, bg, login

pytestmark = pytest.mark.gui

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traffic]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "reports"))
    with Stack(tmp_path_factory.mktemp("finance-gui"), "sqlite").start(settle=True) as st:
        yield seed_day(st)


def _window(qtbot, qapp, seeded: Traffic, tmp_path: Path, role: str = "finance") -> tuple[Window, tuple[str, str]]:
    install_app_font(qapp)
    srv = seeded.server
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


def _query(qtbot, w: Window, seeded: Traffic, report: str) -> None:
    page = w.win.reports_page
    w.win.tabs.setCurrentWidget(page)
    page.kind.setCurrentIndex(page.kind.findData(report))
    lo, hi = seeded.days
    page.date_from.setDate(QDate.fromString(lo, "yyyy-MM-dd"))
    page.date_to.setDate(QDate.fromString(hi, "yyyy-MM-dd"))
    before = page.table
    page.go.click()
    qtbot.waitUntil(lambda: page.table is not before and page.table is not None
                    and page.table.query.report == report, timeout=15000)


def _grid(w: Window) -> list[dict[str, str]]:
    g = w.win.reports_page.grid
    heads = [g.horizontalHeaderItem(c).text() for c in range(g.columnCount())]
    return [{h: g.cell_text(r, c) for c, h in enumerate(heads)} for r in range(g.rowCount())]


def _shot(w: Window, name: str) -> None:
    if os.environ.get("QT_SCALE_FACTOR", "1") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert w.win.grab().save(str(SHOTS / f"finance_report_{name}.png"))


def test_finance_user_reads_exports_and_prints_reports(qtbot, qapp, seeded: Traffic, tmp_path, io_guard) -> None:
    w, (user, password) = _window(qtbot, qapp, seeded, tmp_path)
    login(qtbot, w, user, password)
    page = w.win.reports_page

    _query(qtbot, w, seeded, "cashierSummary")
    want: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for b in seeded.bills:
        want[b.payee] += Decimal(0) if b.red else b.total
    got = {r["收费员"]: Decimal(r["实收金额"]) for r in _grid(w)}
    assert got == dict(want)
    assert page.chart.isVisible() and {lb for lb, _v in page.chart.points} == set(want)
    _shot(w, "cashier")

    _query(qtbot, w, seeded, "channelSummary")
    came: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for b in seeded.bills:
        for code, value in b.channels.items():
            came[code] += Decimal(0) if b.red else value
    assert {r["渠道编码"]: Decimal(r["实收金额"]) for r in _grid(w)} == dict(came)
    _shot(w, "channel")

    _query(qtbot, w, seeded, "invoiceDetail")  # 50 a page: the day's 29 bills on one page
    assert sorted(r["票据号码"] for r in _grid(w)) == sorted(b.no for b in seeded.bills)
    assert not page.chart.isVisible() and "29" in page.msg.text()
    _shot(w, "detail")

    _query(qtbot, w, seeded, "redDetail")
    assert sorted(r["原票据号码"] for r in _grid(w)) == sorted(b.no for b in seeded.bills if b.red)
    _shot(w, "red")

    _query(qtbot, w, seeded, "invoiceSummary")
    _shot(w, "summary")
    page.path.setText(str(tmp_path / "summary.xlsx"))
    page.export_btn.click()
    qtbot.waitUntil(lambda: page.last_export is not None, timeout=15000)
    ws = bg(lambda: openpyxl.load_workbook(page.last_export)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    net = rows[1].index("实收金额")
    assert Decimal(str(rows[-1][net])) == sum((Decimal(0) if b.red else b.total for b in seeded.bills), Decimal(0))
    page.print_btn.click()
    qtbot.waitUntil(lambda: page.last_pdf is not None, timeout=15000)
    assert bg(lambda: page.last_pdf.read_bytes()[:5]) == b"%PDF-"


def test_cashier_may_not_open_hospital_wide_reports(qtbot, qapp, seeded: Traffic, tmp_path, io_guard) -> None:
    w, (user, password) = _window(qtbot, qapp, seeded, tmp_path, role="cashier")
    login(qtbot, w, user, password)
    page = w.win.reports_page
    w.win.tabs.setCurrentWidget(page)
    page.go.click()
    assert page.table is None and "无权" in page.msg.text()
