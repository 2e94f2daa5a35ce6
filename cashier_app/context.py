"""What every page of the window receives by constructor: services, printers, runner, errors."""

from __future__ import annotations

from dataclasses import dataclass

from cashier_app.printers import WindowPrinters
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter
from qt_common.tasks import TaskRunner
from workflows.cashier.services import CashierServices


@dataclass(slots=True)
class PageContext:
    """The shared pieces of one window."""

    services: CashierServices
    printers: WindowPrinters
    tasks: TaskRunner
    bridge: EventBridge
    errors: ErrorPresenter

    @property
    def operator(self) -> str:
        """Display name of the logged-in user (payee / operator on requests)."""
        user = self.services.login.user
        return user.name if user else ""
