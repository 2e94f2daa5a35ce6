"""Fixtures: one finance simulator per module, servers on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ss_rig import ServerThread, Simulator, db_config, drop_pg_schema  # noqa: E402


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    s = Simulator(tmp_path_factory.mktemp("finance")).start()
    yield s
    s.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, sim: Simulator,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    cfg = db_config(request.param)
    srv = ServerThread(tmp_path_factory.mktemp(f"server_{request.param}"), sim.url, **cfg)
    srv.db_kind = request.param  # type: ignore[attr-defined]
    srv.settle()
    yield srv
    srv.stop()
    if cfg.get("database_schema"):
        drop_pg_schema(cfg["database_schema"])
