"""``python -m simulators.insurance`` as a real process on 127.0.0.1 (one per module) and a signed
client of the test's own (tests/rigs/insurance.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.insurance import InsClient, InsSimProcess


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InsSimProcess]:
    proc = InsSimProcess(tmp_path_factory.mktemp("inssim")).start()
    yield proc
    proc.stop()


@pytest.fixture
def client(sim: InsSimProcess) -> Iterator[InsClient]:
    sim.knobs(**{k: None for k in sim.knobs()})  # every knob back to its default
    c = InsClient(sim.url, timeout=10.0)
    c.sign_in()
    yield c
    c.close()
