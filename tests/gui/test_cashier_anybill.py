"""Issue 18 acceptance (§1): a bill issued by an HIS caller at another billing point is found at a
cashier window, its notice printed, exchanged for paper, reprinted and written off — the real
window against the real sync server and finance simulator processes, the notice on the TCP ESC/POS
rig, the paper bill through the QPrinter driver onto the real CUPS spooler (cups-pdf queue) with the
printer's calibration offset. Screenshots: docs/screenshots/cashier_anybill_*.png."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_core.qr_payload import BillQr
from cashier_app.app import build_from_config
from cashier_app.main_window import MainWindow
from devices.drivers.qt_bill_printer import QtBillPrinter, QtBillPrinterConfig
from qt_common.fonts import install_app_font
from qt_common.qt import QPushButton, Qt
from tests.integration.cashier.server_rig import ServerRig, paper_batch_code
from tests.rigs.cups import CupsPdfRig
from tests.rigs.fixtures import cups_pdf  # noqa: F401  (the CUPS rig fixture)
from tests.rigs.stack import HisClient
from workflows.documents import paper_job
from workflows.terminal.config import TerminalConfig

from .conftest import Window, bg, login

pytestmark = pytest.mark.gui

#: screenshots go to docs/screenshots only when asked (``SCREENSHOTS_DIR=docs/screenshots``), else to tmp
SHOTS_ENV = "SCREENSHOTS_DIR"
ID_NO = "440106197705050022"
OFFSET_X_MM = 3.0
PT_PER_MM = 72 / 25.4
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("anybill-gui-server")).start()
    yield r
    r.stop()


def his_issue(rig: ServerRig, count: int = 1, **changes: Any) -> dict[str, Any]:
    """HIS01 issues ``count`` outpatient bills at point 002 (the window is 001): the last one's
    request | answer."""
    sample = json.loads((Path(__file__).parents[1] / "fixtures" / "requests" / "outpatient.json")
                        .read_text(encoding="utf-8"))
    his = next(c for c in rig.demo["callers"] if c["appid"] == "HIS01")
    client = HisClient(f"{rig.server_url}/medical-web/api/medical", his["appid"], his["key"])
    try:
        for _ in range(count):
            bill = sample | {"busNo": f"HISQ{uuid.uuid4().hex[:12]}", "placeCode": "002", "payer": "周慧敏",
                             "idCardNo": ID_NO} | changes
            result, answer = client.call("invoiceEBillOutpatient", bill)
            assert result == "S0000", answer
        return bill | answer
    finally:
        client.close()


def _shot(w: Window, name: str) -> None:
    """Save the window (docs/screenshots/cashier_anybill_<name>.png when asked) and check that
    nothing on the page is cut off at 1366x768."""
    from cashier_app.screenshots import cut_off

    out = Path(os.environ.get(SHOTS_ENV) or w.tmp)
    out.mkdir(parents=True, exist_ok=True)
    assert w.win.grab().save(str(out / f"cashier_anybill_{name}.png"))
    assert cut_off(w.win) == []


def _words(pdf: Path) -> list[tuple[float, str]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(float(m[0]), m[1]) for m in re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]


def test_an_his_bill_at_a_cashier_window(qtbot, qapp, rig: ServerRig, printer_rig, cups_pdf: CupsPdfRig,  # noqa: F811
                                         tmp_path, io_guard) -> None:
    term, finance = rig.terminal(), rig.user("finance")
    cfg = TerminalConfig(server_url=rig.server_url, appid=term["appid"], key=term["key"], place_code="001",
                         data_dir=tmp_path, receipt_printer={"transport": "network", "host": "127.0.0.1",
                                                             "port": printer_rig.port},
                         bill_printer={"driver": "qprinter", "printer_name": cups_pdf.queue,
                                       "offset_x_mm": OFFSET_X_MM})
    printer_rig.clear()
    bill = bg(lambda: his_issue(rig))
    started = bg(lambda: build_from_config(cfg))
    api = started.services.api
    started.services.paper.paper_batch_code = bg(lambda: paper_batch_code(api, "001"))
    install_app_font(qapp)
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    w = Window(win, started.services, None, started.printers, printer_rig, tmp_path)  # type: ignore[arg-type]
    login(qtbot, w, finance["username"], finance["password"])
    assert bg(lambda: started.services.bills.by_bus_no(bill["busNo"])) is None  # not this window's bill

    # 1. found in the hospital by the payer's ID number (sealed on the server, found by its keyed digest)
    query = win.query_page
    win.show_page("query")
    query.field.setCurrentIndex(query.field.findData("id_card_no"))
    query.text.setText(ID_NO)
    qtbot.mouseClick(_button(query, "hospitalQueryButton"), LEFT)
    qtbot.waitUntil(lambda: any(r.bus_no == bill["busNo"] for r in query.rows), timeout=20000)
    row = next(i for i, r in enumerate(query.rows) if r.bus_no == bill["busNo"])
    rec = query.rows[row]
    assert rec.source == "server" and rec.place_code == "002" and rec.place_name == "住院收费处"
    assert query.table.item(row, 11).text() == "住院收费处"
    assert ID_NO not in str(rec.request)  # masked in the answer
    query.table.selectRow(row)
    _shot(w, "query")

    # 2. its notice printed on the receipt printer
    qtbot.mouseClick(_button(query, "noticeButton"), LEFT)
    doc = bg(lambda: printer_rig.wait_document(timeout=15))
    assert bill["billNo"] in doc.text

    # a scanned notice QR of that bill opens it on the paper page too (looked up hospital-wide)
    qr = BillQr(bill["billBatchCode"], bill["billNo"], bill["random"], Decimal(bill["totalAmt"]),
                bill["createTime"][:8]).text()
    win.on_scan(qr)
    qtbot.waitUntil(lambda: win.paper_page.rec is not None and win.paper_page.rec.bus_no == bill["busNo"],
                    timeout=15000)
    assert win.tabs.currentWidget() is win.paper_page
    win.show_page("query")

    # 3. exchanged for paper: onto the CUPS queue, the number the cashier confirmed
    qtbot.mouseClick(_button(query, "toPaperButton"), LEFT)
    page = win.paper_page
    qtbot.waitUntil(lambda: page.rec is not None and page.rec.bus_no == bill["busNo"] and bool(page.next_no),
                    timeout=15000)
    first = page.next_no
    page.confirm.setText(first)
    qtbot.mouseClick(page.exchange_btn, LEFT)
    qtbot.waitUntil(lambda: bool(page.last_printer), timeout=30000)
    assert page.rec.paper_no == first and not page.last_pdf  # the bill printer, no PDF asked for
    pdf = bg(lambda: cups_pdf.wait_pdf(f"paper_{page.rec.paper_batch_code}_{first}"))
    # the same form through the same driver without calibration: every field sits 3 mm further left
    ref = tmp_path / "reference.pdf"
    job = paper_job(page.rec, started.services.window.hospital, place_name=started.services.window.place_name,
                    background=False)
    bg(lambda: _print_reference(job, ref))
    printed, plain = min(x for x, _t in _words(pdf)), min(x for x, _t in _words(ref))
    assert abs(printed - plain - OFFSET_X_MM * PT_PER_MM) < 1.5, (printed, plain)
    # 4. reprinted on the next number with a reason; the first paper is voided
    qtbot.waitUntil(lambda: bool(page.next_no) and page.next_no != first, timeout=15000)
    page.show_preview()
    _shot(w, "paper")
    second = page.next_no
    page.confirm.setText(second)
    page.reason.setText("卡纸重打")
    page.last_printer = ""
    qtbot.mouseClick(page.reprint_btn, LEFT)
    qtbot.waitUntil(lambda: bool(page.last_printer), timeout=30000)
    assert page.rec.paper_no == second and page.rec.voided_papers == [first]
    assert bg(lambda: cups_pdf.wait_pdf(f"paper_{page.rec.paper_batch_code}_{second}")).exists()

    # 5. written off: the paper voided first, which red-flushes the e-bill (seed 001 (三)1(5))
    win.show_page("query")
    query.field.setCurrentIndex(query.field.findData("bus_no"))
    query.text.setText(bill["busNo"])
    qtbot.mouseClick(_button(query, "hospitalQueryButton"), LEFT)
    qtbot.waitUntil(lambda: any(r.bus_no == bill["busNo"] and r.paper_no == second for r in query.rows),
                    timeout=20000)
    query.table.selectRow(next(i for i, r in enumerate(query.rows) if r.bus_no == bill["busNo"]))
    qtbot.mouseClick(_button(query, "toWriteoffButton"), LEFT)
    off = win.writeoff_page
    qtbot.waitUntil(lambda: bool(off.rows) and bool(off.table.checked_rows()), timeout=20000)
    assert [off.rows[i].bus_no for i in off.table.checked_rows()] == [bill["busNo"]]
    off.reason.setText("患者退费")
    off.paper_first.setChecked(True)
    qtbot.mouseClick(off.go, LEFT)
    qtbot.waitUntil(lambda: "已冲红" in off.log.toPlainText(), timeout=30000)
    _shot(w, "writeoff")
    states = bg(lambda: api.call("getEBillStatesByBillInfo", {"billBatchCode": bill["billBatchCode"],
                                                              "billNo": bill["billNo"]}))
    assert states["isScarlet"] == "1"
    red = bg(lambda: printer_rig.wait_document(timeout=15))  # the red notice
    assert bill["billNo"] in red.text or "红" in red.text
    win.close()


def _print_reference(job: Any, path: Path) -> bool:
    with QtBillPrinter("reference", QtBillPrinterConfig(pdf_path=str(path))) as printer:
        printer.print_pages(job)
    return True


def _button(page: Any, name: str) -> Any:
    found = page.findChild(QPushButton, name)
    assert found is not None, name
    return found


def test_hospital_search_pages(qtbot, qapp, rig: ServerRig, tmp_path, io_guard) -> None:
    """More bills than a page: 下一页 / 上一页 turn the server's pages."""
    term, cashier = rig.terminal(), rig.user("cashier")
    payer = f"翻页{uuid.uuid4().hex[:4]}"
    bg(lambda: his_issue(rig, 21, payer=payer, idCardNo=""))
    cfg = TerminalConfig(server_url=rig.server_url, appid=term["appid"], key=term["key"], place_code="001",
                         data_dir=tmp_path)
    started = bg(lambda: build_from_config(cfg))
    install_app_font(qapp)
    win = MainWindow(started.services, started.printers, probe_ms=0)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    w = Window(win, started.services, None, started.printers, None, tmp_path)  # type: ignore[arg-type]
    login(qtbot, w, cashier["username"], cashier["password"])
    query = win.query_page
    win.show_page("query")
    query.field.setCurrentIndex(query.field.findData("payer"))
    query.text.setText(payer)
    qtbot.mouseClick(_button(query, "hospitalQueryButton"), LEFT)
    qtbot.waitUntil(lambda: len(query.rows) == 20, timeout=20000)
    assert "全院共21张" in query.msg.text() and "第1/2页" in query.msg.text()
    assert query.next_btn.isEnabled() and not query.prev_btn.isEnabled()
    first_page = {r.bus_no for r in query.rows}
    qtbot.mouseClick(query.next_btn, LEFT)
    qtbot.waitUntil(lambda: len(query.rows) == 1, timeout=20000)
    assert query.rows[0].bus_no not in first_page and query.rows[0].payer == payer
    assert query.prev_btn.isEnabled() and not query.next_btn.isEnabled() and "第2/2页" in query.msg.text()
    qtbot.mouseClick(query.prev_btn, LEFT)
    qtbot.waitUntil(lambda: len(query.rows) == 20, timeout=20000)
    win.close()
