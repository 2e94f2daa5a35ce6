"""Fixtures of the upgrade tests: one finance simulator per module on the fixtures' platform
(tests/rigs/stack.py), restored PostgreSQL schemas dropped after each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.integration.upgrade.rig import FIXTURES, gunzip
from tests.rigs.stack import Simulator, drop_pg_schema


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    """A finance simulator process on a copy of the platform the fixtures were made against (it
    knows their bills: lookups and queued write-offs reach a platform that holds them)."""
    data = tmp_path_factory.mktemp("platform")
    shutil.copy2(FIXTURES / "platform" / "demo.json", data / "demo.json")
    gunzip(FIXTURES / "platform" / "finance.sqlite3.gz", data / "finance.sqlite3")
    sim = Simulator(data).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def pg_schema() -> Iterator[list[str]]:
    """Schemas a test restored; dropped afterwards."""
    made: list[str] = []
    yield made
    for schema in made:
        drop_pg_schema(schema)
