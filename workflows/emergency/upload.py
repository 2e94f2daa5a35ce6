"""Carrying the journal to the server: in order, one idempotency key per bill, resumable.

Each entry's request was written to the outbox in the bill's own transaction. Delivery walks
the outbox in order; the server's acknowledgement and the local state change commit together.
A cut link stops the walk (the entry stays pending and is re-sent later with the same key, which
the server answers as a duplicate: exactly once, offline_rules.md §6.6). Answers:

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

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "conflicts": self.conflicts,
                "rejected": self.rejected, "remaining": self.remaining, "stopped": self.stopped,
                "details": self.details}


class Uploader:
    """Delivers the emergency journal's outbox entries."""

    def __init__(self, db: Database, sync: SyncClient, clock: Clock,
                 crash_hook: Callable[[str], None] | None = None) -> None:
        self.db = db
        self.sync = sync
        self.clock = clock
        self._crash = crash_hook or (lambda _point: None)

    def upload_pending(self, progress: Progress | None = None, limit: int = -1) -> UploadReport:
        """Send pending entries in order until done, the link fails or ``limit`` were sent."""
        report = UploadReport()
        items = outbox.pending(self.db, UPLOAD_KIND, limit)
        total = len(items)
        for done, item in enumerate(items):
            try:
                response = self.sync.upload_emergency_bill(item.payload)
            except LinkError as exc:
                outbox.note_attempt(self.db, item.id, f"{exc.code} {exc.message}")
                report.stopped = exc.message
                break
            self._crash("upload_answered")
            entry = journal.by_bus_no(self.db, item.ref)
            assert entry is not None
            at = ts17(self.clock.now())
            if response.ok:
                answer = response.message if isinstance(response.message, dict) else {"message": response.message}
                status = str(answer.get("status") or "accepted")
                with self.db.atomic():
                    journal.set_state(self.db, entry.seq, "conflict" if status == "conflict" else "uploaded",
                                      answer, at)
                    outbox.mark_done(self.db, item.id, at)
                if status == "conflict":
                    report.conflicts += 1
                elif status == "duplicate":
                    report.duplicates += 1
                else:
                    report.accepted += 1
                report.details.append({"busNo": entry.bus_no, "billNo": entry.bill_no, "status": status})
            elif response.result == CONFLICT:
                with self.db.atomic():
                    journal.set_state(self.db, entry.seq, "conflict",
                                      {"result": response.result, "message": response.message}, at)
                    outbox.mark_done(self.db, item.id, at)
                report.conflicts += 1
                report.details.append({"busNo": entry.bus_no, "billNo": entry.bill_no, "status": "conflict"})
            elif response.result in TRANSIENT:
                outbox.note_attempt(self.db, item.id, f"{response.result} {response.message}")
                report.stopped = f"{response.result} {response.message}"
                break
            else:
                with self.db.atomic():
                    journal.set_state(self.db, entry.seq, "rejected",
                                      {"result": response.result, "message": str(response.message)}, at)
                    outbox.mark_failed(self.db, item.id, f"{response.result} {response.message}", at)
                report.rejected += 1
                report.details.append({"busNo": entry.bus_no, "billNo": entry.bill_no, "status": "rejected",
                                       "result": response.result, "message": str(response.message)})
            if progress:
                progress(done + 1, total)
        report.remaining = outbox.count_pending(self.db, UPLOAD_KIND)
        return report
