"""Pytest fixtures over the rigs. Use them from a conftest.py::

    from tests.rigs.fixtures import escpos_rig  # noqa: F401  (re-export the fixture)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rigs.cups import CupsPdfRig
from tests.rigs.escpos_printer import TcpEscposPrinter
from tests.rigs.id_reader_sim import IdReaderSimulator
from tests.rigs.pcscd import PcscdRig
from tests.rigs.ptys import SocatPair


@pytest.fixture
def escpos_rig() -> Iterator[TcpEscposPrinter]:
    """A fresh fake TCP ESC/POS printer on 127.0.0.1 (see tests.rigs.escpos_printer)."""
    rig = TcpEscposPrinter().start()
    try:
        yield rig
    finally:
        rig.stop()


@pytest.fixture(scope="session")
def pcscd_rig() -> Iterator[PcscdRig]:
    """A real pcscd with a private vpcd reader pair (session-wide: only one pcscd per machine)."""
    rig = PcscdRig().start()
    try:
        yield rig
    finally:
        rig.stop()


@pytest.fixture
def pcsc(pcscd_rig: PcscdRig) -> Iterator[PcscdRig]:
    """The session pcscd rig, with every card removed after the test."""
    try:
        yield pcscd_rig
    finally:
        for slot in list(pcscd_rig.cards):
            pcscd_rig.remove(slot)


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[SocatPair]:
    """A socat pty pair: the driver opens ``.a``, a simulator ``.b``."""
    pair = SocatPair(tmp_path).start()
    try:
        yield pair
    finally:
        pair.stop()


@pytest.fixture
def id_reader(pty_pair: SocatPair) -> Iterator[IdReaderSimulator]:
    """A simulated SAM ID card reader on ``pty_pair.b``."""
    sim = IdReaderSimulator(pty_pair.b).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def cups_pdf() -> Iterator[CupsPdfRig]:
    """cupsd with a cups-pdf queue (session-wide; cupsd is the machine's spooler)."""
    rig = CupsPdfRig().start()
    try:
        yield rig
    finally:
        rig.stop()
