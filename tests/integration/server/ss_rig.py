"""Helpers of the sync server tests: sample requests, the platform's call log, process checks.

The stack itself (finance simulator process, in-process or subprocess server, HIS client,
per-run database isolation) is tests/rigs/stack.py; it is re-exported here for the server tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.rigs.stack import (  # noqa: F401  (re-exported for the server tests)
    DB_KINDS,
    PG_URL,
    ROOT,
    HisClient,
    ServerProcess,
    ServerThread,
    Simulator,
    Stack,
    db_config,
    drop_pg_schema,
    ensure_postgres,
    ensure_test_database,
    free_port,
    wait_port,
)


def load_sample(name: str) -> dict[str, Any]:
    """A sample request from tests/fixtures/requests (billing_core's fixtures)."""
    return json.loads((ROOT / "tests" / "fixtures" / "requests" / name).read_text(encoding="utf-8"))


def other_sample(method: str) -> dict[str, Any]:
    """A sample request of a non-issuing method."""
    return dict(load_sample("other_methods.json")[method])


def assert_call_log(sim: Simulator, bus_no: str) -> None:
    """No issuing call after a recorded success; every re-send preceded by a not-found lookup."""
    from billing_core.methods import ISSUE as ISSUE_METHODS

    calls = [c for c in sim.calls() if c["bus_no"] == bus_no]
    issued_ok = False
    last_issue = None
    for c in calls:
        if c["method"] in ISSUE_METHODS:
            assert not issued_ok, f"issuing call after a recorded success: {c}"
            if last_issue is not None:
                between = [x for x in calls if last_issue["id"] < x["id"] < c["id"]]
                assert any(x["method"] == "getEBillByBusNo" and x["result"] != "S0000" for x in between), \
                    f"re-send without a not-found lookup first: {c}"
            last_issue = c
            if c["result"] == "S0000":
                issued_ok = True
    assert issued_ok


def children(pid: int) -> list[int]:
    """Running child processes of ``pid`` (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def repeat_concurrently(sim: Simulator, clients: list[HisClient], bill: dict[str, Any], *, knob: str,
                        latency: float) -> set[tuple[str, str]]:
    """Every client issues ``bill`` at the same time (one connection each) under the simulator's
    ``duplicate_busno`` knob and an answer latency; the distinct (billBatchCode, billNo) answered."""
    from concurrent.futures import ThreadPoolExecutor

    sim.faults(duplicate_busno=knob, latency=latency)
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            answers = list(pool.map(lambda c: c.ok("invoiceEBillOutpatient", bill), clients))
    finally:
        sim.faults(latency=0.0)
    return {(a["billBatchCode"], a["billNo"]) for a in answers}


def upgrade_to(engine: Engine, revision: str) -> None:
    """Migrate ``engine``'s database to ``revision`` (upgrade tests start from an old schema)."""
    from alembic import command
    from alembic.config import Config

    from sync_server.store import db as store_db

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store_db.__file__).parent / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
