"""The HIS simulator's app in-process (Flask test client, no sockets) on a fresh data directory,
with a manual clock and a signing caller."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from billing_core.clock import CST, ManualClock
from simulators.his.app import create_app
from simulators.his.context import HisContext
from simulators.his.seed import seed_demo
from tests.rigs.his_rig import Caller

pytestmark = pytest.mark.unit

START = datetime(2026, 12, 3, 9, 30, tzinfo=CST)


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture()
def ctx(tmp_path: Path, clock: ManualClock) -> HisContext:
    c = HisContext(tmp_path, clock)
    seed_demo(c.store, tmp_path, c.now())
    return c


@pytest.fixture()
def his(ctx: HisContext) -> Iterator[Caller]:
    app = create_app(ctx)
    caller = ctx.config["callers"][0]
    with app.test_client() as client:
        yield Caller(client, ctx, caller["appid"], caller["key"])


@pytest.fixture()
def demo(ctx: HisContext) -> dict[str, Any]:
    return dict(json.loads((ctx.data_dir / "demo.json").read_text(encoding="utf-8")))
