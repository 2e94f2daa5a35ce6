"""Carrying the journal to the server: in order, one idempotency key per bill, resumable.

Each entry's request was written to the outbox in the bill's own transaction. Delivery walks
the outbox in order, in batches (``uploadEmergencyBills``, docs/EMERGENCY.md); each bill's answer
and its local state change commit together. A cut link stops the walk (entries stay pending and
are re-sent later with the same keys, which the server answers as duplicates: exactly once,
offline_rules.md §6.6). Per-bill answers:

* ``S0000`` with ``status`` ``accepted``/``duplicate`` -> ``uploaded``; ``conflict`` -> ``conflict``
  (the server kept another bill for the busNo and voided this number, spec §17; shown, never silent);
* failure ``E5031`` (the sync server's carry-forward conflict code) -> ``conflict`` as well;
* a transient failure (:data:`TRANSIENT`: internal error, platform unreachable and not queueable,
  same busNo busy) -> stop and retry later with the same key;
* any other failure code -> ``rejected`` with the code and text, and the walk goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from billing_core.clock import Clock, ts17
from offline_store import journal, outbox
from offline_store.db import Database
from workflows.emergency.issuer import UPLOAD_KIND
from workflows.errors import LinkError
from workflows.sync_client import SyncClient

Progress = Callable[[int, int], None]

#: Server codes (docs/ERRORS.md "sync server") after which the same request is simply re-sent.
TRANSIENT = frozenset({"E5020", "E5023", "E5024"})
#: The server's code for "the platform already holds another bill for this busNo".
CONFLICT = "E5031"


@dataclass(slots=True)
class UploadReport:
    """What one upload run did."""

    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    remaining: int = 0
    stopped: str = ""  # why the run stopped early ("" when everything was sent)
    details: list[dict[str, Any]] = field(default_factory=list)
    #: The write-offs queued behind these bills (workflows.emergency.writeoff.WriteOffReport.as_dict),
    #: filled by IssuingWorkflow.upload_pending; held ones (upload conflict) are listed there.
    writeoffs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "rejected": self.rejected, "remaining": self.remaining, "stopped": self.stopped,
                "details": self.details, "writeoffs": self.writeoffs}


class Uploader:
    """Delivers the emergency journal's outbox entries in batches of ``batch_size``."""

    def __init__(self, db: Database, sync: SyncClient, clock: Clock, terminal_id: str, *, batch_size: int = 50,
                 crash_hook: Callable[[str], None] | None = None) -> None:
        self.db = db
        self.sync = sync
        self.clock = clock
        self.terminal_id = terminal_id
        self.batch_size = batch_size
        self._crash = crash_hook or (lambda _point: None)

    def upload_pending(self, progress: Progress | None = None, limit: int = -1) -> UploadReport:
        """Send pending entries in order until done, the link fails or ``limit`` were sent."""
        report = UploadReport()
        total = outbox.count_pending(self.db, UPLOAD_KIND)
        if limit >= 0:
            total = min(total, limit)
        sent = 0
        while sent < total and not report.stopped:
            items = outbox.pending(self.db, UPLOAD_KIND, min(self.batch_size, total - sent))
            if not items:
                break
            try:
                response = self.sync.upload_emergency_bills(self.terminal_id, [i.payload for i in items])
            except LinkError as exc:
                outbox.note_attempt(self.db, items[0].id, f"{exc.code} {exc.message}")
                report.stopped = exc.message
                break
            self._crash("upload_answered")
            if not response.ok:  # the whole request was refused: nothing was stored, retry later
                outbox.note_attempt(self.db, items[0].id, f"{response.result} {response.message}")
                report.stopped = f"{response.result} {response.message}"
                break
            results = response.message.get("results") if isinstance(response.message, dict) else None
            if not isinstance(results, list):
                report.stopped = "同步服务器应答缺少results"
                break
            with self.db.atomic():  # one commit (one fsync) per batch; a crash re-sends the batch
                handled = self._apply(items, results, report)
            sent += handled
            if handled < len(items) and not report.stopped:
                report.stopped = "同步服务器未处理完本批应急票据"
            if progress:
                progress(sent, total)
        report.remaining = outbox.count_pending(self.db, UPLOAD_KIND)
        return report

    def _apply(self, items: list[outbox.OutboxItem], results: list[Any], report: UploadReport) -> int:
        """Record the per-bill answers in order; returns how many items were settled."""
        handled = 0
        for item, res in zip(items, results, strict=False):
            if not isinstance(res, dict) or res.get("idempotencyKey") != item.idem_key:
                report.stopped = "同步服务器应答与上传顺序不符"
                break
            entry = journal.by_bus_no(self.db, item.ref)
            assert entry is not None
            at = ts17(self.clock.now())
            code = str(res.get("result") or "")
            status = str(res.get("status") or "")
            if code == "S0000" or code == CONFLICT:
                if code == CONFLICT:
                    status = "conflict"
                status = status or "accepted"
                with self.db.atomic():
                    journal.set_state(self.db, entry.seq, "conflict" if status == "conflict" else "uploaded", res, at)
                    outbox.mark_done(self.db, item.id, at)
                if status == "conflict":
                    report.conflicts += 1
                elif status == "duplicate":
                    report.duplicates += 1
                else:
                    report.accepted += 1
            elif code in TRANSIENT:
                outbox.note_attempt(self.db, item.id, f"{code} {res.get('message', '')}")
                report.stopped = f"{code} {res.get('message', '')}"
                break
            else:
                status = "rejected"
                with self.db.atomic():
                    journal.set_state(self.db, entry.seq, "rejected", res, at)
                    outbox.mark_failed(self.db, item.id, f"{code} {res.get('message', '')}", at)
                report.rejected += 1
            report.details.append({"busNo": entry.bus_no, "billNo": entry.bill_no, "status": status,
                                   "result": code, "message": str(res.get("message") or "")})
            handled += 1
        return handled
