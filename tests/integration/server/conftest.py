"""Fixtures: one finance simulator per module, servers on SQLite and PostgreSQL (tests/rigs/stack.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

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
