"""Liveness of server processes (sync_server.store.liveness), on SQLite and PostgreSQL: a lock
held exactly as long as its process lives, and pending claims of a *live* sibling process
waited for — neither taken over by a request nor resolved by the worker — then taken over,
lookup first, the moment that process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from ss_rig import PG_URL, ROOT, ServerThread, Simulator, Stack, db_config, load_sample

from billing_core.envelope import dumps
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import make_engine, read_tx, write_tx
from sync_server.store.liveness import Liveness
from sync_server.store.schema import bills

pytestmark = pytest.mark.integration

HOLDER = """
import sys, time
from sync_server.store.db import make_engine
from sync_server.store.liveness import Liveness
Liveness(make_engine(sys.argv[1]), sys.argv[2]).hold()
print("held", flush=True)
time.sleep(600)
"""


class Holder:
    """Another process holding the liveness lock of ``instance`` on ``url``'s database."""

    def __init__(self, url: str, instance: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, url, instance], cwd=ROOT,
                                     env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == b"held"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def wait_dead(live: Liveness, instance: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while live.is_alive(instance):
        assert time.monotonic() < deadline, f"{instance} still counted alive"
        time.sleep(0.05)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_lock_lives_and_dies_with_its_process(kind: str, tmp_path: Path) -> None:
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    else:
        db_config("postgresql")  # starts PostgreSQL if it is down
        url = PG_URL
    engine = make_engine(url)
    me = Liveness(engine, uuid.uuid4().hex).hold()
    assert me.supported
    other = uuid.uuid4().hex
    assert me.is_alive(me.instance)
    assert not me.is_alive(other), "an instance that never ran"
    assert not me.is_alive(None)
    holder = Holder(url, other)
    try:
        for _ in range(3):  # probing must not take the lock away from a live holder
            assert me.is_alive(other)
        assert Liveness(engine, uuid.uuid4().hex).is_alive(other), "seen by any other process's view"
    finally:
        holder.kill()
    wait_dead(me, other)
    if kind == "sqlite":
        assert not (tmp_path / "db.sqlite3.instances" / f"{other}.lock").exists(), "dead holder's file left"
        assert (tmp_path / "db.sqlite3.instances" / f"{me.instance}.lock").exists()
    me.release()
    engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerThread]]:
    with Stack(tmp_path_factory.mktemp("stack"), request.param).start(settle=True) as stack:
        yield stack.sim, stack.server


def test_claim_of_a_live_sibling_is_waited_for_and_taken_over_when_it_dies(
        rig: tuple[Simulator, ServerThread]) -> None:
    sim, srv = rig
    url = srv.ctx.engine.url.render_as_string(hide_password=False)
    sibling = uuid.uuid4().hex
    holder = Holder(url, sibling)
    bill = load_sample("outpatient.json") | {"busNo": f"LIVE{uuid.uuid4().hex[:12]}"}
    old = "20200101000000000"  # long untouched: only liveness keeps the worker off it
    with write_tx(srv.ctx.engine) as conn:
        bid = conn.execute(insert(bills).values(
            bus_no=bill["busNo"], busno_live=bill["busNo"], method="invoiceEBillOutpatient", bus_type="02",
            bus_date_time=bill["busDateTime"], place_code="001", caller_appid="HIS01", state="pending",
            origin="online", in_doubt=0, carry="none", total_amt=bill["totalAmt"], request_json=dumps(bill),
            owner=sibling, created_at=old, updated_at=old)).inserted_primary_key[0]
        audit(conn, srv.ctx.clock, SERVER, "claim", "bill", bid)
    answers: list[tuple[str, object]] = []
    waiting = threading.Thread(target=lambda: answers.append(srv.his().call("invoiceEBillOutpatient", bill)))
    try:
        waiting.start()
        time.sleep(2.0)  # ~10 worker cycles and ~100 claim attempts of the waiting request
        assert waiting.is_alive(), f"answered while the owner lives: {answers}"
        with read_tx(srv.ctx.engine) as conn:
            row = conn.execute(select(bills.c.state, bills.c.owner).where(bills.c.id == bid)).one()
        assert tuple(row) == ("pending", sibling), "a live sibling's claim was taken over"
        assert not [c for c in sim.calls() if c["bus_no"] == bill["busNo"]], "platform called for a live claim"
    finally:
        holder.kill()
    waiting.join(30)
    assert answers and answers[0][0] == "S0000", answers
    calls = [c["method"] for c in sim.calls() if c["bus_no"] == bill["busNo"]]
    assert calls[0] == "getEBillByBusNo", calls  # the dead owner may have sent it: look first
    assert calls.count("invoiceEBillOutpatient") == 1, calls
    assert len(sim.platform_bills(bill["busNo"])) == 1


