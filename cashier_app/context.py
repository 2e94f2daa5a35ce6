"""What every page of the window receives by constructor: services, printers, runner, errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from billing_core.errors import BillingError
from cashier_app.printers import WindowPrinters
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter
from qt_common.tasks import TaskRunner
from workflows.cashier.login import ACTION_ROLES
from workflows.cashier.services import CashierServices


@dataclass(slots=True)
class PageContext:
    """The shared pieces of one window."""

    services: CashierServices
    printers: WindowPrinters
    tasks: TaskRunner
    bridge: EventBridge
    errors: ErrorPresenter

    def allowed(self, action: str, show: Callable[[str], object]) -> bool:
        """True when the logged-in user may do ``action`` (workflows.cashier.login.ACTION_ROLES);
        otherwise the refusal is shown with ``show`` and in the error panel, nothing is sent."""
        try:
            self.services.login.require(*ACTION_ROLES[action])
        except BillingError as exc:
            show(exc.message)
            self.errors.show(exc)
            return False
        return True

    @property
    def operator(self) -> str:
        """Display name of the logged-in user (payee / operator on requests)."""
        user = self.services.login.user
        return user.name if user else ""
