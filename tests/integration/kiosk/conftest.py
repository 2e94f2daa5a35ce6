"""One kiosk rig per test module (finance, sync server, HIS and payment simulators as real
processes), and a fresh kiosk (own store, virtual devices) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.kiosk.rig import KioskRig
from workflows.events import Events
from workflows.kiosk.kiosk import Kiosk


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskRig]:
    r = KioskRig(tmp_path_factory.mktemp("kiosk_rig"))
    try:
        yield r.start()
    finally:
        r.stop()


@pytest.fixture
def events() -> tuple[Events, list[tuple[str, dict]]]:  # type: ignore[type-arg]
    ev = Events()
    seen: list[tuple[str, dict]] = []  # type: ignore[type-arg]
    ev.subscribe(lambda name, payload: seen.append((name, payload)))
    return ev, seen


@pytest.fixture
def kiosk(rig: KioskRig, tmp_path: Path, events) -> Iterator[Kiosk]:  # type: ignore[no-untyped-def]
    k = rig.kiosk(tmp_path / "kiosk", events[0])
    try:
        k.start()
        yield k
    finally:
        k.close()
