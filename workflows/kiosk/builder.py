"""Build a kiosk from the one terminal config: :func:`build_kiosk`.

The terminal part (store, SM2 key, IssuingWorkflow with online issuing + emergency fallback +
outbox) comes from :func:`workflows.terminal.builder.build_terminal`; this adds the HIS client
([his]), the payment client ([payment]), the devices, the kiosk store table, the checkout and the
session ([kiosk]).
"""

from __future__ import annotations

from billing_core.clock import Clock
from devices.registry import DeviceSet
from workflows.events import Events
from workflows.kiosk.kiosk import Kiosk
from workflows.terminal.config import TerminalConfig


def build_kiosk(config: TerminalConfig, devices: DeviceSet, events: Events | None = None, *,
                clock: Clock | None = None) -> Kiosk:
    """Build a kiosk (does I/O: opens the store). ``config.his`` and ``config.kiosk`` must be set;
    ``config.payment`` None means prepayment-account payments only.

    :param devices: the kiosk's devices by role (``ssc_reader``, ``id_reader``, ``scanner``,
        ``camera``, ``receipt_printer``, ``bill_printer``); a missing role disables its functions.
    :raises KioskConfigError: E3920 when [his] or [kiosk] is missing.
    """
    raise NotImplementedError
