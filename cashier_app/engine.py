"""The real emergency engine for the window: workflows.IssuingWorkflow behind the cashier seam.

Issue 7's engine (offline_store journal, SM2-signed SM3-chained emergency bills, limits, stock
blocks handed out by the sync server, upload) fills ``workflows.cashier.emergency.EmergencyIssuer``
through ``workflows.emergency.cashier_seam.WorkflowEmergency``. The window keeps its own online
path; only when the server cannot be reached does a bill go to this engine. While online the
window's link probe runs the engine's ``maintain`` round (heartbeat, key registration, uploads,
stock top-up) off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from billing_core.clock import Clock, SystemClock
from billing_core.crypto.keys import SM2PrivateKey
from offline_store.db import Database
from workflows.emergency.cashier_seam import WorkflowEmergency
from workflows.emergency.chain import BillSigner
from workflows.emergency.issuer import Identity
from workflows.issuing import IssuingWorkflow
from workflows.sync_client import SyncClient


def terminal_key(data_dir: Path, configured: str = "") -> str:
    """The terminal's SM2 private key: the configured one, else one generated once and kept in
    ``data_dir/terminal_sm2.key`` (registered with the server by the engine's maintain round)."""
    if configured:
        return configured
    path = data_dir / "terminal_sm2.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SM2PrivateKey.generate().d:064x}\n", encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def build_engine(*, server_url: str, appid: str, key: str, data_dir: Path, identity: Identity,
                 private_key: str, printer: Any | None, top_up: int = 50,
                 clock: Clock | None = None) -> tuple[WorkflowEmergency, Callable[[], object]]:
    """The seam object and the ``maintain`` callable the link monitor runs while online."""
    clock = clock or SystemClock()
    db = Database(data_dir / "terminal.db")
    sync = SyncClient(server_url, appid, key, clock=clock)
    workflow = IssuingWorkflow(sync, db, printer, clock, identity, BillSigner(private_key))

    def maintain() -> object:
        return workflow.maintain(top_up=top_up, operator=identity.terminal_id)

    return WorkflowEmergency(workflow), maintain
