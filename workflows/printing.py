"""Printing notices from stored print jobs: write before print, resume after a crash.

The bill and its print job are committed first (workflows.issuing); only then does this module
drive the printer. Before the first byte goes out the job is committed as ``printing``; after
the printer took the whole job it is ``done``. A job found ``printing`` or ``failed`` (the
process died mid-print, paper ran out) is printed again marked 补打 (reprint), because nobody
can know whether the first copy came out (offline_rules.md §6.8 "visible state").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from billing_core.clock import Clock, ts17
from billing_core.errors import BillingError
from billing_core.printjob import PrintJob, Text
from offline_store import print_jobs
from offline_store.db import Database
from print_templates.model import bill_from_sample
from print_templates.notice import notice_job
from print_templates.voucher_notice import is_voucher, voucher_notice_job
from workflows.errors import PrintFailedError

log = logging.getLogger(__name__)

REPRINT_MARK = "【补打】"


class NoticePrinter(Protocol):
    """What the workflows need of a receipt printer (devices.printer.ReceiptPrinter fits)."""

    def print_job(self, job: PrintJob) -> None: ...


CrashHook = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class PrintResult:
    """One print attempt of a stored job."""

    job_id: int
    ref: str
    reprint: bool
    printed: bool
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "ref": self.ref, "reprint": self.reprint, "printed": self.printed,
                "error": self.error}


def render(document: dict[str, Any], *, reprint: bool, width_mm: int = 80) -> PrintJob:
    """The notice of a stored document (print_templates sample shape), marked when a reprint."""
    # A prepayment voucher (top-up, deposit) has no charge items: its own notice layout.
    job = voucher_notice_job(document, width_mm) if is_voucher(document) else notice_job(bill_from_sample(document),
                                                                                          width_mm)
    if reprint:
        job.title = f"{job.title}{REPRINT_MARK}"
        job.elements.insert(0, Text(REPRINT_MARK, align="center", bold=True, scale=2))
    return job


class NoticePrinting:
    """Runs stored print jobs on one printer (or none: jobs then wait)."""

    def __init__(self, db: Database, printer: NoticePrinter | None, clock: Clock, *, width_mm: int = 80,
                 crash_hook: CrashHook | None = None) -> None:
        self.db = db
        self.printer = printer
        self.clock = clock
        self.width_mm = width_mm
        self._crash = crash_hook or (lambda _point: None)

    def run(self, job_id: int, *, force_reprint: bool = False) -> PrintResult:
        """Print a stored job once. A job that was started before is printed as a reprint."""
        record = print_jobs.get(self.db, job_id)
        reprint = force_reprint or record.attempts > 0 or record.printed_count > 0
        if self.printer is None:
            return PrintResult(job_id, record.ref, reprint, False, "未配置收据打印机")
        try:
            job = render(record.document, reprint=reprint, width_mm=self.width_mm)
        except BillingError as exc:
            print_jobs.mark_failed(self.db, job_id, exc.message)
            raise
        with self.db.atomic():
            print_jobs.mark_printing(self.db, job_id)
        self._crash("printing")
        try:
            self.printer.print_job(job)
        except BillingError as exc:
            print_jobs.mark_failed(self.db, job_id, f"{exc.code} {exc.message}")
            raise PrintFailedError(f"告知单打印失败（{exc.message}），票据已保存，可稍后补打") from exc
        except OSError as exc:
            print_jobs.mark_failed(self.db, job_id, str(exc))
            raise PrintFailedError("告知单打印失败（打印机连接中断），票据已保存，可稍后补打") from exc
        self._crash("printed")
        with self.db.atomic():
            print_jobs.mark_done(self.db, job_id, ts17(self.clock.now()))
        return PrintResult(job_id, record.ref, reprint, True)

    def reprint(self, ref: str) -> PrintResult:
        """Another copy of a bill's notice, asked for by a person (marked 补打)."""
        jobs = print_jobs.for_ref(self.db, ref)
        if not jobs:
            raise PrintFailedError(f"没有业务流水号{ref}的告知单")
        return self.run(jobs[-1].id, force_reprint=True)

    def resume(self) -> list[PrintResult]:
        """Print every unfinished job (after a restart, or when the printer is back)."""
        results = []
        for record in print_jobs.unfinished(self.db):
            try:
                results.append(self.run(record.id))
            except PrintFailedError as exc:
                results.append(PrintResult(record.id, record.ref, True, False, exc.message))
                break  # the printer is not usable: stop, keep the order
        return results
