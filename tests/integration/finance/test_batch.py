"""Batch issuing (spec §4): ≤200 bills, processed after the call returns; status 0 then 1 or 2."""

from __future__ import annotations

import time
import uuid

import pytest

from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import control, make_bill

pytestmark = pytest.mark.integration

BATCHES = {
    "outpatient": "batch_invoice_ebill_outpatient", "hospitalized": "batch_invoice_ebill_hospitalized",
    "registration": "batch_invoice_ebill_registration", "checkup": "batch_invoice_ebill_checkup",
}


def wait_done(client: FinanceClient, batch_no: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        result = client.get_batch_invoice_ebill(batch_no)
        if all(b["status"] != "0" for b in result["eBillList"]) or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


@pytest.mark.parametrize("kind", sorted(BATCHES))
def test_batch_each_type_one_bad_item_fails_alone(client: FinanceClient, kind: str) -> None:
    bills = [make_bill(kind, amt=f"{i + 1}.00") for i in range(3)]
    bad = make_bill(kind, amt="4.00")
    bad["totalAmt"] = "5.00"
    batch_no = f"BATCH{uuid.uuid4().hex[:16]}"
    assert getattr(client, BATCHES[kind])(batch_no, [*bills[:2], bad, bills[2]]) == "成功"
    result = wait_done(client, batch_no)
    statuses = [(b["busNo"], b["status"]) for b in result["eBillList"]]
    assert statuses == [(bills[0]["busNo"], "1"), (bills[1]["busNo"], "1"), (bad["busNo"], "2"),
                        (bills[2]["busNo"], "1")]
    assert result["eBillList"][2]["errMsg"].startswith("E1")
    for b, entry in zip(bills, [result["eBillList"][i] for i in (0, 1, 3)], strict=True):
        found = client.get_ebill_by_bus_no(b["busNo"], b["busDateTime"])
        assert found is not None and found["billNo"] == entry["billNo"] and entry["billQRCode"]
    assert client.get_ebill_by_bus_no(bad["busNo"], bad["busDateTime"]) is None
    with pytest.raises(PlatformRejected) as err:  # the call itself fails: batchNo already used
        getattr(client, BATCHES[kind])(batch_no, [make_bill(kind)])
    assert err.value.code == "E3014"


def test_batch_is_processed_after_the_call_returns(sim, client: FinanceClient) -> None:
    control(sim, "faults", {"slow_batch": 0.3})
    try:
        batch_no = f"SLOW{uuid.uuid4().hex[:16]}"
        client.batch_invoice_ebill_outpatient(batch_no, [make_bill() for _ in range(2)])
        first = client.get_batch_invoice_ebill(batch_no)
        assert first["count"] == 2 and first["eBillList"][-1]["status"] == "0"
        assert "billNo" not in first["eBillList"][-1]
    finally:
        control(sim, "faults", {"slow_batch": 0})
    assert [b["status"] for b in wait_done(client, batch_no)["eBillList"]] == ["1", "1"]


def test_batch_limits_and_unknown_batch(client: FinanceClient) -> None:
    too_many = [make_bill() for _ in range(201)]
    batch_no = f"BIG{uuid.uuid4().hex[:16]}"
    with pytest.raises(PlatformRejected) as err:
        client.batch_invoice_ebill_outpatient(batch_no, too_many)
    assert err.value.code == "E3013"
    with pytest.raises(PlatformRejected) as err:  # nothing was recorded for the refused batch
        client.get_batch_invoice_ebill(batch_no)
    assert err.value.code == "E3015"
    assert client.get_ebill_by_bus_no(too_many[0]["busNo"], too_many[0]["busDateTime"]) is None
    ok = f"OK{uuid.uuid4().hex[:16]}"
    client.batch_invoice_ebill_outpatient(ok, too_many[:200])
    with pytest.raises(PlatformRejected) as err:  # batchNo used once only
        client.batch_invoice_ebill_outpatient(ok, [make_bill()])
    assert err.value.code == "E3014"
    assert [b["status"] for b in wait_done(client, ok)["eBillList"]] == ["1"] * 200


def test_unfinished_batch_resumes_after_a_restart(tmp_path) -> None:
    from simulators.finance import start
    from tests.integration.finance.conftest import APPID, KEY

    server = start(tmp_path)
    client = FinanceClient(server.api_url, APPID, KEY)
    control(server, "faults", {"slow_batch": 0.5})
    batch_no = f"RESTART{uuid.uuid4().hex[:12]}"
    client.batch_invoice_ebill_outpatient(batch_no, [make_bill() for _ in range(4)])
    time.sleep(0.2)
    platform = server.app.config["PLATFORM"]
    server.stop()  # the worker stops after the bill in hand: the rest stays status 0
    time.sleep(0.8)
    with platform.store.tx() as db:
        left = db.execute("SELECT COUNT(*) FROM batch_items WHERE batch_no = ? AND status = 0", (batch_no,)).fetchone()
    assert left[0] >= 2
    platform.store.close()
    client.close()
    again = start(tmp_path)
    try:
        client = FinanceClient(again.api_url, APPID, KEY)
        assert [b["status"] for b in wait_done(client, batch_no)["eBillList"]] == ["1"] * 4
    finally:
        client.close()
        again.stop()
