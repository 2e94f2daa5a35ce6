"""How the session workflows talk to the sync server: through the terminal's one SyncClient.

Issuing goes through :class:`workflows.issuing.IssuingWorkflow`; everything else the window asks
the server — paper (turnPaper ...), write-off, queries, notice push, the terminal ``login`` — goes
through the same :class:`workflows.sync_client.SyncClient`, so one HTTP client with one circuit
breaker sees every call and the link state shown on screen is the breaker's. :class:`ServerApi`
only unwraps the answer: the success payload, or :class:`PlatformError` with the server's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from workflows.sync_client import SyncClient


class HisApi(Protocol):
    """One call of the HIS interface: returns the decoded success payload.

    :raises PlatformError: the server answered a failure (its code and Chinese text).
    :raises LinkError: the server could not be reached (workflows.errors, E8101-E8103).
    """

    def call(self, method: str, data: Mapping[str, Any]) -> Any: ...


class ServerApi:
    """The HIS interface and the terminal-api of the sync server over the terminal's SyncClient."""

    def __init__(self, sync: SyncClient) -> None:
        self.sync = sync

    def call(self, method: str, data: Mapping[str, Any]) -> Any:
        """An HIS-interface method (``turnPaper``, ``writeOffEBill``, ``getEBillByBusNo`` ...)."""
        return self.sync.his(method, data).payload()

    def terminal(self, method: str, data: Mapping[str, Any]) -> Any:
        """A terminal-api method (``login``, ``catalog`` ...)."""
        return self.sync.terminal(method, data).payload()

    def insurance(self, method: str, data: Mapping[str, Any]) -> Any:
        """An insurance-API method (``insPersonInfo``, ``insSettle`` ...; docs/INSURANCE.md §12.3)."""
        return self.sync.insurance(method, data).payload()
