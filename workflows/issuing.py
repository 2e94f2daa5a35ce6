"""The Qt-free issuing workflow every terminal GUI (cashier, kiosk) and the headless runtime call.

API (docs/EMERGENCY.md repeats it)::

    wf = IssuingWorkflow(sync_client, store, printer, clock, identity, signer, limits=EmergencyLimits())
    outcome = wf.issue("invoiceEBillOutpatient", request)   # -> IssueOutcome (online or emergency)
    wf.print_notice(outcome)                                # -> PrintResult (reprint marked 补打)
    wf.status()                                             # -> TerminalStatus snapshot
    wf.upload_pending(progress)                             # -> UploadReport (carry the journal over,
                                                            #    then the write-offs queued behind it)
    wf.queue_write_off(bus_no, request)                     # 冲红 of an emergency bill not uploaded yet
    wf.request_stock(count, operator) / wf.return_stock(reason) / wf.refresh_catalog()
    wf.maintain()                                           # heartbeat, uploads, returns, revocations
    wf.resume_prints()                                      # unfinished print jobs after a restart

``issue`` validates the request (billing_core.bills.validate_request), answers a repeated busNo
from the local record (online or emergency: idempotent locally too, and a busNo re-used with
different content is refused), then issues online through the sync server. When the server
cannot be reached (connection refused, connect timeout, breaker open) it issues an emergency bill
from the terminal's stock; when the request was sent but its answer was lost it asks
``getEBillByBusNo`` once (spec §3.6) and, when that finds no bill, the emergency bill is marked
``in_doubt`` and the server settles it at carry-forward (a second bill for the busNo is
reported as a conflict, never silently kept; offline_rules.md §2.1). A business refusal by the
server (validation, ungranted point ...) is raised as PlatformError: it is not an outage.

``issue`` never prints: the bill and its print job are committed first, then the caller prints
with ``print_notice`` (write before print). Every call does I/O: GUIs run it off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from billing_core import methods
from billing_core.bills import canonical_bill_bytes, validate_request
from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps, loads
from billing_core.errors import BillingError, PlatformError
from offline_store import journal, outbox, print_jobs, stock, writeoffs
from offline_store.db import Database
from workflows.emergency import chain
from workflows.emergency.issuer import (
    UPLOAD_KIND,
    EmergencyIssuer,
    Identity,
    amount_of,
    emergency_answer,
    notice_document,
)
from workflows.emergency.limits import (
    EmergencyLimits,
    LimitNotice,
    Usage,
    check_issue,
    offline_hours,
    upload_deadline,
    warnings,
)
from workflows.emergency.stock import ReturnResult, StockManager
from workflows.emergency.upload import Progress, Uploader, UploadReport
from workflows.emergency.writeoff import WriteOffQueue
from workflows.errors import BusNoReusedError, LinkDownError, LinkError, PrintFailedError
from workflows.printing import NoticePrinter, NoticePrinting, PrintResult
from workflows.pushed_config import PushedConfig
from workflows.sync_client import SyncClient

CrashHook = Callable[[str], None]
REGISTERED_KEY = "registered_sm2_public_key"

__all__ = ["IssueOutcome", "IssuingWorkflow", "TerminalStatus", "Identity", "EmergencyLimits"]


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    """The result of :meth:`IssuingWorkflow.issue`.

    :ivar mode: ``"online"`` (the platform's bill, via the server) or ``"emergency"``.
    :ivar answer: §3.4-shaped answer (billBatchCode, billNo, random, createTime, ...).
    :ivar duplicate: True when the busNo had been issued before and this is the stored bill.
    :ivar in_doubt: emergency bill issued after a lost answer (settled at carry-forward).
    :ivar notices: limit warnings / alarms to show next to the bill.
    :ivar print_job_id: the stored notice job to print with :meth:`IssuingWorkflow.print_notice`.
    """

    mode: str
    method: str
    bus_no: str
    bill_batch_code: str
    bill_no: str
    random: str
    create_time: str
    total_amt: Decimal
    answer: dict[str, Any]
    print_job_id: int | None
    duplicate: bool = False
    in_doubt: bool = False
    seq: int | None = None
    notices: tuple[LimitNotice, ...] = ()

    @property
    def emergency(self) -> bool:
        """True for a bill issued offline from emergency stock."""
        return self.mode == "emergency"

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (control socket, logs)."""
        return {"mode": self.mode, "method": self.method, "busNo": self.bus_no, "billBatchCode": self.bill_batch_code,
                "billNo": self.bill_no, "random": self.random, "createTime": self.create_time,
                "totalAmt": f"{self.total_amt:f}", "duplicate": self.duplicate, "inDoubt": self.in_doubt,
                "seq": self.seq, "printJobId": self.print_job_id, "notices": [n.as_dict() for n in self.notices]}


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """A snapshot for the status bar: link, stock, limits, pending uploads, alarms."""

    link_up: bool
    link_state: str
    down_since: str | None
    stock_remaining: int
    pending_uploads: int
    pending_total: Decimal
    conflicts: int
    rejected: int
    unfinished_prints: int
    offline_hours: Decimal
    upload_deadline: str | None
    overdue: bool
    limits: dict[str, Any]
    notices: tuple[LimitNotice, ...] = field(default=())
    #: Per limit: ``{"used", "limit", "percent"}`` as strings (progress bars in the status bar).
    usage: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Write-offs of emergency bills queued behind their upload / held after an upload conflict.
    writeoffs_queued: int = 0
    writeoffs_held: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"linkUp": self.link_up, "linkState": self.link_state, "downSince": self.down_since,
                "stockRemaining": self.stock_remaining, "pendingUploads": self.pending_uploads,
                "pendingTotal": f"{self.pending_total:f}", "conflicts": self.conflicts, "rejected": self.rejected,
                "unfinishedPrints": self.unfinished_prints, "offlineHours": f"{self.offline_hours:f}",
                "uploadDeadline": self.upload_deadline, "overdue": self.overdue, "limits": self.limits,
                "usage": self.usage, "writeoffsQueued": self.writeoffs_queued, "writeoffsHeld": self.writeoffs_held,
                "notices": [n.as_dict() for n in self.notices]}


