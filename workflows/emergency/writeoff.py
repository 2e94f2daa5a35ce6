"""Write-off (冲红) of an emergency bill the server does not hold yet: queued behind its upload.

Issue 7 §7: "an emergency write-off is queued after its carry-forward". The server refuses a
``writeOffEBill`` for a number it has never seen, so while the bill waits in the journal the
terminal keeps the request in offline_store (:mod:`offline_store.writeoffs`: journal mark and
outbox item in one transaction, idempotency key ``wo:<terminal>:<code>:<no>``) and the upload
round sends it right after the bill's upload was answered. The server then queues it behind the
bill's carry-forward (same outbox group, docs/EMERGENCY.md §8), so the platform never sees the
write-off first.

Delivery, per queued write-off in outbox order:

* bill still ``issued`` (not uploaded) -> wait for the next round;
* bill ``conflict`` (the server kept another bill for the busNo) or ``rejected`` -> **held**: not
  sent (the red bill would flush the wrong bill or none), reported with the conflict for a person
  to decide (E8502), never retried silently;
* bill ``uploaded`` -> ``writeOffEBill``. An answer with the red number -> ``done``; an answer
  "queued on the server" (the carry-forward is still ahead) -> ``sent``, and later rounds read
  the red number with ``getEBillStatesByBillInfo``; a refusal is checked against the bill's state
  first (a repeat after a lost answer finds the bill already red: ``done``), else ``refused``
  (E8503, shown). A link failure or a transient server code stops the walk (same key later).

When the red bill becomes known (``done``, possibly rounds later) its notice is stored as a print
job (ref ``<busNo>:red``, the bill's own notice document plus the red answer and the reason) in
the same transaction as the mark; ``report.red_jobs`` names the new jobs for the caller to print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing_core import methods
from billing_core.clock import Clock, ts17
from billing_core.errors import BillingError
from offline_store import journal, outbox, print_jobs, writeoffs
from offline_store.db import Database
from workflows.errors import LinkError
from workflows.sync_client import SyncClient

#: Server codes after which the same write-off is simply re-sent later (docs/ERRORS.md sync server).
TRANSIENT = frozenset({"E5020", "E5023", "E5024"})
#: What the cashier sees when a write-off is queued (issue 7 §7).
QUEUED_TEXT = "冲红已排队，待应急票据上传后提交"
#: Print-job ref of the red notice of a bill: ``<busNo>:red``.
RED_SUFFIX = ":red"


class WriteOffQueuedError(BillingError):
    """The bill already has a write-off queued behind its upload (or sent, red answer pending)."""

    code = "E8501"
    default_message = QUEUED_TEXT


class WriteOffHeldError(BillingError):
    """A queued write-off was not sent: the bill's upload ended in a conflict or was rejected."""

    code = "E8502"
    default_message = "应急票据上传冲突，已排队的冲红未提交，请人工核对处理"


class WriteOffRefusedError(BillingError):
    """The server refused a queued write-off (its code and text are kept with the bill)."""

    code = "E8503"
    default_message = "同步服务器拒绝已排队的冲红"


class NotQueueableError(BillingError):
    """The bill is not an emergency bill waiting for upload: write it off the ordinary way."""

    code = "E8504"
    default_message = "该票据不是待上传的应急票据，请直接冲红"


@dataclass(slots=True)
class WriteOffReport:
    """What one delivery round did with the queued write-offs (``details``: one dict per bill)."""

    sent: int = 0
    done: int = 0
    held: int = 0
    refused: int = 0
    waiting: int = 0
    stopped: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    red_jobs: list[int] = field(default_factory=list)  # red notices stored this round, to print
    printed: list[dict[str, Any]] = field(default_factory=list)  # what printing them gave

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "done": self.done, "held": self.held, "refused": self.refused,
                "waiting": self.waiting, "stopped": self.stopped, "details": self.details,
                "redJobs": self.red_jobs, "printed": self.printed}


def red_answer(states: dict[str, Any]) -> dict[str, Any] | None:
    """The red bill of a ``getEBillStatesByBillInfo`` / ``getEBillByBusNo`` answer in the shape of
    a ``writeOffEBill`` answer (eScarlet* keys), or None while the bill is not red yet."""
    if str(states.get("isScarlet", "0")) != "1" or not states.get("scarletBillNo"):
        return None
    return {"eScarletBillBatchCode": str(states.get("scarletBillBatchCode", "")),
            "eScarletBillNo": str(states.get("scarletBillNo", "")),
            "eScarletRandom": str(states.get("scarletRandom", "")),
            "createTime": str(states.get("scarletCreateTime", ""))}


