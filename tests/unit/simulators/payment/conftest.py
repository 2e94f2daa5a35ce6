"""The payment simulator in this process on a manual clock, and a merchant client over the Flask
test client (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from billing_core.clock import ManualClock
from simulators.payment.app import create_app
from simulators.payment.platform import Platform
from tests.rigs.payment import KEY, MCH_ID, Control, flask_transport
from workflows.payment_client import PaymentClient


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def platform(tmp_path: Path, clock: ManualClock) -> Iterator[Platform]:
    p = Platform(tmp_path / "pay", clock)
    yield p
    p.close()


@pytest.fixture
def app(platform: Platform) -> Flask:
    return create_app(platform)


@pytest.fixture
def control(app: Flask) -> Control:
    return Control.of_app(app)


@pytest.fixture
def client(app: Flask, clock: ManualClock) -> PaymentClient:
    return PaymentClient("http://sim", MCH_ID, KEY, clock=clock, transport=flask_transport(app))
