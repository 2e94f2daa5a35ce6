"""Link supervision for a terminal GUI: the sync client's breaker events, probes, carry-forward.

The link state is the one circuit breaker of the terminal's SyncClient (issue 7 §4): its
up/down events are re-announced as ``LINK_CHANGED`` for the status bar and banner. A probe
every few seconds (off the GUI thread) runs the issuing workflow's ``maintain`` round —
heartbeat (the half-open probe while down), key registration, uploads, returns, stock top-up —
and, when emergency bills wait, uploads them first with progress events and announces the
carry-forward result (``CARRY_FORWARD`` with the workflow's UploadReport, conflicts included).
"""

from __future__ import annotations

from workflows import events as ev
from workflows.emergency.upload import UploadReport
from workflows.events import Events
from workflows.issuing import IssuingWorkflow
from workflows.link import LinkEvent


class LinkMonitor:
    """Relays the breaker's link events and runs the workflow's background round.

    :param top_up: emergency numbers to request when stock runs low (0: never, e.g. a window
        configured without emergency issuing).
    """

    def __init__(self, workflow: IssuingWorkflow, events: Events, *, top_up: int = 50, operator: str = "T01") -> None:
        self.workflow = workflow
        self.events = events
        self.top_up = top_up
        self.operator = operator
        self._unsubscribe = workflow.sync.events.subscribe(self._relay)

    def _relay(self, event: LinkEvent) -> None:
        self.events.emit(ev.LINK_CHANGED, online=event.up, reason=event.reason)

    def probe(self) -> bool:
        """One round; returns whether the link is up. Never raises for link failures."""
        if self.workflow.status().pending_uploads and self.workflow.sync.probe():
            self.drain()
        done = self.workflow.maintain(top_up=self.top_up, operator=self.operator)
        self.events.emit(ev.STOCK_CHANGED, status=self.workflow.status())
        return bool(done.get("linkUp"))

    def drain(self) -> UploadReport:
        """Upload the emergency journal in order with progress events; announce the result."""
        def progress(done: int, total: int) -> None:
            self.events.emit(ev.UPLOAD_PROGRESS, done=done, total=total)

        report = self.workflow.upload_pending(progress)
        self.events.emit(ev.STOCK_CHANGED, status=self.workflow.status())
        self.events.emit(ev.CARRY_FORWARD, result=report)
        return report

    def close(self) -> None:
        """Stop relaying link events."""
        self._unsubscribe()


def carry_summary(report: UploadReport) -> tuple[int, list[str], list[str]]:
    """``(carried, conflicts, failed)`` of an upload run, in the Chinese the window shows."""
    conflicts, failed = [], []
    for d in report.details:
        if d["status"] == "conflict":
            conflicts.append(f"应急票据{d['billNo']}（业务流水号{d['busNo']}）："
                             f"{d['message'] or '平台已有该业务的票据，应急号码已作废'}")
        elif d["status"] == "rejected":
            failed.append(f"应急票据{d['billNo']}：{d['result']} {d['message']}")
    if report.stopped:
        failed.append(f"上传中断：{report.stopped}（剩余{report.remaining}张，联网后自动续传）")
    return report.accepted + report.duplicates, conflicts, failed
