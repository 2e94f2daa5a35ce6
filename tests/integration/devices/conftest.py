"""Fixtures of the device integration tests: the real OS stacks of tests/rigs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# pcscd_rig / pcsc come from the root conftest: one session pcscd for every folder that uses it
from tests.rigs.fixtures import cups_pdf, escpos_rig, id_reader, pty_pair  # noqa: E402,F401  (re-export)
