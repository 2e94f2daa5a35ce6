"""Composition root: config -> API client -> services -> printers -> window (Electrum style).

Three ways to start (``python -m cashier_app --help``):

* ``--config FILE``: a real window against the sync server of the TOML (users log in with the
  server's accounts through its terminal ``login`` method);
* ``--demo --server-url URL --server-data-dir DIR``: against a running sync server whose first start
  wrote ``DIR/demo.json`` (the terminal caller and demo users are taken from it; run command);
* ``--demo`` alone: everything in process (demo platform, demo emergency block), no server needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashier_app.config import CashierConfig
from cashier_app.printers import WindowPrinters
from workflows.cashier.api import HttpHisApi
from workflows.cashier.catalog import Catalog, demo_catalog
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.login import ServerDirectory
from workflows.cashier.services import DEMO_PASSWORD, CashierServices, build_services, demo_services


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
    """A real window: server accounts, server catalog, and issue 7's emergency engine (stock from
    the server, journal in ``data_dir/terminal.db``) unless ``[emergency] enabled = false`` — then
    an outage refuses to issue (E5880) rather than print numbers nobody reserved."""
    api = HttpHisApi(cfg.his_url, cfg.appid, cfg.key)
    terminal = HttpHisApi(cfg.server_url.rstrip("/") + "/terminal/api", cfg.appid, cfg.key)
    window = WindowConfig(cfg.place_code, cfg.place_name, cfg.hospital, cfg.terminal_id)
    data = Path(cfg.data_dir or ".")
    receipt = make_receipt_printer(cfg.receipt_printer)
    emergency, maintain = None, None
    if cfg.emergency:
        from cashier_app.engine import build_engine, terminal_key
        from workflows.emergency.issuer import Identity

        emergency, maintain = build_engine(
            server_url=cfg.server_url, appid=cfg.appid, key=cfg.key, data_dir=data,
            identity=Identity(cfg.terminal_id, cfg.place_code, cfg.hospital, cfg.place_name),
            private_key=terminal_key(data, cfg.private_key), printer=receipt, top_up=cfg.stock_top_up)
    services = build_services(
        window=window, api=api, directory=ServerDirectory(terminal), catalog=server_catalog(terminal),
        paper_batch_code=cfg.paper_batch_code, ledger_path=data / f"cashier_{cfg.terminal_id}.jsonl",
        emergency=emergency, idle_seconds=cfg.idle_seconds)
    services.link.on_online = maintain
    printers = WindowPrinters(receipt, cfg.bill_pdf_dir or data / "paper", cfg.hospital, cfg.place_name)
    return Started(services, printers)


def server_catalog(terminal: HttpHisApi) -> Catalog:
    """Pay channels from the server's ``catalog`` method; the charge items of the demo catalog until
    the server's catalog carries them (the server answers billing points and code lists today)."""
    base = demo_catalog()
    try:
        ans = terminal.call("catalog", {})
    except Exception:  # the window still starts offline; the demo list keeps entry usable
        return base
    remote = Catalog.from_server(ans if isinstance(ans, dict) else {})
    order = ["02", "01", "05", "04", "03", "11"]  # cash first: the most common at a window
    chans = sorted((c for c in remote.channels if c.code in order), key=lambda c: order.index(c.code))
    return Catalog(remote.items or base.items, chans or base.channels)


def build_demo(data_dir: str | Path, *, server_url: str = "", server_data_dir: str = "",
               printer: str = "", idle_seconds: float = 300.0) -> Started:
    """The demo window: in process, or against a running sync server's demo accounts."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    # Demo default: the virtual receipt printer (devices.virtual), one PNG per notice in data/prints.
    pspec = printer_spec(printer) if printer else printer_spec(f"dir:{data / 'prints'}")
    if not server_url:
        services, platform = demo_services(data / "ledger.jsonl", idle_seconds=idle_seconds)
        printers = WindowPrinters(make_receipt_printer(pspec), data / "paper", services.window.hospital,
                                  services.window.place_name)
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
