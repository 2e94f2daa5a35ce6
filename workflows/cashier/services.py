"""The cashier window's services wired together (built once by the app's composition root).

:func:`build_services` takes the parts that differ between a real window and the demo — the HIS
interface, the user directory, the emergency engine, the catalog — and returns one object the GUI
receives by constructor (no global app object, STYLE §2 "don't copy aqt.mw").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billing_core.clock import Clock, SystemClock
from workflows.cashier.api import HisApi
from workflows.cashier.catalog import Catalog, demo_catalog
from workflows.cashier.demo_platform import DemoPlatform
from workflows.cashier.emergency import DemoEmergency, EmergencyIssuer
from workflows.cashier.events import Events
from workflows.cashier.issuing import IssueService, WindowConfig
from workflows.cashier.link import LinkMonitor
from workflows.cashier.login import Directory, LoginSession, demo_directory
from workflows.cashier.paper import PaperService
from workflows.cashier.records import Ledger
from workflows.cashier.writeoff import WriteOffService

DEMO_PASSWORD = "demo-1234"


@dataclass(slots=True)
class CashierServices:
    """Everything the cashier GUI calls into."""

    window: WindowConfig
    api: HisApi
    catalog: Catalog
    events: Events
    ledger: Ledger
    login: LoginSession
    issuing: IssueService
    paper: PaperService
    writeoff: WriteOffService
    link: LinkMonitor
    clock: Clock


def build_services(*, window: WindowConfig, api: HisApi, directory: Directory, catalog: Catalog,
                   paper_batch_code: str, ledger_path: str | Path | None = None,
                   emergency: EmergencyIssuer | None = None, idle_seconds: float = 300.0,
                   clock: Clock | None = None) -> CashierServices:
    """Wire the services of one window."""
    clock = clock or SystemClock()
    events = Events()
    ledger = Ledger(ledger_path)
    issuing = IssueService(api, ledger, window, events, emergency, clock)
    paper = PaperService(api, ledger, window.place_code, paper_batch_code, events, clock)
    return CashierServices(
        window=window, api=api, catalog=catalog, events=events, ledger=ledger,
        login=LoginSession(directory, idle_seconds, clock), issuing=issuing, paper=paper,
        writeoff=WriteOffService(api, ledger, paper, window.place_code, events, clock),
        link=LinkMonitor(api, issuing), clock=clock)


def demo_services(ledger_path: str | Path | None = None, clock: Clock | None = None,
                  idle_seconds: float = 300.0) -> tuple[CashierServices, DemoPlatform]:
    """A complete demo window over the in-process demo platform (users' password: DEMO_PASSWORD)."""
    platform = DemoPlatform(clock)
    services = build_services(
        window=WindowConfig("001", "门诊收费一号窗口", "演示市人民医院", "T01"), api=platform,
        directory=demo_directory(DEMO_PASSWORD), catalog=demo_catalog(),
        paper_batch_code=platform.paper_batch_code, ledger_path=ledger_path,
        emergency=DemoEmergency(clock=clock), idle_seconds=idle_seconds, clock=clock)
    return services, platform
