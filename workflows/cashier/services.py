"""The cashier window's services wired together (built once by the app's composition root).

:func:`build_services` takes the parts that differ between a real window and the demo — the
terminal's SyncClient, its offline_store, the user directory, the catalog, the receipt printer —
and returns one object the GUI receives by constructor (no global app object, STYLE §2 "don't
copy aqt.mw"). There is one issuing path (:class:`workflows.issuing.IssuingWorkflow`), one
record of bills (the terminal store) and one HTTP client with one breaker (the SyncClient).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from billing_core.clock import Clock, SystemClock
from billing_core.crypto.keys import SM2PrivateKey
from offline_store.db import Database
from workflows.cashier.api import ServerApi
from workflows.cashier.catalog import Catalog, demo_catalog
from workflows.cashier.demo_link import DemoSyncClient
from workflows.cashier.demo_platform import DemoPlatform
from workflows.cashier.events import Events
from workflows.cashier.issuing import IssueService, WindowConfig
from workflows.cashier.link import LinkMonitor
from workflows.cashier.login import Directory, LoginSession, demo_directory
from workflows.cashier.paper import PaperService
from workflows.cashier.records import BillBook
from workflows.cashier.writeoff import WriteOffService
from workflows.emergency.chain import BillSigner
from workflows.emergency.issuer import Identity
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import IssuingWorkflow
from workflows.printing import NoticePrinter
from workflows.sync_client import SyncClient

DEMO_PASSWORD = "demo-1234"


@dataclass(slots=True)
class CashierServices:
    """Everything the cashier GUI calls into."""

    window: WindowConfig
    sync: SyncClient
    api: ServerApi
    workflow: IssuingWorkflow
    catalog: Catalog
    events: Events
    bills: BillBook
    login: LoginSession
    issuing: IssueService
    paper: PaperService
    writeoff: WriteOffService
    link: LinkMonitor
    clock: Clock

    def close(self) -> None:
        """Stop relaying link events and close the store."""
        self.link.close()
        self.workflow.db.close()


def build_services(*, window: WindowConfig, sync: SyncClient, db: Database, directory: Directory,
                   catalog: Catalog, paper_batch_code: str, signer: BillSigner,
                   printer: NoticePrinter | None = None, limits: EmergencyLimits | None = None,
                   top_up: int = 50, idle_seconds: float = 300.0, clock: Clock | None = None) -> CashierServices:
    """Wire the services of one window (does I/O: opens the store's window schema)."""
    clock = clock or SystemClock()
    events = Events()
    identity = Identity(window.terminal_id, window.place_code, window.hospital, window.place_name)
    workflow = IssuingWorkflow(sync, db, printer, clock, identity, signer, limits=limits)
    api = ServerApi(sync)
    bills = BillBook(db, clock)
    issuing = IssueService(workflow, bills, window, events, clock)
    paper = PaperService(api, bills, window.place_code, paper_batch_code, events, clock)
    return CashierServices(
        window=window, sync=sync, api=api, workflow=workflow, catalog=catalog, events=events, bills=bills,
        login=LoginSession(directory, idle_seconds, clock, on_user=lambda uid: setattr(sync, "operator", uid)),
        issuing=issuing, paper=paper,
        writeoff=WriteOffService(api, bills, paper, window.place_code, events, clock, workflow=workflow),
        link=LinkMonitor(workflow, events, top_up=top_up, operator=window.terminal_id), clock=clock)


def demo_services(data_dir: str | Path | None = None, clock: Clock | None = None, idle_seconds: float = 300.0,
                  printer: NoticePrinter | None = None,
                  stock: int = 50) -> tuple[CashierServices, DemoPlatform]:
    """A complete demo window over the in-process demo platform (users' password: DEMO_PASSWORD).

    The store is ``data_dir/terminal.db`` (memory when None); ``stock`` emergency numbers are taken
    from the demo platform at once, as the first maintain round of a real window would.
    Does I/O: call it off the GUI thread.
    """
    platform = DemoPlatform(clock)
    sync = DemoSyncClient(platform, clock=clock)
    db = Database(Path(data_dir) / "terminal.db" if data_dir else ":memory:")
    services = build_services(
        window=WindowConfig("001", "门诊收费一号窗口", "演示市人民医院", "T01"), sync=sync, db=db,
        directory=demo_directory(DEMO_PASSWORD), catalog=demo_catalog(),
        paper_batch_code=platform.paper_batch_code, signer=BillSigner(SM2PrivateKey.generate()),
        printer=printer, top_up=stock, idle_seconds=idle_seconds, clock=clock)
    if stock:
        services.workflow.request_stock(stock, "T01")
    return services, platform
