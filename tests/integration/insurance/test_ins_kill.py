"""The acceptance case of issue 16 §3: the settlement is recorded in flight **before** 2207 is
sent, so a server SIGKILLed between the call and the answer resolves it at restart (5203 finds
the committed settlement) — exactly one settlement, never a second 2207. A real server process
(tests/rigs/stack.py ServerProcess) against the real simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ins_stack import (
    NO_FINANCE,
    fees_data,
    insurance_config,
    new_person,
    register_data,
    settled,
    sim_settlements,
    terminal,
    write_config,
)
from sqlalchemy import create_engine, text

from tests.rigs.insurance import LI, InsSimProcess
from tests.rigs.stack import DB_KINDS, ServerProcess, db_config, drop_pg_schema

pytestmark = pytest.mark.integration


@pytest.fixture(params=DB_KINDS)
def db(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    cfg = db_config(request.param)
    try:
        yield cfg
    finally:
        if cfg.get("database_schema"):
            drop_pg_schema(cfg["database_schema"])


def _state(data_dir: Path, db: dict[str, Any], sid: int) -> str:
    """The settlement's state as stored (read from the database, the server being dead)."""
    if db.get("database_url"):
        engine = create_engine(db["database_url"], connect_args={"options": f"-csearch_path={db['database_schema']}"})
    else:
        engine = create_engine(f"sqlite:///{data_dir / 'sync_server.db'}")
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT state FROM ins_settlements WHERE id = :i"), {"i": sid}).scalar_one())
    finally:
        engine.dispose()


def test_sigkill_between_call_and_answer_is_resolved_at_restart(
        ins_sim: InsSimProcess, db: dict[str, Any], tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    # the server waits 30 s for the answer: the 2207 is certainly in flight when it is killed
    config = write_config(tmp_path / "server.json", db | insurance_config(ins_sim, timeout=30.0))
    proc = ServerProcess(data_dir, NO_FINANCE, config=config).start()
    base = f"http://127.0.0.1:{proc.port}"
    term = terminal(base, proc.demo)
    answers: list[Any] = []
    try:
        reg = term.ok("insRegister", register_data(LI))
        sid = reg["settlementId"]
        term.ok("insUploadFees", fees_data(sid, 1))
        term.ok("insPreSettle", {"settlementId": sid})
        ins_sim.knobs(timeout_commit={"count": 1, "infnos": ["2207"], "hang_seconds": 6})

        def settle() -> None:
            try:
                answers.append(term.call("insSettle", {"settlementId": sid}))
            except Exception as exc:  # noqa: BLE001 - the connection dies with the server
                answers.append(exc)

        caller = threading.Thread(target=settle, name="ins-kill-settle")
        caller.start()
        deadline = time.monotonic() + 15
        while not [s for s in sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"]) if s["state"] == "valid"]:
            assert time.monotonic() < deadline, "the simulator never committed the settlement"
            time.sleep(0.05)
        proc.kill()  # committed on the platform, the answer not yet received
        caller.join(15)
        assert answers and not (isinstance(answers[0], tuple) and answers[0][0] == "S0000")
        assert _state(data_dir, db, sid) == "settling"  # recorded in flight before the call

        proc = ServerProcess(data_dir, NO_FINANCE, config=write_config(
            tmp_path / "server.json", db | insurance_config(ins_sim, timeout=3.0)), port=proc.port).start()
        term.close()
        term = terminal(base, proc.demo)
        deadline = time.monotonic() + 20
        while (row := term.ok("insSettlementQuery", {"settlementId": sid}))["state"] != "settled":
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
        valid = [s for s in sim_settlements(ins_sim, mdtrt_id=reg["mdtrtId"]) if s["state"] == "valid"]
        assert [s["medins_setl_id"] for s in valid] == [row["settleMsgid"]]  # exactly one
        assert row["settleAttempts"] == 1 and row["setlId"] == valid[0]["setl_id"]
    finally:
        ins_sim.knobs(timeout_commit=None)
        term.close()
        proc.stop()


def test_sigkill_during_a_cancel_is_resolved_at_restart(
        ins_sim: InsSimProcess, db: dict[str, Any], tmp_path: Path) -> None:
    """The same for a refund: the cancel (2208) is recorded in flight (``cancelling``) before it is
    sent; killed between the call and the answer, the restarted server's worker finds it applied
    with 5203 — the settlement cancelled once, never a second 2208."""
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    config = write_config(tmp_path / "server.json", db | insurance_config(ins_sim, timeout=30.0))
    proc = ServerProcess(data_dir, NO_FINANCE, config=config).start()
    base = f"http://127.0.0.1:{proc.port}"
    term = terminal(base, proc.demo)
    answers: list[Any] = []
    try:
        done = settled(term, new_person(ins_sim))
        sid = done["settlementId"]
        ins_sim.knobs(timeout_commit={"count": 1, "infnos": ["2208"], "hang_seconds": 6})

        def cancel() -> None:
            try:
                answers.append(term.call("insCancel", {"settlementId": sid}))
            except Exception as exc:  # noqa: BLE001 - the connection dies with the server
                answers.append(exc)

        caller = threading.Thread(target=cancel, name="ins-kill-cancel")
        caller.start()
        deadline = time.monotonic() + 15
        while not [s for s in sim_settlements(ins_sim, mdtrt_id=done["mdtrtId"]) if s["state"] == "cancel"]:
            assert time.monotonic() < deadline, "the simulator never committed the cancel"
            time.sleep(0.05)
        proc.kill()
        caller.join(15)
        assert answers and not (isinstance(answers[0], tuple) and answers[0][0] == "S0000")
        assert _state(data_dir, db, sid) == "cancelling"  # recorded in flight before the call

        proc = ServerProcess(data_dir, NO_FINANCE, config=write_config(
            tmp_path / "server.json", db | insurance_config(ins_sim, timeout=3.0)), port=proc.port).start()
        term.close()
        term = terminal(base, proc.demo)
        deadline = time.monotonic() + 20
        while (row := term.ok("insSettlementQuery", {"settlementId": sid}))["state"] != "cancelled":
            assert time.monotonic() < deadline, row
            time.sleep(0.2)
        states = sorted(s["state"] for s in sim_settlements(ins_sim, mdtrt_id=done["mdtrtId"]))
        assert states == ["cancel", "cancelled"]  # exactly one cancel
    finally:
        ins_sim.knobs(timeout_commit=None)
        term.close()
        proc.stop()
