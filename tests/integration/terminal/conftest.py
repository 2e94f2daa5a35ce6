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
    srv.register("T1", "key-T1", terminal_key.public_key.to_hex())
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