class IssuingWorkflow:
    """Issue bills online or, when the server is unreachable, from emergency stock.

    :param sync: the sync-server client (its breaker decides online vs emergency).
    :param db: the terminal's offline store.
    :param printer: the receipt printer (None: notices wait as print jobs).
    :param clock: injectable clock.
    :param identity: terminal id, billing point, hospital and point names for the notice.
    :param signer: the terminal's SM2 key (registered with the server).
    :param limits: emergency exposure limits.
    :param crash_hook: fault-injection points (``number_taken``, ``committed``, ``printing``,
        ``printed``, ``upload_answered``); the runtime wires it from its config for fault tests.
    """

    def __init__(self, sync: SyncClient, db: Database, printer: NoticePrinter | None, clock: Clock,
                 identity: Identity, signer: chain.BillSigner, *, limits: EmergencyLimits | None = None,
                 width_mm: int = 80, crash_hook: CrashHook | None = None) -> None:
        self.sync = sync
        self.db = db
        self.clock = clock
        self.identity = identity
        #: what the management web pushed (issue 19 §1): its emergency limits win over ``limits``
        self.pushed = PushedConfig(db, limits or EmergencyLimits())
        self.limits = self.pushed.limits()
        self.printing = NoticePrinting(db, printer, clock, width_mm=self.pushed.params.get("printer_width_mm", width_mm),
                                       crash_hook=crash_hook)
        self.emergency = EmergencyIssuer(db, identity, signer, self.limits, crash_hook)
        self.pushed.listeners.append(self._apply_pushed)
        self.signer = signer
        self.stock = StockManager(db, sync, clock, identity.place_code)
        self.uploader = Uploader(db, sync, clock, identity.terminal_id, crash_hook=crash_hook)
        self.writeoffs = WriteOffQueue(db, sync, clock, identity.terminal_id)
        #: More heartbeat fields from the terminal kind (the kiosk adds device health, paper state and
        #: its software version); called on every heartbeat, must not raise.
        self.heartbeat_extra: Callable[[], dict[str, Any]] | None = None

    # --- issuing -----------------------------------------------------------------------------

    def issue(self, method: str, request: dict[str, Any]) -> IssueOutcome:
        """Issue one bill (see the module docstring).

        :raises ValidationError: bad request (nothing issued).
        :raises BusNoReusedError: busNo issued before with other content.
        :raises PlatformError: the server refused the bill (not an outage).
        :raises LimitExceededError: emergency issuing stopped by a hard limit.
        :raises NoStockError: no emergency number left.
        """
        bill = validate_request(method, request)
        bus_no = str(bill["busNo"])
        known = self._known(method, bill)
        if known is not None:
            return known
        try:
            # Fails fast without touching the network while the breaker is open.
            response = self.sync.his(method, bill)
        except LinkDownError:
            return self._issue_emergency(method, bill, in_doubt=False)
        except LinkError:  # sent, answer lost or unusable: the server may hold a bill
            found = self._lookup(bill)
            if found is not None:
                return self._record_online(method, bill, bus_no, found)
            return self._issue_emergency(method, bill, in_doubt=True)
        if not response.ok:
            raise PlatformError(response.result, str(response.message))
        return self._record_online(method, bill, bus_no, response.message)

    def _lookup(self, bill: dict[str, Any]) -> dict[str, Any] | None:
        """After a lost answer ask ``getEBillByBusNo`` once (spec §3.6) before going emergency: the
        server may have issued. None when it has no bill or cannot be asked (then in doubt)."""
        try:
            answer = self.sync.his_now(methods.GET_EBILL_BY_BUS_NO,
                                       {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
        except LinkError:
            return None
        if answer.ok and isinstance(answer.message, dict) and answer.message.get("billNo"):
            return dict(answer.message)
        return None

    def issue_emergency(self, method: str, request: dict[str, Any], *, in_doubt: bool = False) -> IssueOutcome:
        """Issue from emergency stock without trying the server (for a GUI that already knows
        the link is down, e.g. after its own getEBillByBusNo failed). Same local idempotency."""
        bill = validate_request(method, request)
        known = self._known(method, bill)
        if known is not None:
            return known
        return self._issue_emergency(method, bill, in_doubt=in_doubt)

    def _known(self, method: str, bill: dict[str, Any]) -> IssueOutcome | None:
        bus_no = str(bill["busNo"])
        entry = journal.by_bus_no(self.db, bus_no)
        if entry is not None:
            if canonical_bill_bytes(entry.request) != canonical_bill_bytes(_stored(bill)):
                raise BusNoReusedError(f"业务流水号{bus_no}已应急开具票据{entry.bill_no}，内容不同")
            return self._emergency_outcome(entry, duplicate=True, notices=())
        online = journal.online_by_bus_no(self.db, bus_no)
        if online is not None:
            if canonical_bill_bytes(online["request"]) != canonical_bill_bytes(_stored(bill)):
                raise BusNoReusedError(f"业务流水号{bus_no}已开具票据{online['response'].get('billNo')}，内容不同")
            jobs = print_jobs.for_ref(self.db, bus_no)
            return _online_outcome(online["method"], bus_no, online["response"], amount_of(online["request"]),
                                   jobs[-1].id if jobs else None, duplicate=True)
        return None

    def _record_online(self, method: str, bill: dict[str, Any], bus_no: str, message: Any) -> IssueOutcome:
        answer = dict(message) if isinstance(message, dict) else {}
        answer.pop("billQRCode", None)  # a base64 PNG: the notice draws its own QR from the values
        stored = _stored(bill)
        at = ts17(self.clock.now())
        with self.db.atomic():
            journal.record_online(self.db, bus_no=bus_no, method=method, request=stored, response=answer,
                                  total_amt=amount_of(bill), at=at)
            journal.set_online_seed(self.db, chain.online_seed(answer), {
                k: answer.get(k) for k in ("billBatchCode", "billNo", "random", "createTime")})
            job_id = print_jobs.create(self.db, "notice", bus_no,
                                       notice_document(self.identity, stored, answer, None), at)
        return _online_outcome(method, bus_no, answer, amount_of(bill), job_id)

    def _issue_emergency(self, method: str, bill: dict[str, Any], *, in_doubt: bool) -> IssueOutcome:
        # The store's lock makes "check the limits and the busNo, then commit" one step when a
        # GUI issues from two worker threads (no limit overshoot, no duplicate-busNo race).
        with self.db.lock:
            known = self._known(method, bill)
            if known is not None:
                return known
            now = self.clock.now()
            notices = check_issue(self.limits, self._usage(), amount_of(bill), now)
            seq, _job = self.emergency.issue(method, _stored(bill), now, in_doubt=in_doubt)
        entry = journal.by_seq(self.db, seq)
        assert entry is not None
        return self._emergency_outcome(entry, duplicate=False, notices=tuple(notices))

    def _emergency_outcome(self, entry: journal.JournalEntry, *, duplicate: bool,
                           notices: tuple[LimitNotice, ...]) -> IssueOutcome:
        jobs = print_jobs.for_ref(self.db, entry.bus_no)
        return IssueOutcome("emergency", entry.method, entry.bus_no, entry.bill_batch_code, entry.bill_no,
                            entry.random, entry.issue_time, entry.total_amt, emergency_answer(entry),
                            jobs[-1].id if jobs else None, duplicate=duplicate, in_doubt=entry.in_doubt,
                            seq=entry.seq, notices=notices)

    # --- printing ----------------------------------------------------------------------------

    def print_notice(self, outcome: IssueOutcome | str) -> PrintResult:
        """Print the stored notice of an outcome (or a busNo). A job that was started before
        (crash, paper out) comes out marked 补打. :raises PrintFailedError: job kept for later."""
        bus_no = outcome if isinstance(outcome, str) else outcome.bus_no
        jobs = print_jobs.for_ref(self.db, bus_no)
        if not jobs:
            raise PrintFailedError(f"没有业务流水号{bus_no}的告知单")
        return self.printing.run(jobs[-1].id)

    def reprint_notice(self, bus_no: str) -> PrintResult:
        """Another copy on request (marked 补打)."""
        return self.printing.reprint(bus_no)

    def resume_prints(self) -> list[PrintResult]:
        """Print every unfinished job (after a restart or when the printer is back)."""
        return self.printing.resume()

    # --- stock, catalog, upload ---------------------------------------------------------------

    def request_stock(self, count: int, operator: str) -> stock.Block:
        """库存发放: get an emergency block from the server."""
        return self.stock.request_block(count, operator)

    def return_stock(self, reason: str, block_id: int | None = None) -> list[ReturnResult]:
        """申退: give unused emergency numbers back to the server."""
        return self.stock.return_unused(reason, block_id)

    def refresh_catalog(self) -> dict[str, int]:
        """Refresh 应急开票基础信息 from the server."""
        return self.stock.refresh_catalog()

    def upload_pending(self, progress: Progress | None = None, limit: int = -1) -> UploadReport:
        """Carry emergency bills to the server, in journal order, exactly once (registers the
        terminal's SM2 public key first: the server verifies every bill's signature with it), then
        send the write-offs queued behind bills now uploaded (``report.writeoffs``; one whose bill
        ended in a conflict is held and reported, never sent) and print the red notice of each
        write-off whose red bill arrived."""
        if outbox.count_pending(self.db, UPLOAD_KIND) and not self.register_key():
            return UploadReport(remaining=outbox.count_pending(self.db, UPLOAD_KIND),
                                stopped="终端SM2公钥尚未登记到同步服务器")
        report = self.uploader.upload_pending(progress, limit)
        if outbox.count_pending(self.db, writeoffs.WRITEOFF_KIND) or writeoffs.count(self.db, writeoffs.SENT):
            done = self.writeoffs.deliver()
            for job_id in done.red_jobs:  # the red notice of each bill whose red number just arrived
                try:
                    done.printed.append(self.printing.run(job_id).as_dict())
                except BillingError as exc:  # the job stays stored: resume_prints / reprint later
                    done.printed.append({"jobId": job_id, "printed": False, "error": f"{exc.code} {exc.message}"})
            report.writeoffs = done.as_dict()
        return report

    def queue_write_off(self, bus_no: str, request: dict[str, Any]) -> writeoffs.WriteOffMark:
        """Queue the write-off (冲红) of an emergency bill the server does not hold yet: journal mark
        and outbox item (after the bill's upload item) in one transaction; ``request`` is the
        ``writeOffEBill`` data (reason, operator, busDateTime, placeCode). Sent by the upload round
        right after the bill's upload (docs/EMERGENCY.md §1).

        :raises NotQueueableError: not an emergency bill waiting for upload (write it off directly).
        :raises WriteOffQueuedError: a write-off of this bill is already queued or sent.
        """
        return self.writeoffs.queue(bus_no, request)

    def maintain(self, *, top_up: int = 0, operator: str = "terminal") -> dict[str, Any]:
        """One background round: heartbeat (applies revocations), uploads, pending returns and,
        when ``top_up`` > 0 and stock is low, a new block. Never raises for link failures."""
        done: dict[str, Any] = {"linkUp": False}
        try:  # fails fast while the breaker is open; is the half-open probe when one is due
            beat = self.sync.heartbeat(self._heartbeat_body())
        except LinkError:
            return done
        done["linkUp"] = True
        done["registered"] = self.register_key()
        if beat.ok and isinstance(beat.message, dict):
            done["revoked"] = self.stock.apply_revocations(list(beat.message.get("revokedBlocks") or []))
            if self.pushed.apply(beat.message.get("terminalConfig")):
                done["configVersion"] = self.pushed.version
        done["upload"] = self.upload_pending().as_dict()
        done["returns"] = [r.as_dict() for r in self.stock.retry_returns()]
        if top_up > 0 and stock.remaining(self.db, self.identity.place_code) <= self.limits.low_stock:
            try:
                block = self.request_stock(top_up, operator)
                done["toppedUp"] = block.id
            except (LinkError, PlatformError) as exc:
                done["topUpError"] = str(exc)
        return done

    def register_key(self) -> bool:
        """Register this terminal's SM2 public key with the server once (again after a key change);
        True when the server holds the current key. Link failures are left to the next round."""
        if self.db.get_value(REGISTERED_KEY) == self.signer.public_key_hex:
            return True
        try:
            answer = self.sync.register(self.signer.public_key_hex)
        except LinkError:
            return False
        if answer.ok:
            self.db.set_value(REGISTERED_KEY, self.signer.public_key_hex)
        return answer.ok

    def _heartbeat_body(self) -> dict[str, Any]:
        usage = self._usage()
        body = {"terminalId": self.identity.terminal_id, "placeCode": self.identity.place_code,
                "stockRemaining": usage.remaining_stock, "pendingUploads": usage.pending_count,
                "oldestPending": usage.oldest_pending or "", "configVersion": self.pushed.version}
        if self.heartbeat_extra is not None:
            body = self.heartbeat_extra() | body
        return body

    def _apply_pushed(self, pushed: PushedConfig) -> None:
        """A new pushed configuration: emergency limits and receipt width from now on."""
        self.limits = self.emergency.limits = pushed.limits()
        self.printing.width_mm = int(pushed.params.get("printer_width_mm", self.printing.width_mm))

    # --- status ------------------------------------------------------------------------------

    def _usage(self) -> Usage:
        stats = journal.pending_stats(self.db)
        return Usage(stats.count, stats.total_amt, stats.oldest_issue_time, self.sync.breaker.down_since,
                     stock.remaining(self.db, self.identity.place_code))

    def status(self) -> TerminalStatus:
        """The status snapshot (link, stock, limit usage, pending uploads, alarms)."""
        usage = self._usage()
        now = self.clock.now()
        deadline = upload_deadline(self.limits, usage.oldest_pending) if usage.oldest_pending else None
        notices = warnings(self.limits, usage, now)
        breaker = self.sync.breaker
        counts = {r["state"]: r["n"] for r in self.db.all("SELECT state, COUNT(*) AS n FROM journal GROUP BY state")}
        return TerminalStatus(
            link_up=breaker.is_up, link_state=breaker.state.value,
            down_since=ts17(breaker.down_since) if breaker.down_since else None,
            stock_remaining=usage.remaining_stock, pending_uploads=outbox.count_pending(self.db, UPLOAD_KIND),
            pending_total=usage.pending_total, conflicts=counts.get("conflict", 0),
            rejected=counts.get("rejected", 0), unfinished_prints=len(print_jobs.unfinished(self.db)),
            offline_hours=offline_hours(usage, now),
            upload_deadline=ts17(deadline) if deadline else None,
            overdue=bool(deadline and now > deadline), limits=self.limits.as_dict(), notices=tuple(notices),
            usage=limit_usage(self.limits, usage, offline_hours(usage, now)),
            writeoffs_queued=writeoffs.count(self.db, writeoffs.QUEUED),
            writeoffs_held=writeoffs.count(self.db, writeoffs.HELD))


def limit_usage(limits: EmergencyLimits, usage: Usage, hours: Decimal) -> dict[str, dict[str, str]]:
    """Used / limit / percent of each exposure limit (what the status bar draws)."""
    def one(used: Decimal, limit: Decimal) -> dict[str, str]:
        percent = Decimal(100) if limit <= 0 else (used * 100 / limit).quantize(Decimal(1))
        return {"used": f"{used:f}", "limit": f"{limit:f}", "percent": f"{percent:f}"}
    return {"max_offline_hours": one(hours, limits.max_offline_hours),
            "max_bills": one(Decimal(usage.pending_count), Decimal(limits.max_bills)),
            "max_total": one(usage.pending_total, limits.max_total)}


def _stored(bill: dict[str, Any]) -> dict[str, Any]:
    """The normalised bill as stored and uploaded: JSON with Decimal amounts as strings."""
    stored: dict[str, Any] = loads(dumps(bill))
    return stored


def _online_outcome(method: str, bus_no: str, answer: dict[str, Any], total: Decimal, job_id: int | None,
                    *, duplicate: bool = False) -> IssueOutcome:
    # A prepayment voucher (invoicePayMentVoucher) answers voucherBatchCode / voucherNo / voucherRandom.
    return IssueOutcome("online", method, bus_no,
                        str(answer.get("billBatchCode") or answer.get("voucherBatchCode") or ""),
                        str(answer.get("billNo") or answer.get("voucherNo") or ""),
                        str(answer.get("random") or answer.get("voucherRandom") or ""),
                        str(answer.get("createTime", "")), total, answer, job_id, duplicate=duplicate)

