"""Pytest fixtures over the rigs. Use them from a conftest.py::

    from tests.rigs.fixtures import escpos_rig  # noqa: F401  (re-export the fixture)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rigs.escpos_printer import TcpEscposPrinter


@pytest.fixture
def escpos_rig() -> Iterator[TcpEscposPrinter]:
    """A fresh fake TCP ESC/POS printer on 127.0.0.1 (see tests.rigs.escpos_printer)."""
    rig = TcpEscposPrinter().start()
    try:
        yield rig
    finally:
        rig.stop()
