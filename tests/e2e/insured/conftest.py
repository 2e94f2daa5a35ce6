"""One rig of real processes per module (finance, insurance, payment simulators and the sync server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.insured import Rig


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("insured"))
    try:
        yield r.start()
    finally:
        r.stop()
