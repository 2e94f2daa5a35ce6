"""A day of traffic through a real finance simulator and sync server (SQLite and PostgreSQL), and
the independent record of what was sent, for the report tests (issue 18 acceptance)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

sys.path.insert(0, str(Path(__file__).parent))

from traffic import Traffic, seed_day  # noqa: E402

from tests.rigs.stack import DB_KINDS, Stack, stack_sim  # noqa: E402,F401


@pytest.fixture(scope="module", params=DB_KINDS)
def traffic(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traffic]:
    with Stack(tmp_path_factory.mktemp(f"reports_{request.param}"), request.param).start(settle=True) as st:
        yield seed_day(st)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (SQLite file or a fresh PostgreSQL schema): migration tests."""
    from sync_server.store.db import make_engine, sqlite_url
    from tests.rigs.stack import PG_URL, db_config, drop_pg_schema

    cfg = db_config(request.param)
    eng = make_engine(sqlite_url(tmp_path / "s.db")) if request.param == "sqlite" else \
        make_engine(PG_URL, schema=cfg["database_schema"])
    yield eng
    eng.dispose()
    if cfg.get("database_schema"):
        drop_pg_schema(cfg["database_schema"])
