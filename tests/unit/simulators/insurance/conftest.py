"""The insurance simulator in this process on a manual clock (started at the real time, so the
gateway's skew check accepts the client's x-tif-timestamp), and a signed client over the Flask
test client (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from billing_core.clock import CST, ManualClock
from simulators.insurance.app import create_app
from simulators.insurance.platform import Platform
from tests.rigs.insurance import InsClient, flask_transport


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(CST))


@pytest.fixture
def platform(tmp_path: Path, clock: ManualClock) -> Iterator[Platform]:
    p = Platform(tmp_path / "ins", clock)
    yield p
    p.close()


@pytest.fixture
def app(platform: Platform) -> Flask:
    return create_app(platform)


@pytest.fixture
def client(app: Flask) -> Iterator[InsClient]:
    c = InsClient("", transport=flask_transport(app))
    c.sign_in()
    yield c
    c.close()


@pytest.fixture
def knobs(app: Flask) -> Any:
    http = app.test_client()

    def set_knobs(**changes: Any) -> dict[str, Any]:
        r = http.post("/_sim/knobs", json=changes)
        assert r.status_code == 200, r.get_json()
        return dict(r.get_json())

    return set_knobs
