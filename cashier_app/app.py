"""Composition root: config -> SyncClient + offline_store -> services -> printers -> window.

Three ways to start (``python -m cashier_app --help``):

* ``--config FILE``: a real window against the sync server of the TOML (users log in with the
  server's accounts through its terminal ``login`` method);
* ``--demo --server-url URL --server-data-dir DIR``: against a running sync server whose first start
  wrote ``DIR/demo.json`` (the terminal caller and demo users are taken from it; run command);
* ``--demo`` alone: everything in process (the demo platform behind the SyncClient), no server.

Every mode issues through ``workflows.issuing.IssuingWorkflow`` with the terminal store at
``data_dir/terminal.db`` (bills, emergency journal, print jobs, the window's marks).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError
from cashier_app.config import CashierConfig
from cashier_app.engine import terminal_key
from cashier_app.printers import WindowPrinters
from offline_store import catalog
from offline_store.db import Database
from workflows.cashier.api import ServerApi
from workflows.cashier.catalog import Catalog
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.login import ServerDirectory
from workflows.cashier.services import DEMO_PASSWORD, CashierServices, build_services, demo_services
from workflows.emergency.chain import BillSigner
from workflows.sync_client import SyncClient


@dataclass(slots=True)
class Started:
    """What ``build_*`` returns: the services, the printers and (demo) who to log in as."""

    services: CashierServices
    printers: WindowPrinters
    auto_login: tuple[str, str] | None = None
    platform: Any = None


def make_receipt_printer(spec: dict[str, Any]) -> Any | None:
    """The receipt printer of ``[devices.receipt_printer]`` through the devices registry
    (``driver = "escpos"`` python-escpos, ``"virtual"`` PNG files for demos); None when absent."""
    if not spec:
        return None
    from devices.registry import build_device

    table = dict(spec)
    table.setdefault("driver", "escpos")
    return build_device("receipt_printer", table)


def printer_spec(url: str) -> dict[str, Any]:
    """``tcp://host:port``, ``file:/path`` (raw ESC/POS bytes) or ``dir:/path`` (virtual printer:
    one PNG per receipt) -> a receipt printer spec."""
    if url.startswith("tcp://"):
        host, _, port = url[6:].partition(":")
        return {"driver": "escpos", "transport": "network", "host": host, "port": int(port or 9100),
                "status_query": True}
    if url.startswith("file:"):
        return {"driver": "escpos", "transport": "file", "device": url[5:], "status_query": False}
    if url.startswith("dir:"):
        return {"driver": "virtual", "out_dir": url[4:]}
    raise ValueError(f"unknown printer url {url!r}")


def build_from_config(cfg: CashierConfig) -> Started:
    """A real window: server accounts, server catalog, issuing through the IssuingWorkflow with its
    journal in ``data_dir/terminal.db``. ``[emergency] enabled = false``: no emergency stock is
    ever requested, so an outage refuses to issue (E8201) rather than print unreserved numbers."""
    data = Path(cfg.data_dir or ".")
    # Emergency bills carry the terminal id; the server accepts them only as the caller's own appid.
    window = WindowConfig(cfg.place_code, cfg.place_name, cfg.hospital, cfg.terminal_id or cfg.appid)
    # One HTTP client with one breaker for issuing, paper, write-off, queries and login. A cashier
    # wants the drop shown at once: the first link failure opens the breaker (issue 8 §5).
    sync = SyncClient(cfg.server_url, cfg.appid, cfg.key, failure_threshold=1)
    receipt = make_receipt_printer(cfg.receipt_printer)
    printers = WindowPrinters(receipt, cfg.bill_pdf_dir or data / "paper", cfg.hospital, cfg.place_name)
    api = ServerApi(sync)
    db = Database(data / "terminal.db")
    services = build_services(
        window=window, sync=sync, db=db, directory=ServerDirectory(api),
        catalog=server_catalog(api, db), paper_batch_code=cfg.paper_batch_code,
        signer=BillSigner(terminal_key(data, cfg.private_key)), printer=printers if receipt else None,
        limits=cfg.limits, top_up=cfg.stock_top_up if cfg.emergency else 0, idle_seconds=cfg.idle_seconds)
    return Started(services, printers)


def server_catalog(api: ServerApi, db: Database, clock: Clock | None = None) -> Catalog:
    """The window's catalog (收费项目目录 + pay channels): downloaded from the server's ``catalog``
    and cached in the terminal store (应急开票基础信息), so a window that starts while the server is
    unreachable offers the catalog it last downloaded. Empty only before the first download."""
    try:
        ans = api.terminal(methods.TERMINAL_CATALOG, {})
    except BillingError:
        ans = None
    if isinstance(ans, dict):
        at = ts17((clock or SystemClock()).now())
        catalog.replace_kind(db, "charge_item", ans.get("chargeItems") or [], at, "chargeCode", "chargeName")
        catalog.replace_kind(db, "pay_channel", ans.get("payChannels") or [], at)
    remote = Catalog.from_server({"chargeItems": catalog.items(db, "charge_item"),
                                  "payChannels": catalog.items(db, "pay_channel")})
    order = ["02", "01", "05", "04", "03", "11"]  # cash first: the most common at a window
    chans = sorted((c for c in remote.channels if c.code in order), key=lambda c: order.index(c.code))
    return Catalog(remote.items, chans)


def build_demo(data_dir: str | Path, *, server_url: str = "", server_data_dir: str = "",
               printer: str = "", idle_seconds: float = 300.0) -> Started:
    """The demo window: in process, or against a running sync server's demo accounts."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    # Demo default: the virtual receipt printer (devices.virtual), one PNG per notice in data/prints.
    pspec = printer_spec(printer) if printer else printer_spec(f"dir:{data / 'prints'}")
    if not server_url:
        printers = WindowPrinters(make_receipt_printer(pspec), data / "paper", "演示市人民医院", "门诊收费一号窗口")
        services, platform = demo_services(data, idle_seconds=idle_seconds, printer=printers)
        return Started(services, printers, ("sf01", DEMO_PASSWORD), platform)
    demo = json.loads((Path(server_data_dir) / "demo.json").read_text(encoding="utf-8"))
    term = next((c for c in demo["callers"] if c.get("kind") == "terminal"), demo["callers"][0])
    user = next((u for u in demo.get("users", []) if u.get("role") == "cashier"), demo["users"][0])
    place = (term.get("placeCodes") or demo.get("placeCodes") or ["001"])[0]
    cfg = CashierConfig(server_url=server_url, appid=term["appid"], key=term["key"], place_code=place,
                        idle_seconds=idle_seconds, receipt_printer=pspec, bill_pdf_dir=str(data / "paper"),
                        data_dir=str(data))
    started = build_from_config(cfg)
    started.auto_login = (user["username"], user["password"])
    return started