class WriteOffQueue:
    """Queues write-offs of emergency bills behind their upload and delivers them.

    :param db: the terminal store; :param sync: the sync-server client; :param terminal_id: for keys.
    """

    def __init__(self, db: Database, sync: SyncClient, clock: Clock, terminal_id: str) -> None:
        self.db = db
        self.sync = sync
        self.clock = clock
        self.terminal_id = terminal_id

    def queue(self, bus_no: str, request: dict[str, Any]) -> writeoffs.WriteOffMark:
        """Queue the ``writeOffEBill`` request of an emergency bill that is not uploaded yet.

        :raises NotQueueableError: not in the journal, or the server holds it already.
        :raises WriteOffQueuedError: a write-off of this bill is already queued or sent.
        """
        with self.db.lock:  # check and queue as one step (two worker threads of one window)
            mark = writeoffs.mark_of(self.db, bus_no)
            if mark is None or mark.bill_state != "issued":
                if mark is not None and mark.state is not None:
                    raise WriteOffQueuedError(_state_text(mark))
                raise NotQueueableError()
            if mark.state is not None:
                raise WriteOffQueuedError(_state_text(mark))
            data = dict(request, billBatchCode=mark.bill_batch_code, billNo=mark.bill_no)
            writeoffs.queue(self.db, bus_no, writeoffs.writeoff_key(self.terminal_id, mark.bill_batch_code,
                                                                    mark.bill_no), data, ts17(self.clock.now()))
            queued = writeoffs.mark_of(self.db, bus_no)
        assert queued is not None
        return queued

    def deliver(self) -> WriteOffReport:
        """Send the queued write-offs whose bills were uploaded, hold those whose upload ended in a
        conflict, then collect red answers still pending. Never raises for link failures."""
        report = WriteOffReport()
        for item in outbox.pending(self.db, writeoffs.WRITEOFF_KIND):
            mark = writeoffs.mark_of(self.db, item.ref)
            if mark is None:
                continue
            if mark.bill_state == "issued":
                report.waiting += 1
                continue
            if mark.bill_state in ("conflict", "rejected"):
                self._hold(item, mark, report)
                continue
            if not self._send(item, mark, report):
                break
        if not report.stopped:
            self.collect_answers(report)
        return report

    def _hold(self, item: outbox.OutboxItem, mark: writeoffs.WriteOffMark, report: WriteOffReport) -> None:
        what = "上传冲突（平台已保留该业务流水号的另一张票据）" if mark.bill_state == "conflict" else "上传被拒"
        err = WriteOffHeldError(f"应急票据{mark.bill_batch_code}-{mark.bill_no}{what}，已排队的冲红未提交，请人工核对处理")
        at = ts17(self.clock.now())
        result = {"code": err.code, "message": err.message, "billState": mark.bill_state,
                  "upload": _upload_result(self.db, mark.bus_no)}
        with self.db.atomic():
            writeoffs.set_mark(self.db, mark.bus_no, writeoffs.HELD, result, at)
            outbox.mark_failed(self.db, item.id, f"{err.code} {err.message}", at)
        report.held += 1
        report.details.append(_detail(mark, writeoffs.HELD, err.code, err.message) | {"upload": result["upload"]})

    def _send(self, item: outbox.OutboxItem, mark: writeoffs.WriteOffMark, report: WriteOffReport) -> bool:
        """One write-off; False when the walk must stop (link down, transient code)."""
        try:
            response = self.sync.his(methods.WRITE_OFF_EBILL, item.payload)
        except LinkError as exc:
            outbox.note_attempt(self.db, item.id, f"{exc.code} {exc.message}")
            report.stopped = exc.message
            return False
        at = ts17(self.clock.now())
        if response.ok:
            answer = dict(response.message) if isinstance(response.message, dict) else {}
            state = writeoffs.DONE if answer.get("eScarletBillNo") else writeoffs.SENT
            with self.db.atomic():
                writeoffs.set_mark(self.db, mark.bus_no, state, answer, at)
                outbox.mark_done(self.db, item.id, at)
                if state == writeoffs.DONE:
                    self._red_job(mark, answer, at, report)
            report.sent += 1
            report.done += int(state == writeoffs.DONE)
            report.details.append(_detail(mark, state, "S0000", "") | {"answer": answer})
            return True
        code, text = str(response.result), str(response.message)
        if code in TRANSIENT:
            outbox.note_attempt(self.db, item.id, f"{code} {text}")
            report.stopped = f"{code} {text}"
            return False
        red = self._red_now(mark)  # a repeat after a lost answer: the bill is red already
        with self.db.atomic():
            if red is not None:
                writeoffs.set_mark(self.db, mark.bus_no, writeoffs.DONE, red, at)
                outbox.mark_done(self.db, item.id, at)
                self._red_job(mark, red, at, report)
            else:
                err = WriteOffRefusedError(f"应急票据{mark.bill_batch_code}-{mark.bill_no}的冲红被拒绝：{code} {text}")
                writeoffs.set_mark(self.db, mark.bus_no, writeoffs.REFUSED,
                                   {"code": code, "message": text}, at)
                outbox.mark_failed(self.db, item.id, f"{err.code} {code} {text}", at)
        if red is not None:
            report.done += 1
            report.details.append(_detail(mark, writeoffs.DONE, "S0000", "") | {"answer": red})
        else:
            report.refused += 1
            report.details.append(_detail(mark, writeoffs.REFUSED, code, text))
        return True

    def _red_job(self, mark: writeoffs.WriteOffMark, red: dict[str, Any], at: str,
                 report: WriteOffReport | None) -> None:
        """Store the red notice of ``mark``'s bill (inside the caller's transaction)."""
        base = print_jobs.for_ref(self.db, mark.bus_no)
        if not base or print_jobs.for_ref(self.db, mark.bus_no + RED_SUFFIX):
            return  # no notice of the bill to build on, or the red one exists already
        sent = outbox.latest(self.db, writeoffs.WRITEOFF_KIND, mark.bus_no)  # the cashier's request
        # the red bill itself came from the platform, online: no emergency banner on its notice
        document = {k: v for k, v in base[0].document.items() if k != "emergency"}
        document["red"] = {"response": red, "reason": str(sent.payload.get("reason") or "冲红") if sent else "冲红"}
        job = print_jobs.create(self.db, "red_notice", mark.bus_no + RED_SUFFIX, document, at)
        if report is not None:
            report.red_jobs.append(job)

    def _red_now(self, mark: writeoffs.WriteOffMark) -> dict[str, Any] | None:
        try:
            states = self.sync.his(methods.GET_EBILL_STATES_BY_BILL_INFO,
                                   {"billBatchCode": mark.bill_batch_code, "billNo": mark.bill_no})
        except LinkError:
            return None
        return red_answer(states.message) if states.ok and isinstance(states.message, dict) else None

    def collect_answers(self, report: WriteOffReport | None = None) -> int:
        """Record the red bills of write-offs the server queued behind the carry-forward; returns
        how many were recorded now."""
        found = 0
        for mark in writeoffs.with_state(self.db, writeoffs.SENT):
            red = self._red_now(mark)
            if red is None:
                continue
            at = ts17(self.clock.now())
            with self.db.atomic():
                writeoffs.set_mark(self.db, mark.bus_no, writeoffs.DONE, red, at)
                self._red_job(mark, red, at, report)
            found += 1
            if report is not None:
                report.done += 1
                report.details.append(_detail(mark, writeoffs.DONE, "S0000", "") | {"answer": red})
        return found


def _state_text(mark: writeoffs.WriteOffMark) -> str:
    return {writeoffs.QUEUED: QUEUED_TEXT, writeoffs.SENT: "冲红已提交，待财政平台返回红票",
            writeoffs.DONE: "该应急票据已冲红", writeoffs.HELD: "该应急票据的冲红因上传冲突未提交，待人工处理",
            writeoffs.REFUSED: "该应急票据的冲红已被拒绝"}.get(mark.state or "", QUEUED_TEXT)


def _detail(mark: writeoffs.WriteOffMark, status: str, code: str, message: str) -> dict[str, Any]:
    return {"busNo": mark.bus_no, "billBatchCode": mark.bill_batch_code, "billNo": mark.bill_no,
            "status": status, "result": code, "message": message}


def _upload_result(db: Database, bus_no: str) -> Any:
    entry = journal.by_bus_no(db, bus_no)
    return entry.result if entry is not None else None
