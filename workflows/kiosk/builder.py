"""Build a kiosk from the one terminal config: :func:`build_kiosk`.

The terminal part (store, SM2 key, IssuingWorkflow with online issuing + emergency fallback +
outbox) comes from :func:`workflows.terminal.builder.build_terminal`; this adds the HIS client
([his]), the payment client ([payment]), the devices, the kiosk store table, the checkout and the
session ([kiosk]).
"""

from __future__ import annotations

from billing_core.clock import Clock, SystemClock
from devices.registry import DeviceSet
from workflows.events import Events
from workflows.insurance.client import InsuranceApi
from workflows.insurance.flow import InsuredFlow
from workflows.kiosk.checkout import Checkout
from workflows.kiosk.context import KioskContext
from workflows.kiosk.errors import KioskConfigError
from workflows.kiosk.insured import KioskInsurance
from workflows.kiosk.kiosk import Kiosk
from workflows.kiosk.session import KioskSession
from workflows.paper import PaperService
from workflows.records import BillBook
from workflows.server_api import ServerApi
from workflows.terminal.builder import ReopeningPrinter, build_terminal
from workflows.terminal.config import TerminalConfig
from workflows.writeoff import WriteOffService


def build_kiosk(config: TerminalConfig, devices: DeviceSet, events: Events | None = None, *,
                clock: Clock | None = None) -> Kiosk:
    """Build a kiosk (does I/O: opens the store). ``config.his`` and ``config.kiosk`` must be set;
    ``config.payment`` None means prepayment-account payments only.

    :param devices: the kiosk's devices by role (``ssc_reader``, ``id_reader``, ``scanner``,
        ``camera``, ``receipt_printer``, ``bill_printer``); a missing role disables its functions.
        The notices print on the same receipt printer.
    :raises KioskConfigError: E3920 when [his] or [kiosk] is missing.
    """
    if config.his is None:
        raise KioskConfigError("终端配置缺少[his]（HIS接口地址与密钥）")
    if config.kiosk is None:
        raise KioskConfigError("终端配置缺少[kiosk]")
    clock = clock or SystemClock()
    events = events or Events()
    receipt = devices.by_role("receipt_printer") if devices is not None else None
    terminal = build_terminal(config, clock=clock, printer=ReopeningPrinter(receipt) if receipt is not None else None)
    his = config.his.client()
    payments = config.payment.client(clock) if config.payment is not None else None
    pay_session = config.payment.session(events, clock) if config.payment is not None else None
    kiosk = Kiosk(terminal=terminal, his=his, payments=payments, devices=devices, events=events,
                  settings=config.kiosk, clock=clock)
    kiosk.checkout = Checkout(db=terminal.db, his=his, payments=pay_session, workflow=terminal.workflow,
                              receipt_printer=receipt, events=events, clock=clock,
                              cash_enabled=config.kiosk.cash_enabled,
                              qr_channel=config.payment.channel if config.payment else "aggregate",
                              width_mm=config.printer_width_mm, fault=kiosk.report_fault)
    api = ServerApi(terminal.sync)
    bills = BillBook(terminal.db, clock)
    paper = PaperService(api, bills, config.place_code, config.paper_batch_code, events, clock)
    writeoff = WriteOffService(api, bills, paper, config.place_code, events, clock, workflow=terminal.workflow)
    flow = InsuredFlow(InsuranceApi(terminal.sync), terminal.db, terminal.workflow, api, desk="kiosk",
                       terminal_id=config.appid, place_code=config.place_code, operator=config.appid, clock=clock)
    kiosk.insurance = KioskInsurance(flow, his, terminal.workflow, payments=pay_session,
                                     resume_payments=kiosk.checkout.resume_payments,
                                     codes=dict(config.kiosk.insurance_codes), receipt_printer=receipt,
                                     width_mm=config.printer_width_mm, fault=kiosk.report_fault)
    kiosk.session = KioskSession(KioskContext(his=his, payments=payments, devices=devices, checkout=kiosk.checkout,
                                              workflow=terminal.workflow, db=terminal.db, settings=kiosk.settings,
                                              events=events, clock=clock, availability=kiosk.availability,
                                              receipt_printer=receipt, width_mm=config.printer_width_mm,
                                              bills=bills, paper=paper, writeoff=writeoff,
                                              insurance=kiosk.insurance))
    return kiosk
