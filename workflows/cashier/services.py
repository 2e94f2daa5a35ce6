"""The cashier window's services wired together (built once by the app's composition root).

:func:`build_services` takes the parts that differ between a real window and the demo — the
terminal's SyncClient, its offline_store, the user directory, the catalog, the receipt printer —
and returns one object the GUI receives by constructor (no global app object, STYLE §2 "don't
copy aqt.mw"). There is one issuing path (:class:`workflows.issuing.IssuingWorkflow`), one
record of bills (the terminal store) and one HTTP client with one breaker (the SyncClient).

A configured window is built by :func:`window_services` over the one terminal builder
(:func:`workflows.terminal.builder.build_terminal`); :func:`build_services` takes the parts one
by one for demo mode (:mod:`workflows.demo.cashier`) and tests that bring their own client.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from billing_core.clock import Clock, SystemClock
from offline_store.db import Database
from workflows.cashier.card_fill import CardFill
from workflows.cashier.issuing import IssueService, WindowConfig
from workflows.cashier.login import Directory, LoginSession, User
from workflows.catalog import Catalog
from workflows.emergency.chain import BillSigner
from workflows.emergency.issuer import Identity
from workflows.emergency.limits import EmergencyLimits
from workflows.events import Events
from workflows.hospital_bills import HospitalBills
from workflows.issuing import IssuingWorkflow
from workflows.link_monitor import LinkMonitor
from workflows.paper import PaperService
from workflows.printing import NoticePrinter
from workflows.records import BillBook
from workflows.server_api import ServerApi
from workflows.sync_client import SyncClient
from workflows.terminal.builder import Terminal, issuing_workflow
from workflows.writeoff import WriteOffService


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
    #: any bill of the hospital, found through the server (issue 18 §1)
    hospital: HospitalBills
    #: the card readers that fill the payer fields (issue 18 §1); none configured: empty
    cards: CardFill = field(default_factory=CardFill)

    def close(self) -> None:
        """Stop relaying link events and close the store."""
        self.link.close()
        self.workflow.db.close()


def build_services(*, window: WindowConfig, sync: SyncClient, db: Database, directory: Directory,
                   catalog: Catalog, paper_batch_code: str, signer: BillSigner,
                   printer: NoticePrinter | None = None, limits: EmergencyLimits | None = None,
                   top_up: int = 50, idle_seconds: float = 300.0, clock: Clock | None = None) -> CashierServices:
    """Wire the services of one window from single parts (does I/O: opens the store's window schema)."""
    clock = clock or SystemClock()
    identity = Identity(window.terminal_id, window.place_code, window.hospital, window.place_name)
    workflow = issuing_workflow(sync, db, identity=identity, signer=signer, printer=printer, clock=clock,
                                limits=limits)
    return _wire(window, workflow, directory, catalog, paper_batch_code, top_up, idle_seconds, clock)


def window_services(terminal: Terminal, *, directory: Directory, catalog: Catalog) -> CashierServices:
    """The window's services over a terminal built from its config (the cashier app's path)."""
    cfg = terminal.config
    # Emergency bills carry the terminal id; the server accepts them only as the caller's own appid.
    window = WindowConfig(cfg.place_code, cfg.place_name, cfg.hospital, cfg.terminal)
    return _wire(window, terminal.workflow, directory, catalog, cfg.paper_batch_code, cfg.top_up,
                 cfg.idle_seconds, terminal.clock)


def _send_as(sync: SyncClient, user: User | None) -> None:
    """From now on requests carry this user's server session (nobody: the terminal acts as itself)."""
    if user is None:
        sync.set_user("", "")
    else:
        sync.set_user(user.user_id, user.token)


def _wire(window: WindowConfig, workflow: IssuingWorkflow, directory: Directory, catalog: Catalog,
          paper_batch_code: str, top_up: int, idle_seconds: float, clock: Clock) -> CashierServices:
    sync = workflow.sync
    events = Events()
    api = ServerApi(sync)
    bills = BillBook(workflow.db, clock)
    issuing = IssueService(workflow, bills, window, events, clock)
    paper = PaperService(api, bills, window.place_code, paper_batch_code, events, clock)
    return CashierServices(
        window=window, sync=sync, api=api, workflow=workflow, catalog=catalog, events=events, bills=bills,
        login=LoginSession(directory, idle_seconds, clock, on_user=lambda user: _send_as(sync, user)),
        issuing=issuing, paper=paper,
        writeoff=WriteOffService(api, bills, paper, window.place_code, events, clock, workflow=workflow),
        link=LinkMonitor(workflow, events, top_up=top_up, operator=window.terminal_id), clock=clock,
        hospital=HospitalBills(api, bills))
