"""Hospital HIS simulator (issue 15 §1): patients, clinic slots and appointments, pending charges,
prepayment accounts, inpatients with deposits, daily lists and discharge bills, and the settlement
of each, behind the signed JSON-over-HTTP interface of docs/HIS_ADAPTER.md. A real deployment
replaces it with an adapter to the hospital's own HIS speaking the same interface.

Use :func:`start` in tests, ``python -m simulators.his`` on the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_core.clock import Clock
    from simulators.his.server import HisServer

__all__ = ["start"]


def start(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None) -> HisServer:
    """Open (or create and seed) a simulator in ``data_dir`` and serve it; returns the handle
    with ``.url`` and ``.stop()``."""
    from simulators.his.server import start as _start

    return _start(data_dir, host, port, clock)
