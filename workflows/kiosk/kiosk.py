"""The kiosk as a whole: the built terminal, HIS and payment clients, devices, the session, the
money path, device gating, heartbeat, recovery, reconciliation and the cash slip.

The GUI builds one with :func:`workflows.kiosk.builder.build_kiosk`, calls :meth:`Kiosk.start`
once (off the GUI thread: it resumes unfinished orders and prints), :meth:`Kiosk.maintain` from a
background timer (every ~30 s) and shows :meth:`Kiosk.availability` on the menu.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows.kiosk.models import DeviceHealth, FlowResult, FunctionAvailability
from workflows.kiosk.reconcile import ReconciliationReport

#: Sent in the heartbeat (``softwareVersion``).
SOFTWARE_VERSION = "kiosk-1.0.0"


class Kiosk:
    """One kiosk. Attributes: ``config`` (TerminalConfig), ``terminal`` (the built Terminal:
    store + IssuingWorkflow), ``his`` (HisClient), ``payments`` (PaymentClient | None),
    ``devices`` (devices.registry.DeviceSet), ``events`` (workflows.events.Events),
    ``session`` (KioskSession), ``checkout`` (Checkout), ``settings`` (KioskSettings)."""

    def start(self) -> list[FlowResult]:
        """Register the terminal key, resume unfinished orders (never charging twice) and
        unfinished print jobs, check devices. Returns the orders it finished."""
        raise NotImplementedError

    def maintain(self) -> dict[str, Any]:
        """One background round: heartbeat with device health / paper / software version,
        emergency uploads and stock, resume orders that could not progress, refresh availability
        (emits ``kiosk_availability`` when it changed, ``kiosk_mode`` when the link changed)."""
        raise NotImplementedError

    def device_health(self) -> dict[str, DeviceHealth]:
        """Health of every device role (opened on demand; the receipt printer's paper sensor)."""
        raise NotImplementedError

    def availability(self) -> dict[str, FunctionAvailability]:
        """Every function's availability (last computed; :meth:`refresh_availability` re-checks)."""
        raise NotImplementedError

    def refresh_availability(self) -> dict[str, FunctionAvailability]:
        """Re-check device health and recompute; emits ``kiosk_availability`` on a change."""
        raise NotImplementedError

    @property
    def emergency(self) -> bool:
        """True while the sync server is unreachable: bills come from emergency stock."""
        raise NotImplementedError

    def heartbeat_body(self) -> dict[str, Any]:
        """What the kiosk reports: the issuing workflow's figures + ``devices`` (role -> ok/detail),
        ``paper`` (receipt printer paper state), ``softwareVersion``, ``emergency``."""
        raise NotImplementedError

    def reconcile(self, day: date) -> ReconciliationReport:
        """Compare the payment statement, the kiosk's orders and the HIS settlements of a day."""
        raise NotImplementedError

    def print_cash_slip(self, day: date, operator: str) -> FlowResult:
        """Print the day's 现金收账单 (cash orders, totals, signature lines for finance staff and
        the kiosk operator). :raises FunctionUnavailableError: cash is not enabled on this kiosk."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the store, the clients and the devices."""
        raise NotImplementedError
