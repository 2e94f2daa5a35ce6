"""Idempotency on busNo: 20 concurrent repeats give one bill, under both duplicate_busno knob
settings, on SQLite and PostgreSQL; the simulator's call log shows no issuing call after a
recorded success and a not-found getEBillByBusNo before every re-send (DESIGN.md §3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from ss_rig import (
    ServerThread,
    Simulator,
    Stack,
    assert_call_log,
    load_sample,
    repeat_concurrently,
)

from sync_server.store.db import read_tx
from sync_server.store.schema import bills

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerThread]]:
    with Stack(tmp_path_factory.mktemp("stack"), request.param).start() as stack:
        yield stack.sim, stack.server


def local_count(srv: ServerThread, bus_no: str) -> int:
    with read_tx(srv.ctx.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(bills).where(
            (bills.c.bus_no == bus_no) & (bills.c.state == "issued"))).scalar_one())


@pytest.mark.parametrize("knob", ["return", "reject"])
def test_twenty_concurrent_repeats_give_one_bill(rig: tuple[Simulator, ServerThread], knob: str) -> None:
    sim, srv = rig
    bill = load_sample("outpatient.json") | {"busNo": f"IDEM{uuid.uuid4().hex[:16]}"}
    numbers = repeat_concurrently(sim, [srv.his() for _ in range(20)], bill, knob=knob, latency=0.05)
    assert len(numbers) == 1
    assert len(sim.platform_bills(bill["busNo"])) == 1
    assert local_count(srv, bill["busNo"]) == 1
    assert_call_log(sim, bill["busNo"])


@pytest.mark.parametrize("knob", ["return", "reject"])
def test_dropped_answer_is_resolved_by_lookup_not_by_resending(rig: tuple[Simulator, ServerThread],
                                                               knob: str) -> None:
    sim, srv = rig
    sim.faults(duplicate_busno=knob, drop_response=1, drop_methods=["invoiceEBillOutpatient"])
    try:
        bill = load_sample("outpatient.json") | {"busNo": f"DROP{uuid.uuid4().hex[:16]}"}
        his = srv.his()
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: his.ok("invoiceEBillOutpatient", bill), range(20)))
    finally:
        sim.faults(drop_response=0, drop_methods=[])
    assert len({a["billNo"] for a in answers}) == 1
    assert "emergency" not in answers[0]  # the lookup found the committed bill: an online bill
    platform = sim.platform_bills(bill["busNo"])
    assert [(p[0], p[1]) for p in platform] == [(answers[0]["billBatchCode"], answers[0]["billNo"])]
    calls = [c for c in sim.calls() if c["bus_no"] == bill["busNo"]]
    assert [c["method"] for c in calls][:2] == ["invoiceEBillOutpatient", "getEBillByBusNo"]
    assert_call_log(sim, bill["busNo"])


def test_platform_refusal_writes_nothing_and_a_corrected_retry_issues(rig: tuple[Simulator, ServerThread],
                                                                     tmp_path: Path) -> None:
    sim, srv = rig
    bill = load_sample("outpatient.json") | {"busNo": f"REF{uuid.uuid4().hex[:16]}", "placeCode": "004"}
    sim.faults(error_rate=1.0)
    try:
        result, message = srv.his().call("invoiceEBillOutpatient", bill)
    finally:
        sim.faults(error_rate=0.0)
    assert result == "E3999", message
    assert local_count(srv, bill["busNo"]) == 0
    with read_tx(srv.ctx.engine) as conn:
        assert conn.execute(select(func.count()).select_from(bills).where(bills.c.bus_no == bill["busNo"])).scalar() == 0
    assert srv.his().ok("invoiceEBillOutpatient", bill)["billNo"]
    assert len(sim.platform_bills(bill["busNo"])) == 1


def test_worker_resolves_claims_left_by_a_dead_process(rig: tuple[Simulator, ServerThread]) -> None:
    """A pending claim of a killed process: recorded when the platform has the bill, released
    (nothing was answered S0000 for it) when it has none."""
    from sqlalchemy import insert

    from billing_core.envelope import dumps
    from sync_server.security.audit import SERVER, audit
    from sync_server.store.db import write_tx

    sim, srv = rig
    committed = load_sample("outpatient.json") | {"busNo": f"ORPH{uuid.uuid4().hex[:12]}"}
    platform_answer = sim.client().ok("invoiceEBillOutpatient", committed)  # the dead process's call
    never_sent = load_sample("outpatient.json") | {"busNo": f"ORPH{uuid.uuid4().hex[:12]}"}
    old = "20200101000000000"
    with write_tx(srv.ctx.engine) as conn:
        for b in (committed, never_sent):
            bid = conn.execute(insert(bills).values(
                bus_no=b["busNo"], busno_live=b["busNo"], method="invoiceEBillOutpatient", bus_type="02",
                bus_date_time=b["busDateTime"], place_code="001", caller_appid="HIS01", state="pending",
                origin="online", in_doubt=0, carry="none", total_amt=b["totalAmt"], request_json=dumps(b),
                owner="dead-process", created_at=old, updated_at=old)).inserted_primary_key[0]
            audit(conn, srv.ctx.clock, SERVER, "claim", "bill", bid)
    import time
    deadline = time.monotonic() + 30
    while True:
        with read_tx(srv.ctx.engine) as conn:
            rows = {r[0]: r[1] for r in conn.execute(select(bills.c.bus_no, bills.c.state).where(
                bills.c.bus_no.in_([committed["busNo"], never_sent["busNo"]])))}
        if rows.get(committed["busNo"]) == "issued" and never_sent["busNo"] not in rows:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    again = srv.his().ok("invoiceEBillOutpatient", committed)
    assert again["billNo"] == platform_answer["billNo"]
    assert len(sim.platform_bills(committed["busNo"])) == 1
