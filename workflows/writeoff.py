"""Write-off (冲红), single and batch, with the paper-first rule (any terminal that red-flushes).

Seed 001 (三)1(5): a bill without paper is red-flushed directly (writeOffEBill); a bill that was
exchanged for paper must have the paper voided first — invalidPaper, which red-flushes the e-bill
in the same call (spec §7). The window asks the platform for the bill's state first, so paper
exchanged at a kiosk is caught too. Batch write-off (批量冲红) reports every bill's outcome and
never stops at the first failure.

An emergency bill the server does not hold yet cannot be red-flushed there (the server does not
know the number): its write-off is queued in the terminal store behind the bill's upload
(:meth:`workflows.issuing.IssuingWorkflow.queue_write_off`, issue 7 §7) and shown as
"冲红已排队，待应急票据上传后提交"; the upload round sends it and records the red answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError
from workflows import events as ev
from workflows.emergency.writeoff import (
    QUEUED_TEXT,
    NotQueueableError,
    WriteOffHeldError,
    WriteOffQueuedError,
    WriteOffRefusedError,
)
from workflows.events import Events
from workflows.paper import PaperService
from workflows.records import STATE_RED, BillBook, BillRecord
from workflows.server_api import HisApi
from workflows.session_errors import AlreadyWrittenOff, PaperFirst, ReasonRequired

if TYPE_CHECKING:
    from workflows.issuing import IssuingWorkflow


@dataclass(slots=True)
class BatchResult:
    """Outcome of a batch write-off: the red-flushed records, the emergency bills whose write-off
    was queued behind their upload (:data:`QUEUED_TEXT`), and ``(bill no, message)`` failures."""

    done: list[BillRecord] = field(default_factory=list)
    queued: list[BillRecord] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


class WriteOffService:
    """Red-flushes bills issued at this window."""

    def __init__(self, api: HisApi, bills: BillBook, paper: PaperService, place_code: str, events: Events,
                 clock: Clock | None = None, workflow: IssuingWorkflow | None = None) -> None:
        self.api = api
        self.workflow = workflow  # queues write-offs of emergency bills not uploaded yet
        self.bills = bills
        self.paper = paper
        self.place_code = place_code
        self.events = events
        self.clock = clock or SystemClock()

    def refresh_paper_state(self, rec: BillRecord) -> BillRecord:
        """Ask the platform whether the bill has paper or is already red (getEBillStatesByBillInfo)."""
        st: Any = self.api.call(methods.GET_EBILL_STATES_BY_BILL_INFO,
                                {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no})
        if st.get("isPrtPaper") == "1" and not rec.paper_no:
            rec.paper_batch_code, rec.paper_no = str(st.get("pBillBatchCode", "")), str(st.get("pBillNo", ""))
        if st.get("isScarlet") == "1":
            rec.state = STATE_RED
        return rec

    def write_off(self, rec: BillRecord, reason: str, operator: str, *, void_paper_first: bool = False) -> BillRecord:
        """Red-flush one bill.

        :param void_paper_first: the cashier confirmed voiding the bill's paper; without it a bill
            with paper raises :class:`PaperFirst`.
        """
        if not reason.strip():
            raise ReasonRequired("冲红须填写原因")
        if rec.state == STATE_RED:
            raise AlreadyWrittenOff()
        fresh = self.bills.by_bus_no(rec.bus_no) if rec.emergency else None
        if fresh is not None:  # the upload round may have moved it on since the list was read
            rec.uploaded, rec.carry_state, rec.writeoff_state = fresh.uploaded, fresh.carry_state, fresh.writeoff_state
        if rec.writeoff_state in ("queued", "sent", "done"):
            raise WriteOffQueuedError({"sent": "冲红已提交，待财政平台返回红票", "done": "该应急票据已冲红"}.get(
                rec.writeoff_state, QUEUED_TEXT))
        if rec.writeoff_state == "held":
            raise WriteOffHeldError()
        if rec.writeoff_state == "refused":
            raise WriteOffRefusedError()
        if rec.emergency and not rec.uploaded and self.workflow is not None:
            try:
                return self._queue(rec, reason, operator)
            except NotQueueableError:
                rec.uploaded = True  # uploaded in between: the server knows it now
        if not rec.emergency or rec.uploaded:
            rec = self.refresh_paper_state(rec)
            if rec.state == STATE_RED:
                self.bills.put(rec)
                raise AlreadyWrittenOff()
        if rec.paper_no:
            if not void_paper_first:
                raise PaperFirst(f"票据{rec.bill_no}已换开纸质票据{rec.paper_no}，须先作废纸质票据再冲红")
            return self.paper.void_paper(rec, reason, operator)
        ans: Any = self.api.call(methods.WRITE_OFF_EBILL, {
            "billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no, "reason": reason.strip(),
            "operator": operator, "busDateTime": ts17(self.clock.now()), "placeCode": self.place_code})
        rec.mark_red(ans, reason.strip())
        self.bills.put(rec)
        self.events.emit(ev.BILL_CHANGED, record=rec)
        return rec

    def _queue(self, rec: BillRecord, reason: str, operator: str) -> BillRecord:
        """Queue the write-off of an emergency bill behind its upload (nothing is red yet)."""
        assert self.workflow is not None
        self.workflow.queue_write_off(rec.bus_no, {
            "reason": reason.strip(), "operator": operator, "busDateTime": ts17(self.clock.now()),
            "placeCode": self.place_code})
        rec.writeoff_state = "queued"
        rec.red_reason = reason.strip()
        self.events.emit(ev.BILL_CHANGED, record=rec)
        return rec

    def write_off_batch(self, recs: list[BillRecord], reason: str, operator: str, *,
                        void_paper_first: bool = False) -> BatchResult:
        """批量冲红: every bill is tried; failures are collected with their Chinese message."""
        if not reason.strip():
            raise ReasonRequired("批量冲红须填写原因")
        out = BatchResult()
        for rec in recs:
            try:
                done = self.write_off(rec, reason, operator, void_paper_first=void_paper_first)
                (out.done if done.state == STATE_RED else out.queued).append(done)
            except BillingError as exc:
                out.failed.append((rec.bill_no, f"{exc.code} {exc.message}"))
        return out
