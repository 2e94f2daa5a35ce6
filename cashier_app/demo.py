"""The cashier app's demo entry point (``--demo``): the only product module that uses the fakes of
:mod:`workflows.demo` (an import-linter contract keeps the others away from them)."""

from __future__ import annotations

from pathlib import Path

from cashier_app.app import Started, build_from_config
from cashier_app.printers import WindowPrinters
from workflows.demo.cashier import DEMO_WINDOW, demo_services
from workflows.demo.server import demo_server_config
from workflows.demo.users import DEMO_PASSWORD
from workflows.terminal.builder import make_receipt_printer
from workflows.terminal.config import printer_spec

__all__ = ["DEMO_PASSWORD", "build_demo"]


def build_demo(data_dir: str | Path, *, server_url: str = "", server_data_dir: str = "",
               printer: str = "", idle_seconds: float = 300.0) -> Started:
    """The demo window: in process, or against a running sync server's demo accounts."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    # Demo default: the virtual receipt printer (devices.virtual), one PNG per notice in data/prints.
    pspec = printer_spec(printer) if printer else printer_spec(f"dir:{data / 'prints'}")
    if not server_url:
        printers = WindowPrinters(make_receipt_printer(pspec), data / "paper", DEMO_WINDOW.hospital,
                                  DEMO_WINDOW.place_name)
        services, platform = demo_services(data, idle_seconds=idle_seconds, printer=printers)
        return Started(services, printers, ("sf01", DEMO_PASSWORD), platform)
    cfg, login = demo_server_config(server_url, server_data_dir, data, receipt_printer=pspec,
                                    idle_seconds=idle_seconds)
    started = build_from_config(cfg)
    started.auto_login = login
    return started
