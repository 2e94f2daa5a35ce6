"""One ward rig per test module (real processes), a fresh nurse station per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.ward.rig import WardRig
from workflows.events import Events
from workflows.ward.builder import Ward


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WardRig]:
    r = WardRig(tmp_path_factory.mktemp("ward_rig"))
    try:
        yield r.start()
    finally:
        r.stop()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def ward(rig: WardRig, tmp_path: Path, events: Events) -> Iterator[Ward]:
    w = rig.ward(tmp_path / "ward", events)
    try:
        w.maintain()
        yield w
    finally:
        w.close()
        while rig.devices:
            rig.devices.pop().shutdown()


def one(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]