def test_batch_of_a_live_sibling_is_left_to_it_and_resumed_when_it_dies(
        rig: tuple[Simulator, ServerThread]) -> None:
    from sync_server.his import batches as batch_service
    from sync_server.store.schema import batches

    sim, srv = rig
    url = srv.ctx.engine.url.render_as_string(hide_password=False)
    sibling = uuid.uuid4().hex
    holder = Holder(url, sibling)
    batch_no = f"B{uuid.uuid4().hex[:12]}"
    items = [load_sample("outpatient.json") | {"busNo": f"LB{uuid.uuid4().hex[:12]}"} for _ in range(2)]
    with write_tx(srv.ctx.engine) as conn:
        conn.execute(insert(batches).values(batch_no=batch_no, caller_appid="HIS01",
                                            method="batchInvoiceEBillOutpatient", state="pending", owner=sibling,
                                            request_json=dumps({"batchNo": batch_no, "eBillList": items}),
                                            created_at="20200101000000000"))
        audit(conn, srv.ctx.clock, SERVER, "batch_received", "batch", batch_no)
    try:
        assert batch_service.resume(srv.ctx) == 0
        time.sleep(0.5)
        with read_tx(srv.ctx.engine) as conn:
            row = conn.execute(select(batches.c.state, batches.c.owner).where(batches.c.batch_no == batch_no)).one()
        assert tuple(row) == ("pending", sibling)
        assert not [c for c in sim.calls() if c["bus_no"] in {i["busNo"] for i in items}]
    finally:
        holder.kill()
    deadline = time.monotonic() + 30
    while True:  # this call or the worker's next cycle takes the dead sibling's batch over
        batch_service.resume(srv.ctx)
        with read_tx(srv.ctx.engine) as conn:
            row = conn.execute(select(batches.c.state, batches.c.owner).where(batches.c.batch_no == batch_no)).one()
        if row[0] == "done":
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.2)
    assert row[1] == srv.ctx.instance
    for item in items:
        assert len(sim.platform_bills(item["busNo"])) == 1


def test_postgresql_lock_is_taken_again_after_its_session_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    from sync_server.store import liveness

    db_config("postgresql")
    monkeypatch.setattr(liveness, "_RECHECK", 0.2)
    engine = make_engine(PG_URL)
    me = Liveness(engine, uuid.uuid4().hex).hold()
    other = Liveness(engine, uuid.uuid4().hex)
    assert other.is_alive(me.instance)
    a, b = liveness._pg_keys(me.instance)  # noqa: SLF001 - find the session that holds it
    holders = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objid = %s"
               " AND objsubid = 2 AND granted")
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        [(first,)] = conn.execute(holders, (a, b)).fetchall()
        assert conn.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone() == (True,)
        deadline = time.monotonic() + 15
        while True:  # gone with its session, then held again by a new session of the same process
            now = [r[0] for r in conn.execute(holders, (a, b)).fetchall()]
            if now and now != [first]:
                break
            assert time.monotonic() < deadline, "lock not taken again"
            time.sleep(0.1)
    assert other.is_alive(me.instance)
    me.release()
    wait_dead(other, me.instance)
    engine.dispose()
