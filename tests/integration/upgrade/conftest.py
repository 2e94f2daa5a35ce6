"""Fixtures of the upgrade tests: one finance simulator per module (tests/rigs/stack.py), restored
PostgreSQL schemas dropped after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.stack import Simulator, drop_pg_schema, stack_sim  # noqa: F401  (re-export the fixture)


@pytest.fixture(scope="module")
def sim(stack_sim: Simulator) -> Simulator:  # noqa: F811  (the fixture imported above)
    """The module's finance simulator process."""
    return stack_sim


@pytest.fixture
def pg_schema() -> Iterator[list[str]]:
    """Schemas a test restored; dropped afterwards."""
    made: list[str] = []
    yield made
    for schema in made:
        drop_pg_schema(schema)
