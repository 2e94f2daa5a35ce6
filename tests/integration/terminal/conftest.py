"""Fixtures of the terminal integration tests: the stand-in server, the printer rig, a terminal key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from billing_core.crypto import SM2PrivateKey
from tests.integration.terminal.standin import StandInServer
from tests.rigs.fixtures import escpos_rig  # noqa: F401  (re-export the printer rig fixture)


@pytest.fixture(scope="session")
def terminal_key() -> SM2PrivateKey:
    return SM2PrivateKey.generate()


@pytest.fixture
def server(terminal_key: SM2PrivateKey) -> Iterator[StandInServer]:
    srv = StandInServer()
    srv.state.keys["T1"] = "key-T1"  # the caller account; the SM2 key arrives through ``register``
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
