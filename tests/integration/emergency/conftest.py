"""Fixtures: one finance simulator and one sync server process per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.emergency.rig import Platform, Server


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, Server]]:
    base = tmp_path_factory.mktemp("emergency_stack")
    platform = Platform(base).start()
    server = Server(base, platform).start()
    try:
        yield platform, server
    finally:
        server.stop()
        platform.stop()
