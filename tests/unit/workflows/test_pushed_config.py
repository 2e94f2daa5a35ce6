"""workflows.pushed_config and the kiosk's merge: the terminal applies what the management web
pushed (issue 19 §1) — emergency limits at once in the issuing workflow, idle timeout, survey
and functions in the kiosk's settings — keeps it across a restart, and ignores a bad push."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from billing_core import terminal_params as tp
from offline_store.db import Database
from workflows.emergency.limits import EmergencyLimits
from workflows.kiosk.pushed import merged_settings
from workflows.kiosk_config import FUNCTIONS, KioskSettings
from workflows.pushed_config import PushedConfig

pytestmark = pytest.mark.unit

OWN = EmergencyLimits(max_bills=500, max_total=Decimal("100000.00"))


def _push(version: int, functions: list[str] | None = None, **params: object) -> dict:
    return tp.delivery(version, "kiosk", functions, tp.check_params(params), {})


def test_the_kiosk_scene_lists_the_kiosk_functions() -> None:
    assert tuple(name for name, _label in tp.FUNCTIONS["kiosk"]) == FUNCTIONS


def test_apply_keeps_and_restores(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        pushed = PushedConfig(db, OWN)
        seen: list[int] = []
        pushed.listeners.append(lambda p: seen.append(p.version))
        assert pushed.version == 0 and pushed.limits() == OWN and pushed.apply(None) is False
        assert pushed.apply(_push(3, idle_seconds=40, max_bills=12, max_total="800"))
        assert seen == [3] and pushed.version == 3
        assert pushed.limits() == EmergencyLimits(max_bills=12, max_total=Decimal("800.00"))
        assert pushed.idle_seconds(60.0) == 40.0
        assert pushed.apply(_push(3, idle_seconds=40, max_bills=12, max_total="800")) is False  # same again
        # a bad push changes nothing
        bad = _push(4)
        bad["params"] = {"idle_seconds": 2}
        assert pushed.apply(bad) is False and pushed.version == 3 and seen == [3]
    finally:
        db.close()
    db = Database(tmp_path / "t.db")  # a restart (offline): the last push still holds
    try:
        again = PushedConfig(db, OWN)
        assert again.version == 3 and again.limits().max_bills == 12
    finally:
        db.close()


def test_a_failing_listener_does_not_stop_the_others(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        pushed = PushedConfig(db, OWN)
        seen: list[int] = []

        def broken(_p: PushedConfig) -> None:
            raise RuntimeError("listener bug")

        pushed.listeners.extend([broken, lambda p: seen.append(p.version)])
        assert pushed.apply(_push(1)) and seen == [1]
    finally:
        db.close()


def test_kiosk_settings_merge(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        own = KioskSettings(idle_seconds=60.0, warning_seconds=15.0, functions=("outpatient", "query", "survey"))
        pushed = PushedConfig(db, OWN)
        assert merged_settings(own, pushed) is own
        pushed.apply(_push(2, ["outpatient", "survey", "prepay"], idle_seconds=20,
                           survey=[{"key": "nurse", "text": "护士服务满意吗？", "options": ["满意", "不满意"]}]))
        got = merged_settings(own, pushed)
        assert got.idle_seconds == 20.0 and got.warning_seconds == 15.0
        # withdrawn: query; never enabled by a push: prepay (not in the kiosk's own list)
        assert got.functions == ("outpatient", "survey")
        assert [q.key for q in got.survey] == ["nurse"] and got.survey[0].options == ("满意", "不满意")
        pushed.apply(_push(3, idle_seconds=15))
        assert merged_settings(own, pushed).warning_seconds == 15.0
        assert merged_settings(own, pushed).survey == own.survey
    finally:
        db.close()
