"""Issuer mode "his": the HIS simulator issues e-bills itself through the real sync server (as an
HIS caller created with ``python -m sync_server admin add-caller``), which forwards to the finance
simulator; retries by busNo never yield a second bill."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_core.clock import CST
from tests.rigs.his_rig import HisProcess
from tests.rigs.stack import ROOT, ServerProcess, Simulator
from workflows.his import HisClient, Payment, Settlement

pytestmark = pytest.mark.integration

PLACE = "005"


def rid() -> str:
    return "I" + secrets.token_hex(8)


def _admin(data_dir: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(data_dir), *args,
                          "--operator", "信息科王工"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    return dict(json.loads(out.stdout))


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerProcess, HisProcess]]:
    base = tmp_path_factory.mktemp("his_issuer")
    sim = Simulator(base / "fin").start()
    srv = ServerProcess(base / "srv", sim.url)
    his = HisProcess(base / "his")
    try:
        srv.start()
        caller = _admin(srv.data_dir, "add-caller", "--appid", "HISSIM01", "--name", "院内HIS", "--kind", "his",
                        "--places", PLACE)
        his.start()
        his.control("config", {"syncUrl": srv.method_url, "syncAppid": "HISSIM01", "syncKey": caller["key"],
                               "placeCode": PLACE, "payee": "收费员甲", "syncTimeout": 5.0,
                               "syncRetrySeconds": 0.5})
        time.sleep(2.1)  # the server's caller cache refreshes every 2 s
        yield sim, srv, his
    finally:
        his.stop()
        srv.stop()
        sim.stop()


@pytest.fixture()
def client(rig: tuple[Simulator, ServerProcess, HisProcess]) -> Iterator[HisClient]:
    caller = rig[2].demo["callers"][0]
    with HisClient(rig[2].url, caller["appid"], caller["key"], timeout=30) as c:
        yield c


def _issued(s: Settlement, sim: Simulator, method: str) -> None:
    assert s.issuer == "his" and s.ebill_method == method
    assert s.ebill.status == "issued", (s.ebill.error_code, s.ebill.error_msg)
    assert s.ebill.bill_no and s.ebill.random
    assert s.ebill_request and s.ebill_request["placeCode"] == PLACE
    assert [(b[0], b[1]) for b in sim.platform_bills(s.settlement_no)] == [(s.ebill.bill_batch_code, s.ebill.bill_no)]


def test_the_his_issues_each_kind_through_the_sync_server(rig: tuple[Simulator, ServerProcess, HisProcess],
                                                          client: HisClient) -> None:
    sim, _srv, his = rig
    pid = his.demo["patients"][0]["id"]
    charge = client.pending_charges(pid)[0]
    out = client.settle_outpatient(rid(), pid, [charge.charge_id], Payment.prepayment(), issuer="his")
    _issued(out, sim, "invoiceEBillOutpatient")
    slot = client.slots("YK", datetime.now(CST).date(), "普通")[0]
    reg = client.register_now(rid(), pid, slot.slot_id, Payment.prepayment(), issuer="his").settlement
    _issued(reg, sim, "invEBillRegistration")
    stay_pid = next(p["id"] for p in his.demo["patients"] if p["name"] == "杨磊")
    stay = client.inpatient(stay_pid)
    out = client.settle_discharge(rid(), stay.admission_no, issuer="his")
    _issued(out, sim, "invEBillHospitalized")
    # the terminal mode (default) leaves issuing to the caller: nothing reaches the platform
    top = client.top_up_prepay(rid(), pid, Decimal("30"), Payment.paid("05", "WX-T", Decimal("30")))
    assert top.issuer == "terminal" and top.ebill.status == "pending" and sim.platform_bills(top.settlement_no) == []


def test_a_lost_answer_is_retried_by_bus_no_without_a_second_bill(rig: tuple[Simulator, ServerProcess, HisProcess],
                                                                  client: HisClient) -> None:
    sim, _srv, his = rig
    pid = his.demo["patients"][6]["id"]
    charge = client.pending_charges(pid)[0]
    first = client.settle_outpatient(rid(), pid, [charge.charge_id], Payment.paid("04", "ALI-L", charge.amount),
                                     issuer="his")
    _issued(first, sim, "invoiceEBillOutpatient")
    # the HIS forgets the answer (as if it was lost after the sync server issued): a retry finds the same bill
    with sqlite3.connect(his.data_dir / "his.sqlite3") as db:
        db.execute("UPDATE settlements SET ebill_status = 'pending', ebill_json = '{\"inDoubt\":true}' WHERE no = ?",
                   (first.settlement_no,))
    again = client.issue_ebill(first.settlement_no)
    assert (again.ebill.bill_batch_code, again.ebill.bill_no) == (first.ebill.bill_batch_code, first.ebill.bill_no)
    assert len(sim.platform_bills(first.settlement_no)) == 1


def test_sync_server_down_leaves_the_bill_pending_until_retried(rig: tuple[Simulator, ServerProcess, HisProcess],
                                                                client: HisClient) -> None:
    sim, srv, his = rig
    pid = his.demo["patients"][0]["id"]
    srv.stop()
    try:
        r = rid()
        s = client.top_up_prepay(r, pid, Decimal("66"), Payment.paid("05", "WX-P", Decimal("66")), issuer="his")
        assert s.ebill.status == "pending" and "无应答" in s.ebill.error_msg
        assert s.prepay_balance == client.prepay_balance(pid)  # the settlement itself stands
        other = client.top_up_prepay(rid(), pid, Decimal("7"), Payment.paid("05", "WX-Q", Decimal("7")), issuer="his")
        assert other.ebill.status == "pending"
    finally:
        srv.start()
    # the background retry issues what was left pending
    deadline = time.monotonic() + 30
    while client.settlement(other.settlement_no).ebill.status != "issued":
        assert time.monotonic() < deadline, client.settlement(other.settlement_no).ebill
        time.sleep(0.2)
    # a repeat of the same requestId answers the first result and retries the e-bill by busNo
    again = client.top_up_prepay(r, pid, Decimal("66"), Payment.paid("05", "WX-P", Decimal("66")), issuer="his")
    assert again.settlement_no == s.settlement_no
    assert again.ebill.status == "issued", (again.ebill.error_code, again.ebill.error_msg)
    assert again.ebill_method == "invoicePayMentVoucher"


def test_a_reversal_red_flushes_the_bill_the_his_issued(rig: tuple[Simulator, ServerProcess, HisProcess],
                                                        client: HisClient) -> None:
    sim, _srv, his = rig
    pid = his.demo["patients"][7]["id"]
    charge = client.pending_charges(pid)[0]
    paid = client.settle_outpatient(rid(), pid, [charge.charge_id], Payment.paid("05", "WX-RV", charge.amount),
                                    issuer="his")
    _issued(paid, sim, "invoiceEBillOutpatient")
    r = rid()
    rev = client.reverse_settlement(r, paid.settlement_no, "患者退药")
    assert rev.ebill_method == "writeOffEBill" and rev.ebill.status == "issued", rev.ebill
    assert rev.ebill.bill_no and rev.ebill.bill_no != paid.ebill.bill_no and rev.refund_due == charge.amount
    assert sim.platform_bills(paid.settlement_no) == [(paid.ebill.bill_batch_code, paid.ebill.bill_no, 1)]
    # a repeat answers the same red bill; nothing is red-flushed twice
    again = client.reverse_settlement(r, paid.settlement_no, "患者退药")
    assert again.settlement_no == rev.settlement_no and again.ebill.bill_no == rev.ebill.bill_no
