"""Server databases written by every released schema version (tests/fixtures/upgrade, made by
make_fixtures.py from the old commits) are opened by today's server: migrated to HEAD at start-up,
their bills found by busNo as the old version answered, the audit chain intact, sealed personal
data readable, and a new bill issued beside them (a real finance simulator process)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text

from tests.integration.upgrade.rig import FIXTURES, copy_server, manifest, restore_pg
from tests.rigs.stack import PG_URL, ServerThread, Simulator

pytestmark = pytest.mark.integration

SAMPLE = json.loads((FIXTURES.parents[0] / "requests" / "outpatient.json").read_text(encoding="utf-8"))
#: fields of a lookup answer that identify the e-bill (the platform's number, check code, amount)
SAME = ("billBatchCode", "billNo", "random", "totalAmt")
SQLITE = sorted(manifest()["server"].values(), key=lambda e: e["revision"])
POSTGRES = sorted(manifest()["postgresql"].values(), key=lambda e: e["revision"])


def schema_drift(engine: Engine) -> list[str]:
    """Tables, columns and indexes of today's metadata that the upgraded database lacks."""
    from sync_server.store.schema import metadata

    have = inspect(engine)
    out: list[str] = []
    for table in metadata.sorted_tables:
        if not have.has_table(table.name):
            out.append(table.name)
            continue
        columns = {c["name"] for c in have.get_columns(table.name)}
        indexes = {i["name"] for i in have.get_indexes(table.name)}
        out += [f"{table.name}.{c.name}" for c in table.columns if c.name not in columns]
        out += [f"{table.name}: index {i.name}" for i in table.indexes if i.name not in indexes]
    return out


def upload_old_journal(server: ServerThread, entry: dict[str, Any], data: Path) -> None:
    """The old terminal's store (paired with this database) opened by today's offline_store; its
    emergency bills never uploaded go to today's server through today's workflow, chaining onto
    the head the old server recorded for those it received."""
    from billing_core.clock import SystemClock
    from offline_store import journal, open_store
    from sync_server.store.db import read_tx
    from sync_server.store.emergency_schema import terminal_chain
    from workflows.emergency.chain import BillSigner
    from workflows.emergency.limits import EmergencyLimits
    from workflows.issuing import Identity, IssuingWorkflow
    from workflows.sync_client import SyncClient

    em = entry["emergency"]
    with read_tx(server.ctx.engine) as conn:
        head = conn.execute(select(terminal_chain.c.head_hash)
                            .where(terminal_chain.c.terminal_id == em["terminal"])).scalar()
    db = open_store(str(data / "terminal.sqlite3"))
    caller = next(c for c in server.demo["callers"] if c["appid"] == em["terminal"])
    user = next(u for u in server.demo["users"] if u["role"] == "finance")
    sync = SyncClient(f"http://127.0.0.1:{server.port}", em["terminal"], caller["key"], read_timeout=30)
    try:
        sync.use_account(user["username"], user["password"])
        entries = journal.entries(db)
        sent = em["accepted"]  # what the old server accepted (its head); the rest is still to upload
        assert [e.bus_no for e in entries] == em["uploaded"] + em["pending"]
        assert head == (entries[sent - 1].hash if sent else None)
        wf = IssuingWorkflow(sync, db, None, SystemClock(), Identity(em["terminal"], em["place"]),
                             BillSigner(em["key"]), limits=EmergencyLimits())
        report = wf.upload_pending()
        assert (report.accepted, report.rejected, report.conflicts) == (len(entries) - sent, 0, 0), \
            report.as_dict()
        with read_tx(server.ctx.engine) as conn:
            head = conn.execute(select(terminal_chain.c.head_hash)
                                .where(terminal_chain.c.terminal_id == em["terminal"])).scalar()
        assert head == entries[-1].hash
    finally:
        db.close()


