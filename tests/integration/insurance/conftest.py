"""Fixtures: one insurance simulator process per module; a sync server on SQLite and on
PostgreSQL with its insurance connector pointed at it (tests/rigs/stack.py, tests/rigs/insurance.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ins_stack import NO_FINANCE, insurance_config  # noqa: E402

from tests.rigs.insurance import InsSimProcess  # noqa: E402
from tests.rigs.stack import DB_KINDS, ServerThread, db_config, drop_pg_schema  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ins_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InsSimProcess]:
    """The insurance simulator as a real process."""
    sim = InsSimProcess(tmp_path_factory.mktemp("ins_sim")).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module", params=DB_KINDS)
def server(request: pytest.FixtureRequest, ins_sim: InsSimProcess,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A sync server (in this process) on SQLite or PostgreSQL, insurance pointed at the simulator
    (the PostgreSQL one as the simulator's second hospital: each reconciles only its own)."""
    db = db_config(request.param)
    st = ServerThread(tmp_path_factory.mktemp(f"ins_server_{request.param}"), NO_FINANCE,
                      **(db | insurance_config(ins_sim, timeout=1.5, other=request.param != "sqlite")))
    try:
        yield st
    finally:
        st.stop()
        if db.get("database_schema"):
            drop_pg_schema(db["database_schema"])
