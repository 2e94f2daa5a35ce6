"""``python -m simulators.his`` as a real process per module, and HisClient on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.his_rig import HisProcess
from workflows.his import HisClient


@pytest.fixture(scope="module")
def his_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HisProcess]:
    proc = HisProcess(tmp_path_factory.mktemp("his")).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture()
def client(his_proc: HisProcess) -> Iterator[HisClient]:
    caller = his_proc.demo["callers"][0]
    with HisClient(his_proc.url, caller["appid"], caller["key"], timeout=5.0) as c:
        yield c