def check_upgraded(server: ServerThread, entry: dict[str, Any]) -> None:
    """Every check of one upgraded database (SQLite or PostgreSQL)."""
    from sync_server.security.audit import verify_chain
    from sync_server.store.db import read_tx
    from sync_server.store.migrations import HEAD
    from sync_server.store.schema import bills

    engine = server.ctx.engine
    assert schema_drift(engine) == []
    with read_tx(engine) as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        report = verify_chain(conn)
        assert report.ok, f"audit chain broken at row {report.broken_id}: {report.reason}"
        assert report.rows >= entry["counts"].get("audit_log", 0) > 0
        # every old row is still there (the upgrade added, never dropped)
        for table in ("bills", "bill_items", "pay_channels", "red_bills", "callers", "users", "stock_ranges"):
            got = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
            assert got >= entry["counts"][table], table
        # sealed personal data: stored sealed, read back clear through today's engine
        raw = conn.execute(text("SELECT request_json, card_no FROM bills WHERE bus_no = :b"),
                           {"b": entry["bills"][0]["busNo"]}).one()
        assert SAMPLE["idCardNo"] not in raw[0] and raw[1] != SAMPLE["cardNo"]
        row = conn.execute(select(bills.c.request_json, bills.c.card_no)
                           .where(bills.c.bus_no == entry["bills"][0]["busNo"])).one()
        request = row[0] if isinstance(row[0], dict) else json.loads(row[0])
        assert request["idCardNo"] == SAMPLE["idCardNo"] and row[1] == SAMPLE["cardNo"]
    his = server.his(next(i for i, c in enumerate(server.demo["callers"]) if c["appid"] == entry["caller"]))
    for bill in entry["bills"]:
        found = his.ok("getEBillByBusNo", {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
        assert {k: found.get(k) for k in SAME} == {k: bill["lookup"].get(k) for k in SAME}, bill["busNo"]
    # the write-off the old version made is still known: a second one is refused, not re-sent
    first = entry["bills"][0]["issued"]
    again = dict(json.loads((FIXTURES.parents[0] / "requests" / "other_methods.json")
                            .read_text(encoding="utf-8"))["writeOffEBill"],
                 billBatchCode=first["billBatchCode"], billNo=first["billNo"])
    assert entry["steps"]["writeOffEBill"][0] == "S0000"
    code, _ = his.call("writeOffEBill", again)
    assert code != "S0000"
    # a new bill on the upgraded database
    new = copy.deepcopy(SAMPLE) | {"busNo": f"NEW{entry['revision']}{entry['kind'][:2]}"}
    answer = his.ok("invoiceEBillOutpatient", new)
    found = his.ok("getEBillByBusNo", {"busNo": new["busNo"], "busDateTime": new["busDateTime"]})
    assert (found["billBatchCode"], found["billNo"]) == (answer["billBatchCode"], answer["billNo"])
    assert (answer["billBatchCode"], answer["billNo"]) not in {
        (b["issued"]["billBatchCode"], b["issued"]["billNo"]) for b in entry["bills"]}
    # the write-off the old version queued while the platform was down is delivered now
    from sync_server.outbox import queue as outbox

    server.wait_drained()
    with read_tx(engine) as conn:
        states = outbox.counts(conn)
        assert states.get("done", 0) >= entry["counts"]["outbox"] > 0, states
        assert (conn.execute(text("SELECT COUNT(*) FROM red_bills")).scalar() or 0) >= 2
    server.settle()  # emergency stock of every billing point (old blocks kept, new ones reserved)


@pytest.mark.parametrize("entry", SQLITE, ids=[e["revision"] for e in SQLITE])
def test_sqlite_database_upgrades(entry: dict[str, Any], sim: Simulator, tmp_path: Path) -> None:
    data = copy_server(entry, tmp_path / "srv")
    server = ServerThread(data, sim.url, seed_demo=True)
    try:
        check_upgraded(server, entry)
        if entry.get("emergency"):
            upload_old_journal(server, entry, data)
    finally:
        server.stop()


@pytest.mark.parametrize("entry", POSTGRES, ids=[e["revision"] for e in POSTGRES])
def test_postgresql_dump_upgrades(entry: dict[str, Any], sim: Simulator, tmp_path: Path,
                                  pg_schema: list[str]) -> None:
    schema = restore_pg(entry)
    pg_schema.append(schema)
    data = copy_server(entry, tmp_path / "srv")
    server = ServerThread(data, sim.url, seed_demo=True, database_url=PG_URL, database_schema=schema)
    try:
        check_upgraded(server, entry)
        if entry.get("emergency"):
            upload_old_journal(server, entry, data)
    finally:
        server.stop()
