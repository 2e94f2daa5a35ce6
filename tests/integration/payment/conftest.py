"""``python -m simulators.payment`` as a real process on 127.0.0.1 (one per module), and the
terminal's real client talking to it over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rigs.payment import KEY, MCH_ID, PaySimProcess
from workflows.payment_client import PaymentClient


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PaySimProcess]:
    proc = PaySimProcess(tmp_path_factory.mktemp("paysim")).start()
    yield proc
    proc.stop()


@pytest.fixture
def client(sim: PaySimProcess) -> Iterator[PaymentClient]:
    c = PaymentClient(sim.url, MCH_ID, KEY, timeout=5.0)
    yield c
    c.close_http()


@pytest.fixture
def no() -> str:
    """An out_trade_no unique across test runs."""
    return "IT" + uuid.uuid4().hex[:20]


def fresh(tmp: Path) -> PaySimProcess:
    """A simulator of its own (statement tests need a day with only their orders)."""
    return PaySimProcess(tmp).start()
