"""Fixtures: one finance simulator per module, servers on SQLite and PostgreSQL (tests/rigs/stack.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))

from tests.rigs.stack import DB_KINDS, ServerThread, Simulator, Stack, stack_sim  # noqa: E402,F401


@pytest.fixture(scope="module")
def sim(stack_sim: Simulator) -> Simulator:  # noqa: F811  (the fixture imported above)
    """The module's finance simulator (the server tests' name for it)."""
    return stack_sim


@pytest.fixture(scope="module", params=DB_KINDS)
def server(request: pytest.FixtureRequest, sim: Simulator,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with Stack(tmp_path_factory.mktemp(f"server_{request.param}"), request.param, sim=sim).start(settle=True) as st:
        yield st.server


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (SQLite file or a fresh PostgreSQL schema): migration tests."""
    from ss_rig import PG_URL, db_config, drop_pg_schema

    from sync_server.store.db import make_engine, sqlite_url

    cfg = db_config(request.param)
    eng = make_engine(sqlite_url(tmp_path / "s.db")) if request.param == "sqlite" else \
        make_engine(PG_URL, schema=cfg["database_schema"])
    yield eng
    eng.dispose()
    if cfg.get("database_schema"):
        drop_pg_schema(cfg["database_schema"])
