"""Failures of the simulated insurance platform.

A business failure is answered the platform's way: HTTP 200, ``infcode`` -1 and a Chinese
``err_msg`` (spec §3) — :class:`InsFailure`. The platform has no published error-code catalogue,
so the messages are the contract; tests match on their stable beginnings.

Our own ``E36xx`` codes are only for the unsigned ``/_sim`` control endpoints (docs/ERRORS.md,
"insurance platform (simulator)").
"""

from __future__ import annotations

from billing_core.errors import BillingError

# -- control endpoints (/_sim/...)
CONTROL_PARAM = "E3601"
CONTROL_NOT_JSON = "E3602"
CONTROL_NOT_FOUND = "E3603"


class InsFailure(Exception):
    """A transaction refused: answered with ``infcode`` (default -1) and ``err_msg``."""

    def __init__(self, err_msg: str, infcode: int = -1) -> None:
        super().__init__(err_msg)
        self.err_msg = err_msg
        self.infcode = infcode


class ControlError(BillingError):
    """A bad control request (400 with code and Chinese message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
