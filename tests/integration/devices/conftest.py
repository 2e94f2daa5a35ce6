"""Fixtures of the device integration tests: the real OS stacks of tests/rigs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.rigs.fixtures import *  # noqa: E402,F401,F403  (re-export every rig fixture)
