"""Fixtures of the terminal fault tests (same as the integration ones)."""

from __future__ import annotations

from tests.integration.terminal.conftest import server, terminal_key  # noqa: F401
from tests.rigs.fixtures import escpos_rig  # noqa: F401
