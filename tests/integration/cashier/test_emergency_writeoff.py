"""Write-off (冲红) of an emergency bill before its upload, against the real sync server and finance
simulator (subprocesses; issue 7 §7 "an emergency write-off is queued after its carry-forward").

Server down -> emergency bill -> write-off queued in the terminal store (shown as queued) -> server
up -> the upload round carries the bill forward with its printed number and then sends the
write-off: the platform red-flushes it exactly once. And the conflict case: the server issued
another bill for the busNo meanwhile, so the queued write-off is held and reported, never sent.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import pytest

from billing_core.crypto.keys import SM2PrivateKey
from offline_store import outbox, writeoffs
from offline_store.db import Database
from sync_server.connectors.finance import FinanceClient
from tests.integration.cashier.server_rig import ServerRig, paper_batch_code
from workflows.cashier.entry import EntryForm
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.login import ServerDirectory
from workflows.cashier.services import CashierServices, build_services
from workflows.demo.catalog import demo_catalog
from workflows.emergency.chain import BillSigner
from workflows.emergency.upload import UploadReport
from workflows.emergency.writeoff import QUEUED_TEXT, WriteOffHeldError, WriteOffQueuedError
from workflows.records import STATE_RED, BillRecord
from workflows.server_api import ServerApi
from workflows.session_errors import AlreadyWrittenOff
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration

FINANCE_APPID, FINANCE_KEY = "DEMOHOSP01", "demo-finance-key-2026"  # the simulator's demo hospital


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("cashier-writeoff")).start()
    yield r
    client = _clients.pop(id(r), None)
    if client is not None:
        client.close()
    r.stop()


@pytest.fixture(scope="module")
def window(rig: ServerRig, tmp_path_factory) -> Iterator[CashierServices]:
    # One store for the module: the server checks each terminal's hash chain across uploads.
    term = rig.terminal()
    sync = SyncClient(rig.server_url, term["appid"], term["key"], connect_timeout=1, failure_threshold=1,
                      open_seconds=0.5)
    api = ServerApi(sync)
    place = term["placeCodes"][0]
    services = build_services(window=WindowConfig(place, "门诊收费一号窗口", terminal_id=term["appid"]), sync=sync,
                              db=Database(tmp_path_factory.mktemp("window") / "terminal.db"), directory=ServerDirectory(api),
                              catalog=demo_catalog(), paper_batch_code=paper_batch_code(api, place),
                              signer=BillSigner(SM2PrivateKey.generate()), top_up=20)
    user = rig.user("finance")  # write-off needs the finance role on the server (issue 14 item 4)
    services.login.login(user["username"], user["password"])
    yield services
    services.close()


def _form(s: CashierServices) -> EntryForm:
    f = EntryForm("outpatient", s.catalog)
    f.header.update(payer="王芳", card_no="3101000456", patient_no="MZ0456", sex="女", age="41")
    f.add_item("102", "1", None)
    f.set_pay("02", str(f.total))
    return f


_clients: dict[int, FinanceClient] = {}


def _finance(rig: ServerRig) -> FinanceClient:
    """One platform client per rig, closed with it (see the ``rig`` fixture)."""
    if id(rig) not in _clients:
        _clients[id(rig)] = FinanceClient(f"http://127.0.0.1:{rig.finance_port}/medical-web/api/medical",
                                          FINANCE_APPID, FINANCE_KEY, timeout=10)
    return _clients[id(rig)]


def _reds_on_platform(rig: ServerRig, rec: BillRecord) -> int:
    """Red bills the simulator made for the bill (its own database, read-only)."""
    with sqlite3.connect(f"file:{rig.tmp / 'finance' / 'finance.sqlite3'}?mode=ro", uri=True) as conn:
        return int(conn.execute(
            "SELECT COUNT(*) FROM bills WHERE blue_id = (SELECT id FROM bills WHERE bill_batch_code = ?"
            " AND bill_no = ? AND kind = 'blue')", (rec.bill_batch_code, rec.bill_no)).fetchone()[0])


def _offline_bill_written_off(rig: ServerRig, s: CashierServices) -> BillRecord:
    """Stock from the server, server down, an emergency bill, its write-off queued; server back up."""
    assert s.link.probe() is True and s.workflow.status().stock_remaining > 0
    rig.stop_server()
    try:
        assert s.link.probe() is False
        rec = s.issuing.issue(_form(s), "收费员")
        assert rec.emergency and not rec.uploaded
        queued = s.writeoff.write_off_batch([rec], "患者退费", "收费员")
        assert not queued.done and not queued.failed and [r.bus_no for r in queued.queued] == [rec.bus_no]
        rec = s.bills.by_bus_no(rec.bus_no)
        assert rec is not None and rec.state != STATE_RED and rec.writeoff_state == "queued"
        assert "冲红已排队" in rec.state_label and s.workflow.status().writeoffs_queued == 1
        with pytest.raises(WriteOffQueuedError) as again:  # one write-off per bill
            s.writeoff.write_off(rec, "患者退费", "收费员")
        assert again.value.message == QUEUED_TEXT
        db = s.workflow.db
        upload, writeoff = outbox.pending(db, "emergency_upload"), outbox.pending(db, writeoffs.WRITEOFF_KIND)
        assert len(writeoff) == 1 and upload[0].ref == writeoff[0].ref == rec.bus_no
        assert writeoff[0].id > upload[0].id  # ordered after the bill's upload
        assert writeoff[0].idem_key == f"wo:{s.window.terminal_id}:{rec.bill_batch_code}:{rec.bill_no}"
    finally:
        rig.start_server()
    return rec


def _drain(s: CashierServices, until: Any, timeout: float = 30.0) -> list[UploadReport]:
    """Maintain rounds (as the window's 3 s probe does) until ``until()``; the upload reports."""
    reports: list[UploadReport] = []
    s.events.subscribe(lambda name, payload: reports.append(payload["result"]) if name == "carry_forward" else None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.link.probe()
        if until():
            return reports
        time.sleep(0.3)
    raise AssertionError(f"not reached in {timeout} s; reports: {[r.as_dict() for r in reports]}")


def test_queued_write_off_is_sent_after_the_carry_forward(rig: ServerRig, window: CashierServices) -> None:
    s = window
    rec = _offline_bill_written_off(rig, s)

    def red() -> bool:
        now = s.bills.by_bus_no(rec.bus_no)
        return now is not None and now.state == STATE_RED

    reports = _drain(s, red)
    assert reports and reports[0].accepted == 1 and reports[0].writeoffs["sent"] == 1
    now = s.bills.by_bus_no(rec.bus_no)
    assert now is not None and now.uploaded and now.writeoff_state == "done" and now.red_bill_no
    assert "已冲红" in now.state_label and s.workflow.status().writeoffs_queued == 0
    # the server: the bill with its printed number, red-flushed with the red bill the terminal recorded
    found = s.api.call("getEBillByBusNo", {"busNo": rec.bus_no, "busDateTime": rec.bus_date_time})
    assert (found["billBatchCode"], found["billNo"], found["random"]) == (rec.bill_batch_code, rec.bill_no,
                                                                           rec.random)
    # the platform: carried forward with the printed number and check code, red exactly once
    fin = _finance(rig)
    on_platform = fin.get_ebill_by_bus_no(rec.bus_no, rec.bus_date_time)
    assert on_platform is not None
    assert (on_platform["billBatchCode"], on_platform["billNo"], on_platform["random"]) == (
        rec.bill_batch_code, rec.bill_no, rec.random)
    assert on_platform["isScarlet"] == "1"
    states = fin.get_ebill_states_by_bill_info(rec.bill_batch_code, rec.bill_no)
    assert states["isScarlet"] == "1"
    assert (states["scarletBillBatchCode"], states["scarletBillNo"]) == (now.red_batch_code, now.red_bill_no)
    assert _reds_on_platform(rig, rec) == 1
    for _ in range(2):  # later rounds send nothing again
        s.link.probe()
    assert _reds_on_platform(rig, rec) == 1
    assert outbox.count_pending(s.workflow.db) == 0
    with pytest.raises(AlreadyWrittenOff):
        s.writeoff.write_off(now, "患者退费", "收费员")


def test_queued_write_off_is_held_when_the_upload_conflicts(rig: ServerRig, window: CashierServices) -> None:
    s = window
    rec = _offline_bill_written_off(rig, s)
    # meanwhile the same busNo was issued online on the server (another window, the HIS ...)
    term = rig.terminal()
    other = SyncClient(rig.server_url, term["appid"], term["key"])
    cashier = rig.user("cashier")  # another window: its cashier's session
    other.use_account(cashier["username"], cashier["password"])
    kept = other.his(rec.method, rec.request).payload()
    assert kept["billNo"] != rec.bill_no

    def settled() -> bool:
        now = s.bills.by_bus_no(rec.bus_no)
        return now is not None and now.writeoff_state == "held"

    reports = _drain(s, settled)
    assert reports[0].conflicts == 1
    held = reports[0].writeoffs
    assert held["held"] == 1 and held["sent"] == 0
    detail = held["details"][0]
    assert detail["status"] == "held" and detail["result"] == "E8502" and detail["billNo"] == rec.bill_no
    assert "上传冲突" in detail["message"] and detail["upload"]  # the conflict answer for the person deciding
    now = s.bills.by_bus_no(rec.bus_no)
    assert now is not None and now.state != STATE_RED and now.carry_state == "conflict"
    assert "冲红未提交" in now.state_label and s.workflow.status().writeoffs_held == 1
    with pytest.raises(WriteOffHeldError):
        s.writeoff.write_off(now, "患者退费", "收费员")
    # nothing was red-flushed: neither the kept bill nor the voided emergency number
    fin = _finance(rig)
    states = fin.get_ebill_states_by_bill_info(kept["billBatchCode"], kept["billNo"])
    assert states["isScarlet"] == "0"
    assert _reds_on_platform(rig, rec) == 0
    s.link.probe()
    assert outbox.count_pending(s.workflow.db, writeoffs.WRITEOFF_KIND) == 0
    assert _reds_on_platform(rig, rec) == 0
