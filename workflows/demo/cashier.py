"""A complete demo cashier window over the in-process demo platform (demo mode and tests)."""

from __future__ import annotations

from pathlib import Path

from billing_core.clock import Clock
from billing_core.crypto.keys import SM2PrivateKey
from offline_store.db import Database
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.services import CashierServices, build_services
from workflows.demo.catalog import demo_catalog
from workflows.demo.link import DemoSyncClient
from workflows.demo.platform import DemoPlatform
from workflows.demo.users import DEMO_PASSWORD, demo_directory
from workflows.emergency.chain import BillSigner
from workflows.printing import NoticePrinter

#: The demo window's billing point, as printed on its bills.
DEMO_WINDOW = WindowConfig("001", "门诊收费一号窗口", "演示市人民医院", "T01")


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
    # A throw-away SM2 key: demo bills are never carried forward to a real platform.
    services = build_services(
        window=DEMO_WINDOW, sync=sync, db=db, directory=demo_directory(DEMO_PASSWORD), catalog=demo_catalog(),
        paper_batch_code=platform.paper_batch_code, signer=BillSigner(SM2PrivateKey.generate()),
        printer=printer, top_up=stock, idle_seconds=idle_seconds, clock=clock)
    if stock:
        services.workflow.request_stock(stock, DEMO_WINDOW.terminal_id)
    return services, platform
