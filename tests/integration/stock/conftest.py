"""Fixtures: one finance simulator and one sync server on SQLite per module (tests/rigs/stack.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.stock.rig import Finance
from tests.rigs.stack import ServerThread, Simulator, Stack


@pytest.fixture(scope="module")
def stock_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("stock_sqlite"), "sqlite").start() as st:
        yield st


@pytest.fixture(scope="module")
def server(stock_stack: Stack) -> ServerThread:
    return stock_stack.server


@pytest.fixture(scope="module")
def sim(stock_stack: Stack) -> Simulator:
    return stock_stack.sim


@pytest.fixture(scope="module")
def fin(server: ServerThread) -> Finance:
    return Finance(server)
