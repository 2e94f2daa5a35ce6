"""What a kiosk session works with (built once by :func:`workflows.kiosk.builder.build_kiosk`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from billing_core.clock import Clock
from offline_store.db import Database
from workflows.events import Events
from workflows.his import HisClient
from workflows.issuing import IssuingWorkflow
from workflows.kiosk.checkout import Checkout
from workflows.kiosk.insured import KioskInsurance
from workflows.kiosk.models import FunctionAvailability
from workflows.kiosk.settings import KioskSettings
from workflows.paper import PaperService
from workflows.payment_client import PaymentClient
from workflows.records import BillBook
from workflows.writeoff import WriteOffService


@dataclass(slots=True)
class KioskContext:
    """The kiosk's parts a session uses. ``devices`` is a devices.registry.DeviceSet (by role);
    ``availability`` answers the current function availability."""

    his: HisClient
    payments: PaymentClient | None
    devices: Any
    checkout: Checkout
    workflow: IssuingWorkflow
    db: Database
    settings: KioskSettings
    events: Events
    clock: Clock
    availability: Callable[[], dict[str, FunctionAvailability]]
    receipt_printer: Any | None = None
    width_mm: int = 80
    bills: BillBook | None = None  # this kiosk's bills (paper and red marks)
    paper: PaperService | None = None  # 换开纸质票据 on the bill printer
    writeoff: WriteOffService | None = None  # 冲红 of a cancelled appointment's bill
    insurance: KioskInsurance | None = None  # the insured 门诊缴费 (workflows.kiosk.insured)

    def device(self, role: str) -> Any | None:
        """The device of a role, opened (None when not installed)."""
        dev = self.devices.by_role(role) if self.devices is not None else None
        if dev is not None and not dev.is_open:
            dev.open()
        return dev
