"""Fault knobs: latency, error rate, down (refused connections), commit-but-drop-response (the
in-doubt case, resolved by getEBillByBusNo). Own simulator: these knobs disturb everything."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from simulators.finance import SimServer
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected, PlatformUnreachable
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import APPID, KEY, control, make_bill, start_sim

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fsim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    server = start_sim(tmp_path_factory, "finance-faults")
    yield server
    server.stop()


@pytest.fixture
def fclient(fsim: SimServer) -> Iterator[FinanceClient]:
    c = FinanceClient(fsim.api_url, APPID, KEY, timeout=5, query_retries=0, retry_backoff=0.01)
    yield c
    if fsim.is_up:
        control(fsim, "faults", {"latency": 0, "error_rate": 0, "drop_response": 0, "drop_methods": [],
                                 "slow_batch": 0, "duplicate_busno": "return"})
    c.close()


def calls_for(server: SimServer, bus_no: str) -> list[tuple[str, str, int]]:
    return [(c["method"], c["result"], c["dropped"]) for c in control(server, "calls")["calls"] if c["bus_no"] == bus_no]


def test_drop_response_is_in_doubt_and_resolved_by_bus_no(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["invoiceEBillOutpatient"]})
    bill = make_bill()
    with pytest.raises(PlatformInDoubt) as err:
        fclient.call("invoiceEBillOutpatient", bill)
    assert err.value.in_doubt and err.value.code == "E5002"
    found = fclient.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert found is not None and found["isScarlet"] == "0"  # committed although the answer was lost
    assert calls_for(fsim, bill["busNo"]) == [("invoiceEBillOutpatient", "S0000", 1), ("getEBillByBusNo", "S0000", 0)]


def test_issue_recovers_a_dropped_answer_without_resending(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["invoiceEBillOutpatient"]})
    bill = make_bill()
    outcome = fclient.issue("invoiceEBillOutpatient", bill)
    assert outcome.recovered and outcome.attempts == 1 and outcome.payload["billNo"]
    assert [c[0] for c in calls_for(fsim, bill["busNo"])] == ["invoiceEBillOutpatient", "getEBillByBusNo"]


def test_resend_only_after_not_found(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["invoiceEBillOutpatient"]})
    bill = make_bill()
    bill["totalAmt"] = "99.00"  # refused by the platform: nothing committed behind the lost answer
    with pytest.raises(PlatformRejected):
        fclient.issue("invoiceEBillOutpatient", bill)
    assert [(m, r[:2]) for m, r, _ in calls_for(fsim, bill["busNo"])] == [
        ("invoiceEBillOutpatient", "E1"), ("getEBillByBusNo", "E3"), ("invoiceEBillOutpatient", "E1")]


def test_down_refuses_connections_then_comes_back(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"down": 1.0})
    time.sleep(0.3)
    assert not fsim.is_up
    with pytest.raises(PlatformUnreachable) as err:
        fclient.issue("invoiceEBillOutpatient", make_bill())
    assert not err.value.in_doubt and err.value.code == "E5001"  # not sent: safe for emergency issuing
    deadline = time.monotonic() + 5
    while not fsim.is_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fclient.test_server_connect() == "成功"


def test_down_and_up_in_process(fsim: SimServer, fclient: FinanceClient) -> None:
    port = fsim.port
    fsim.go_down()
    with pytest.raises(PlatformUnreachable):
        fclient.test_server_connect()
    fsim.go_up()
    assert fsim.port == port and fclient.test_server_connect() == "成功"


def test_latency_and_read_timeout(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"latency": 0.4})
    started = time.monotonic()
    fclient.test_server_connect()
    assert time.monotonic() - started >= 0.4
    slow = FinanceClient(fsim.api_url, APPID, KEY, timeout=0.15, query_retries=0)
    bill = make_bill()
    with pytest.raises(PlatformInDoubt):  # answer late, lookup late too: still in doubt
        slow.issue("invoiceEBillOutpatient", bill)
    control(fsim, "faults", {"latency": 0})
    time.sleep(0.6)  # let the slow calls finish on the platform
    assert fclient.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"]) is not None
    issued = [c for c in calls_for(fsim, bill["busNo"]) if c[0] == "invoiceEBillOutpatient"]
    assert len(issued) == 1  # never re-sent without a not-found answer


def test_error_rate(fsim: SimServer, fclient: FinanceClient) -> None:
    control(fsim, "faults", {"error_rate": 1})
    with pytest.raises(PlatformRejected) as err:
        fclient.test_server_connect()
    assert err.value.code == "E3999"
    control(fsim, "faults", {"error_rate": 0.5})
    outcomes = []
    for _ in range(40):
        try:
            fclient.call("testServerConnect", {"testValue": "x"})
            outcomes.append(True)
        except PlatformRejected as exc:
            assert exc.code == "E3999"
            outcomes.append(False)
    assert any(outcomes) and not all(outcomes)
    control(fsim, "faults", {"error_rate": 0})
    assert fclient.test_server_connect() == "成功"


def test_bad_knob_values_are_refused(fsim: SimServer) -> None:
    import requests

    for body in ({"duplicate_busno": "maybe"}, {"error_rate": 2}, {"down": 0}, {"nonsense": 1}):
        assert requests.post(f"{fsim.url}/_control/faults", json=body, timeout=5).status_code == 400


def test_lost_answers_of_write_off_batch_and_upload_are_resolved(fsim: SimServer, fclient: FinanceClient) -> None:
    from sync_server.connectors.finance_ext import FinanceExtClient

    bill = make_bill()
    issued = fclient.invoice_ebill_outpatient(bill)
    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["writeOffEBill"]})
    red = fclient.write_off_ebill({"billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"],
                                   "reason": "退费", "operator": "x", "busDateTime": bill["busDateTime"],
                                   "placeCode": "001"})
    found = fclient.get_ebill_by_bus_no(bill["busNo"], bill["busDateTime"])
    assert red["eScarletBillNo"] == found["scarletBillNo"]  # answered from the state, not sent twice
    write_offs = [c for c in control(fsim, "calls?method=writeOffEBill")["calls"]]
    assert len(write_offs) == 1 and write_offs[0]["dropped"] == 1

    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["batchInvoiceEBillOutpatient"]})
    batch_no = f"LOST{bill['busNo']}"
    assert fclient.batch_invoice_ebill_outpatient(batch_no, [make_bill()]) == "成功"
    assert len(control(fsim, "calls?method=batchInvoiceEBillOutpatient")["calls"]) == 1
    assert fclient.get_batch_invoice_ebill(batch_no)["count"] == 1

    ext = FinanceExtClient(fclient)
    block = ext.emergency_stock_out("001", 2, "信息科")
    up_bill = make_bill()
    upload = {"billType": "outpatient", "bill": up_bill, "billBatchCode": block["billBatchCode"],
              "billNo": block["billBgnNo"], "random": "0a0b0c", "issueTime": up_bill["busDateTime"],
              "terminalId": "T1"}
    control(fsim, "faults", {"drop_response": 1, "drop_methods": ["uploadEmergencyEBill"]})
    assert ext.upload_emergency_ebill(upload)["billNo"] == block["billBgnNo"]  # re-sent: same bill
    uploads = [(c["result"], c["dropped"]) for c in calls_for_method(fsim, "uploadEmergencyEBill", up_bill["busNo"])]
    assert uploads == [("S0000", 1), ("S0000", 0)]


def calls_for_method(server: SimServer, method: str, bus_no: str) -> list[dict]:
    return [c for c in control(server, f"calls?method={method}")["calls"] if c["bus_no"] == bus_no]
