"""docs/HIS_ADAPTER.md documents every operation the simulator serves and every config key."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.his.operations import OPS
from simulators.his.seed import DEFAULT_CONFIG

pytestmark = pytest.mark.unit
DOC = (Path(__file__).resolve().parents[4] / "docs" / "HIS_ADAPTER.md").read_text(encoding="utf-8")


def test_every_operation_is_documented() -> None:
    assert len(OPS) >= 20
    missing = [name for name in OPS if f"| `{name}`" not in DOC]
    assert not missing, f"operations missing from docs/HIS_ADAPTER.md §3: {missing}"


def test_every_config_key_is_documented() -> None:
    missing = [key for key in DEFAULT_CONFIG if f"`{key}`" not in DOC]
    assert not missing, f"config keys missing from docs/HIS_ADAPTER.md: {missing}"
