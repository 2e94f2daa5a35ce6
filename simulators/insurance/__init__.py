"""National medical-insurance platform simulator (issue 16 §1, §2): the gateway (x-tif-*
signature), the envelope, sign-in, person info, outpatient and inpatient settlement, reversal,
reconciliation, catalogues and files, queries, settlement-list upload and the electronic
settlement voucher centre, with a reimbursement engine and fault knobs; real state in SQLite.

Use :func:`start` in tests, ``python -m simulators.insurance`` on the command line; the protocol
and the knobs are in docs/INSURANCE.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_core.clock import Clock
    from simulators.insurance.server import InsSimServer

__all__ = ["start"]


def start(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None) -> InsSimServer:
    """Create (or reopen) a simulator in ``data_dir`` and serve it; returns the running server
    (``.url``, ``.stop()``)."""
    from simulators.insurance.platform import Platform
    from simulators.insurance.server import InsSimServer

    return InsSimServer(Platform(Path(data_dir), clock), host, port).start()
