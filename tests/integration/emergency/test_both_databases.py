"""The terminal upload path on SQLite and on PostgreSQL (the server in this process under
waitress, the finance simulator as a process): accepted, duplicate, conflict, chain refusal,
carry-forward onto the platform, revocation and the carry-forward report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sync_server.emergency import carry_report, terminal_stock
from tests.integration.emergency.rig import METHOD, outpatient, terminal
from tests.rigs.stack import DB_KINDS, ServerThread, Simulator, Stack
from workflows.emergency.issuer import upload_payload
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    s = Simulator(tmp_path_factory.mktemp("fin")).start()
    yield s
    s.stop()


@pytest.fixture(params=DB_KINDS)
def srv(request: pytest.FixtureRequest, sim: Simulator, tmp_path: Path) -> Iterator[ServerThread]:
    with Stack(tmp_path, request.param, sim=sim).start() as stack:
        yield stack.server


def _as_server(s: ServerThread) -> Any:
    callers = {c["appid"]: c for c in s.demo["callers"]}
    users = {u["role"]: u for u in s.demo["users"]}
    return SimpleNamespace(caller=callers.__getitem__, user=users.__getitem__, url=f"http://127.0.0.1:{s.port}")


def test_upload_conflict_carry_and_report(srv: ServerThread, sim: Simulator, tmp_path: Path) -> None:
    t = terminal(_as_server(srv), "TERM01", tmp_path / "t")
    his = next(c for c in srv.demo["callers"] if c["appid"] == "HIS01")
    try:
        assert t.wf.register_key()
        block = t.wf.request_stock(10, "收费员01")
        assert t.wf.issue(METHOD, outpatient(f"DB-ON-{time.time_ns()}")).mode == "online"
        taken = f"DB-TAKEN-{time.time_ns()}"
        SyncClient(f"http://127.0.0.1:{srv.port}", "HIS01", his["key"]).his(METHOD, outpatient(taken)).payload()
        ems = [t.wf.issue_emergency(METHOD, outpatient(f"DB-EM{i}-{time.time_ns()}", f"{i + 1}.00"))
               for i in range(3)]
        clash = t.wf.issue_emergency(METHOD, outpatient(taken), in_doubt=True)
        report = t.wf.upload_pending()
        assert (report.accepted, report.conflicts, report.rejected) == (3, 1, 0), report.as_dict()
        from offline_store import journal
        again = t.sync.upload_emergency_bills("TERM01", [upload_payload(journal.by_bus_no(t.db, e.bus_no))
                                                         for e in ems])
        assert [r["status"] for r in again.message["results"]] == ["duplicate"] * 3
        # A bill whose chain does not continue the server's record is refused (journal tampered).
        forged = upload_payload(journal.by_bus_no(t.db, ems[0].bus_no)) | {
            "idempotencyKey": "TERM01:x:1", "prevHash": "0" * 64}
        assert t.sync.upload_emergency_bills("TERM01", [forged]).message["results"][0]["result"] in ("E5404",
                                                                                                      "E5405")
        srv.wait_drained()
        for e in ems:
            assert [(b[0], b[1]) for b in sim.platform_bills(e.bus_no)] == [(e.bill_batch_code, e.bill_no)]
        assert clash.bill_no not in [b[1] for b in sim.platform_bills(taken)]
        day = f"{ems[0].create_time[:4]}-{ems[0].create_time[4:6]}-{ems[0].create_time[6:8]}"
        rep = carry_report.build(srv.ctx, day, "TERM01")
        sec = rep["terminals"]["TERM01"]
        assert rep["clean"], rep
        assert (sec["counts"]["carried"], sec["counts"]["conflicts"]) == (3, 1)
        assert sec["amounts"]["carried"] == "6.00"
        revoked = terminal_stock.revoke(srv.ctx, "TERM01", "终端丢失", "finance01")
        assert [r["billBgnNo"] for r in revoked] == [block.number(block.bgn_no)]
        beat = t.sync.heartbeat({"terminalId": "TERM01", "placeCode": "001"}).payload()
        assert beat["revokedBlocks"] == revoked
    finally:
        t.close()
