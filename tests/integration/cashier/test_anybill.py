"""Issue 18 §1 and §6 at the window's workflows, against the real sync server and finance simulator
(subprocesses): a bill HIS issued at another billing point is found by every criterion
(workflows.hospital_bills), exchanged for paper, reprinted and — paper first — written off with
the same rules as the window's own bills; a 门特 bill issued at the window."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from billing_core.crypto.keys import SM2PrivateKey
from billing_core.errors import BillingError
from offline_store.db import Database
from tests.integration.cashier.server_rig import ServerRig, paper_batch_code
from tests.rigs.stack import HisClient
from workflows.cashier.entry import EntryForm
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.login import ServerDirectory
from workflows.cashier.services import CashierServices, build_services
from workflows.demo.catalog import demo_catalog
from workflows.emergency.chain import BillSigner
from workflows.hospital_bills import BillQuery, HospitalBillNotFound, HospitalSearchError
from workflows.records import STATE_RED
from workflows.server_api import ServerApi
from workflows.session_errors import AlreadyExchanged, PaperFirst
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration

ID_NO, TEL = "320102198807070011", "13711112222"


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("anybill-server")).start()
    yield r
    r.stop()


def _window(rig: ServerRig, tmp_path, role: str) -> CashierServices:
    term = rig.terminal()
    sync = SyncClient(rig.server_url, term["appid"], term["key"], connect_timeout=1, failure_threshold=1,
                      open_seconds=0.5)
    api = ServerApi(sync)
    place = term["placeCodes"][0]
    services = build_services(window=WindowConfig(place, "门诊收费一号窗口", terminal_id=term["appid"]), sync=sync,
                              db=Database(tmp_path / f"terminal-{role}.db"), directory=ServerDirectory(api),
                              catalog=demo_catalog(), paper_batch_code=paper_batch_code(api, place),
                              signer=BillSigner(SM2PrivateKey.generate()), top_up=20)
    user = rig.user(role)
    services.login.login(user["username"], user["password"])
    return services


@pytest.fixture
def windows(rig: ServerRig, tmp_path) -> Iterator[tuple[CashierServices, CashierServices]]:
    """(cashier window, finance window) at TERM01 (point 001)."""
    cashier, finance = _window(rig, tmp_path, "cashier"), _window(rig, tmp_path, "finance")
    yield cashier, finance
    cashier.close()
    finance.close()


def his_issue(rig: ServerRig, place: str = "002", **changes: Any) -> dict[str, Any]:
    """HIS01 issues an outpatient bill at ``place``; the request with the answer merged in."""
    import json
    from pathlib import Path

    sample = json.loads((Path(__file__).parents[2] / "fixtures" / "requests" / "outpatient.json")
                        .read_text(encoding="utf-8"))
    his = next(c for c in rig.demo["callers"] if c["appid"] == "HIS01")
    client = HisClient(f"{rig.server_url}/medical-web/api/medical", his["appid"], his["key"])
    try:
        bill = sample | {"busNo": f"AB{uuid.uuid4().hex[:14]}", "placeCode": place} | changes
        result, answer = client.call("invoiceEBillOutpatient", bill)
        assert result == "S0000", answer
        return bill | answer
    finally:
        client.close()


def test_an_his_bill_is_found_by_every_criterion(rig: ServerRig, windows) -> None:
    cashier, _finance = windows
    payer = f"任{uuid.uuid4().hex[:5]}"
    bill = his_issue(rig, payer=payer, idCardNo=ID_NO, tel=TEL)
    assert cashier.bills.by_bus_no(bill["busNo"]) is None  # not this window's
    for query in (BillQuery(keyword=bill["busNo"]), BillQuery(keyword=bill["billNo"]), BillQuery(keyword=payer),
                  BillQuery(id_card_no=ID_NO), BillQuery(tel=TEL), BillQuery(keyword=TEL),
                  BillQuery(bill_no=bill["billNo"], bill_batch_code=bill["billBatchCode"])):
        found = cashier.hospital.find(query)
        assert [r.bus_no for r in found.records] == [bill["busNo"]], query
    rec = found.records[0]
    assert rec.source == "server" and rec.place_code == "002" and rec.payer == payer and rec.total == "386.50"
    assert rec.request["idCardNo"] == "320***********0011" and rec.tel == "137****2222" and not rec.paper_no
    assert rec.kind == "outpatient" and rec.request["chargeDetail"]  # what the notice prints
    assert cashier.hospital.get(bill["billBatchCode"], bill["billNo"]).bus_no == bill["busNo"]
    with pytest.raises(HospitalBillNotFound):
        cashier.hospital.get(bill["billBatchCode"], "9999999999")
    with pytest.raises(HospitalSearchError):
        cashier.hospital.find(BillQuery())


def test_own_bills_come_from_the_store_merged_with_the_server(windows) -> None:
    cashier, _finance = windows
    f = EntryForm("outpatient", cashier.catalog)
    payer = f"本{uuid.uuid4().hex[:5]}"
    f.header.update(payer=payer, card_no="3101000999", patient_no="MZ0009", sex="女", age="30")
    f.add_item("102", "1", None)
    f.set_pay("02", str(f.total))
    own = cashier.issuing.issue(f, "收费员")
    found = cashier.hospital.find(BillQuery(keyword=payer))
    assert [(r.bus_no, r.source) for r in found.records] == [(own.bus_no, "local")]


def test_paper_reprint_and_write_off_of_an_his_bill_with_the_usual_rules(rig: ServerRig, windows) -> None:
    cashier, finance = windows
    bill = his_issue(rig)
    rec = cashier.hospital.get(bill["billBatchCode"], bill["billNo"])
    rec = cashier.paper.exchange(rec, cashier.paper.next_number()[1], "收费员")
    first = rec.paper_no
    with pytest.raises(AlreadyExchanged):
        cashier.paper.exchange(rec, cashier.paper.next_number()[1], "收费员")
    rec = cashier.paper.reprint(rec, cashier.paper.next_number()[1], "卡纸重打", "收费员")
    assert rec.voided_papers == [first] and rec.paper_no != first
    again = cashier.hospital.refresh(rec)  # the server's record says the same
    assert (again.paper_no, again.voided_papers) == (rec.paper_no, [first])
    plain = cashier.hospital.get(*(lambda b: (b["billBatchCode"], b["billNo"]))(his_issue(rig)))
    with pytest.raises(BillingError) as refused:  # a cashier may not write off (role table, as for own bills)
        cashier.writeoff.write_off(plain, "退费", "收费员")
    assert refused.value.code == "E2033"
    rec = finance.hospital.get(bill["billBatchCode"], bill["billNo"])
    with pytest.raises(PaperFirst):
        finance.writeoff.write_off(rec, "退费", "财务")
    rec = finance.writeoff.write_off(rec, "退费", "财务", void_paper_first=True)
    assert rec.state == STATE_RED and rec.red_bill_no
    after = finance.hospital.refresh(rec)
    assert after.state == STATE_RED and after.red_bill_no == rec.red_bill_no and not after.paper_no
    assert after.voided_papers == [first, rec.voided_papers[-1]]
    assert finance.bills.by_bus_no(bill["busNo"]) is None  # no marks of another window's bill in the store


def test_a_special_outpatient_bill_from_the_window(windows) -> None:
    cashier, _finance = windows
    f = EntryForm("special", cashier.catalog)
    f.header.update(payer="门特患者", card_no="3101000888", patient_no="MZ0088", sex="男", age="61")
    f.add_item("102", "1", None)
    f.set_pay("02", str(f.total))
    rec = cashier.issuing.issue(f, "收费员")
    assert rec.kind == "special" and rec.request["busType"] == "04"
    found = cashier.hospital.on_server(BillQuery(bus_no=rec.bus_no)).records
    assert found[0].kind == "special" and found[0].bill_no == rec.bill_no


def test_an_emergency_bill_uploaded_by_a_terminal_is_found_by_phone(rig: ServerRig, windows) -> None:
    """The terminal upload path (sync_server.emergency.terminal_batch, a multi-row insert) fills the
    keyed digests too: a bill issued during an outage is found by the payer's phone once carried."""
    import time

    cashier, _finance = windows
    assert cashier.link.probe() is True  # emergency stock from the server while online
    tel = f"136{uuid.uuid4().int % 10**8:08d}"
    rig.stop_server()
    try:
        assert cashier.link.probe() is False
        f = EntryForm("outpatient", cashier.catalog)
        f.header.update(payer="应急患者", card_no="3101000777", patient_no="MZ0077", sex="男", age="40", tel=tel)
        f.add_item("102", "1", None)
        f.set_pay("02", str(f.total))
        rec = cashier.issuing.issue(f, "收费员")
        assert rec.emergency and not rec.uploaded
    finally:
        rig.start_server()
    deadline = time.monotonic() + 30
    while not cashier.link.probe() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert cashier.workflow.status().pending_uploads == 0
    found = cashier.hospital.on_server(BillQuery(tel=tel)).records
    assert [(r.bus_no, r.bill_no) for r in found] == [(rec.bus_no, rec.bill_no)]
    assert found[0].emergency and found[0].tel == f"{tel[:3]}****{tel[-4:]}"
