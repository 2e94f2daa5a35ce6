"""The one way to build a terminal: :class:`TerminalConfig` -> :class:`Terminal`.

The cashier window, the headless runtime (:mod:`workflows.terminal.runtime`) and the kiosk next
all start here, so a terminal's link settings, store, SM2 key, receipt printer and issuing
workflow are made the same way everywhere. What differs stays with the caller: the window wraps
the receipt printer in its Qt printers and adds its sessions (:func:`workflows.cashier.services.
window_services`); the runtime takes the data-directory lock first and serves its control socket.
Demo mode and tests swap single parts (an in-process SyncClient, a throw-away key) by calling
:func:`issuing_workflow` with their own parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from billing_core.clock import Clock, SystemClock
from billing_core.crypto.keys import SM2PrivateKey
from billing_core.printjob import PrintJob
from offline_store.db import Database
from workflows.emergency.chain import BillSigner
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import CrashHook, Identity, IssuingWorkflow
from workflows.printing import NoticePrinter
from workflows.sync_client import SyncClient
from workflows.terminal.config import TerminalConfig

#: The keys of ``[link]`` and the SyncClient argument type of each.
LINK_KEYS: dict[str, type] = {"connect_timeout": float, "read_timeout": float, "failure_threshold": int,
                              "open_seconds": float, "max_open_seconds": float}


class ReopeningPrinter:
    """Opens the device before a job when it is closed (a lost connection closes it)."""

    def __init__(self, device: Any) -> None:
        self.device = device

    def print_job(self, job: PrintJob) -> None:
        """Print ``job``, reopening the device first when needed."""
        if not self.device.is_open:
            self.device.open()
        self.device.print_job(job)


def make_receipt_printer(spec: dict[str, Any]) -> Any | None:
    """The receipt printer device of a ``[devices.receipt_printer]`` table through the devices
    registry (``driver = "escpos"`` python-escpos by default, ``"virtual"`` PNG files); None when
    the table is empty. The device is opened lazily by its user."""
    if not spec:
        return None
    from devices.registry import build_device  # drivers import their libraries only when used

    table = dict(spec)
    table.setdefault("driver", "escpos")
    return build_device("receipt_printer", table)


def build_printer(spec: dict[str, Any] | None) -> NoticePrinter | None:
    """The notice printer of a headless terminal: the receipt device, reopened on demand (None:
    no printer; notice jobs wait in the store)."""
    device = make_receipt_printer(spec or {})
    return ReopeningPrinter(device) if device is not None else None


def terminal_key(data_dir: Path, configured: str = "") -> str:
    """The configured SM2 private key, else one generated once and kept in
    ``data_dir/terminal_sm2.key`` (it signs emergency bills; the workflow registers it)."""
    if configured:
        return configured
    path = data_dir / "terminal_sm2.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SM2PrivateKey.generate().d:064x}\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def sync_client(config: TerminalConfig, clock: Clock | None = None) -> SyncClient:
    """The terminal's one HTTP client with one breaker, from ``[server]`` and ``[link]``."""
    link = {name: cast(config.link[name]) for name, cast in LINK_KEYS.items() if name in config.link}
    sync = SyncClient(config.server_urls or [config.server_url], config.appid, config.key, clock=clock,
                      terminal_prefix=config.terminal_prefix, verify=config.ca_file or True, **link)
    if config.operator:
        sync.use_account(config.operator, config.operator_password)
    return sync


def issuing_workflow(sync: SyncClient, db: Database, *, identity: Identity, signer: BillSigner,
                     printer: NoticePrinter | None, clock: Clock, limits: EmergencyLimits | None = None,
                     width_mm: int = 80, upload_batch_size: int = 50,
                     crash_hook: CrashHook | None = None) -> IssuingWorkflow:
    """The issuing workflow over given parts: the one place a terminal's workflow is made."""
    workflow = IssuingWorkflow(sync, db, printer, clock, identity, signer, limits=limits, width_mm=width_mm,
                               crash_hook=crash_hook)
    workflow.uploader.batch_size = max(1, upload_batch_size)
    return workflow


@dataclass(slots=True)
class Terminal:
    """A built terminal: its config, clock, client, store and issuing workflow."""

    config: TerminalConfig
    clock: Clock
    sync: SyncClient
    db: Database
    workflow: IssuingWorkflow

    @property
    def identity(self) -> Identity:
        """Terminal id, billing point, hospital and place name as printed on bills."""
        return self.workflow.identity

    def close(self) -> None:
        """Close the store."""
        self.db.close()


def build_terminal(config: TerminalConfig, *, clock: Clock | None = None,
                   printer: NoticePrinter | None | Literal["config"] = "config",
                   crash_hook: CrashHook | None = None) -> Terminal:
    """Build a terminal from its config (does I/O: opens the store, may write the SM2 key).

    :param printer: the notice printer; ``"config"`` (default) builds it from
        ``config.receipt_printer``; the window passes its own printers, which wrap the same device.
    :param crash_hook: fault injection of the headless runtime (tests).
    """
    clock = clock or SystemClock()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    sync = sync_client(config, clock)
    db = Database(config.db_path)
    identity = Identity(config.terminal, config.place_code, config.hospital, config.place_name)
    notice_printer = build_printer(config.receipt_printer) if isinstance(printer, str) else printer
    workflow = issuing_workflow(
        sync, db, identity=identity, signer=BillSigner(terminal_key(config.data_dir, config.private_key)),
        printer=notice_printer, clock=clock, limits=config.limits, width_mm=config.printer_width_mm,
        upload_batch_size=config.upload_batch_size, crash_hook=crash_hook)
    return Terminal(config, clock, sync, db, workflow)
