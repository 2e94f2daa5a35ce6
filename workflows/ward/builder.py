"""Build a nurse station from the one terminal config: :func:`build_ward`.

The terminal part (store, SM2 key, IssuingWorkflow with online issuing + emergency fallback)
comes from :func:`workflows.terminal.builder.build_terminal`; this adds the HIS client ([his]),
the payment session ([payment]), the kiosk's Checkout as the money path, and the desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError
from workflows.events import Events
from workflows.his import HisClient
from workflows.insurance.client import InsuranceApi
from workflows.kiosk.checkout import Checkout
from workflows.server_api import ServerApi
from workflows.terminal.builder import ReopeningPrinter, Terminal, build_terminal
from workflows.terminal.config import TerminalConfig
from workflows.ward.desk import WardDesk
from workflows.ward.errors import WardConfigError, WardError
from workflows.ward.insured import WardInsurance
from workflows.ward.reports import WardReports
from workflows.ward.settings import WardSettings


@dataclass
class Ward:
    """A built nurse station."""

    terminal: Terminal
    his: HisClient
    desk: WardDesk
    settings: WardSettings
    events: Events
    reports: WardReports
    insurance: WardInsurance

    def login(self, username: str, password: str) -> None:
        """Open the nurse's server session (the ward caller kind is staffed: issuing needs it);
        a session that ends later is reopened on the next refused request.

        :raises WardError: E3800 the server refused the login (its code and message)."""
        sync = self.terminal.sync
        sync.use_account(username, password)
        try:
            ans = sync.login(username, password)
        except BillingError:
            return  # offline: the session opens with the first request after the link is back
        if not ans.ok or not isinstance(ans.message, Mapping) or not ans.message.get("sessionToken"):
            raise WardError(f"登录失败：{ans.result} {ans.message if isinstance(ans.message, str) else ''}")
        sync.set_user(username, str(ans.message["sessionToken"]))

    def maintain(self) -> dict[str, Any]:
        """One background round: heartbeat, emergency uploads and stock top-up, then finish what
        an outage left (orders pushed to the HIS, reversals, refunds)."""
        done = self.terminal.workflow.maintain(top_up=self.terminal.config.top_up, operator="ward")
        done["resumed"] = self.desk.resume()
        done["vouchers"] = self.insurance.resume()
        return done

    def close(self) -> None:
        """Close the HIS connections and the store."""
        self.his.close()
        self.terminal.close()


def build_ward(config: TerminalConfig, settings: WardSettings, *, receipt_printer: Any | None = None,
               events: Events | None = None, clock: Clock | None = None) -> Ward:
    """Build a nurse station (does I/O: opens the store). ``config.his`` and ``config.payment``
    must be set. :raises WardConfigError: E3802."""
    if config.his is None:
        raise WardConfigError("终端配置缺少[his]（HIS接口地址与密钥）")
    if config.payment is None:
        raise WardConfigError("终端配置缺少[payment]（护士站扫码收费需要统一支付平台）")
    clock = clock or SystemClock()
    events = events or Events()
    terminal = build_terminal(config, clock=clock,
                              printer=ReopeningPrinter(receipt_printer) if receipt_printer is not None else None)
    his = config.his.client()
    session = config.payment.session(events, clock)
    checkout = Checkout(db=terminal.db, his=his, payments=session, workflow=terminal.workflow,
                        receipt_printer=receipt_printer, events=events, clock=clock,
                        qr_channel=config.payment.channel, width_mm=config.printer_width_mm)
    desk = WardDesk(his=his, checkout=checkout, payments=session, settings=settings, db=terminal.db, clock=clock,
                    api=ServerApi(terminal.sync))
    insurance = WardInsurance(InsuranceApi(terminal.sync), desk, settings.insurance_codes, settings.admdvs)
    return Ward(terminal, his, desk, settings, events, WardReports(desk), insurance)
