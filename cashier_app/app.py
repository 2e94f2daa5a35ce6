"""Composition root: TerminalConfig -> the one terminal builder -> window services -> printers.

Three ways to start (``python -m cashier_app --help``):

* ``--config FILE``: a real window against the sync server of the TOML (users log in with the
  server's accounts through its terminal ``login`` method) — :func:`build_from_config`;
* ``--demo --server-url URL --server-data-dir DIR``: against a running sync server whose first start
  wrote ``DIR/demo.json`` (run command) — :func:`cashier_app.demo.build_demo`;
* ``--demo`` alone: everything in process (the demo platform behind the SyncClient), no server.

Every mode issues through ``workflows.issuing.IssuingWorkflow`` with the terminal store at
``data_dir/terminal.db``. The config (:class:`workflows.terminal.config.TerminalConfig`) and the
builder (:func:`workflows.terminal.builder.build_terminal`) are the headless runtime's too; this
module only adds the Qt glue: the window's printers (QPainter paper bills, previews).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cashier_app.printers import WindowPrinters
from workflows.cashier.card_fill import CardFill
from workflows.cashier.login import ServerDirectory
from workflows.cashier.services import CashierServices, window_services
from workflows.catalog import server_catalog
from workflows.server_api import ServerApi
from workflows.terminal.builder import build_terminal, make_receipt_printer
from workflows.terminal.config import TerminalConfig


def make_bill_printer(spec: dict[str, Any]) -> Any | None:
    """The bill printer of a ``[devices.bill_printer]`` table with a ``driver`` (``qprinter``: a CUPS /
    Windows queue by ``printer_name``, calibrated by ``offset_x_mm`` / ``offset_y_mm``) through the
    devices registry; None without one (paper bills go to PDF). Opened lazily by its user."""
    if not spec.get("driver"):
        return None
    from devices.registry import build_device  # drivers import their libraries only when used

    return build_device("bill_printer", spec)


def make_card_readers(tables: dict[str, dict[str, Any]], clock: Any = None) -> CardFill:
    """The window's card readers (``[devices.ssc_reader]``: ``driver = "pcsc"`` on pcscd;
    ``[devices.id_reader]``: ``driver = "sam_serial"``) through the devices registry."""
    from devices.registry import build_device

    return CardFill(*(build_device(role, tables[role]) if tables.get(role) else None
                      for role in ("ssc_reader", "id_reader")), clock=clock)


@dataclass(slots=True)
class Started:
    """What ``build_*`` returns: the services, the printers and (demo) who to log in as."""

    services: CashierServices
    printers: WindowPrinters
    auto_login: tuple[str, str] | None = None
    platform: Any = None


def build_from_config(cfg: TerminalConfig) -> Started:
    """A real window: server accounts, server catalog, issuing through the IssuingWorkflow with its
    journal in ``data_dir/terminal.db``. ``[emergency] enabled = false``: no emergency stock is
    ever requested, so an outage refuses to issue (E8201) rather than print unreserved numbers.
    Does I/O (store, key, catalog download): call it off the GUI thread."""
    receipt = make_receipt_printer(cfg.receipt_printer)
    printers = WindowPrinters(receipt, cfg.bill_pdf_dir or cfg.data_dir / "paper", cfg.hospital, cfg.place_name,
                              bill=make_bill_printer(cfg.bill_printer))
    # The window's printers wrap the receipt device so notices and paper share one status line.
    terminal = build_terminal(cfg, printer=printers if receipt else None)
    api = ServerApi(terminal.sync)
    services = window_services(terminal, directory=ServerDirectory(api), catalog=server_catalog(api, terminal.db))
    services.cards = make_card_readers(cfg.card_readers, terminal.clock)
    return Started(services, printers)
