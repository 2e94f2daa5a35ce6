"""Issuing from the cashier window: the form, then :class:`workflows.issuing.IssuingWorkflow`.

Issue 7 and 8: the window issues through the same Qt-free workflow as the headless terminal
runtime and the kiosk. This module only does what is the window's own: check the form as typed
(every problem at once), build the request with a fresh busNo and the cashier as payee, hand it
to ``IssuingWorkflow.issue`` — which validates, answers a repeated busNo locally, issues online,
asks ``getEBillByBusNo`` after a lost answer, falls back to emergency stock and records the bill
and its notice job in offline_store before anything prints — then mark the bill with the
window's kind and announce it. Notices print through ``IssuingWorkflow.print_notice``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_core.clock import Clock, SystemClock, ts17
from billing_core.ids import BusNoGenerator
from workflows import events as ev
from workflows.cashier.entry import EntryForm, platform_issues
from workflows.cashier.errors import EntryInvalid
from workflows.events import Events
from workflows.issuing import IssueOutcome, IssuingWorkflow
from workflows.printing import PrintResult
from workflows.records import BillBook, BillRecord


@dataclass(frozen=True, slots=True)
class WindowConfig:
    """The billing point this window issues for."""

    place_code: str
    place_name: str = ""
    hospital: str = "演示市人民医院"
    terminal_id: str = "T01"


class IssueService:
    """Issues bills typed at the window through the terminal's issuing workflow.

    :param workflow: the one issuing path (online, in-doubt lookup, emergency, local idempotency).
    :param bills: the window's view of the terminal store.
    """

    def __init__(self, workflow: IssuingWorkflow, bills: BillBook, window: WindowConfig, events: Events,
                 clock: Clock | None = None) -> None:
        self.workflow = workflow
        self.bills = bills
        self.window = window
        self.events = events
        self.clock = clock or SystemClock()
        self.last_outcome: IssueOutcome | None = None
        self._bus_nos = BusNoGenerator("CW", window.terminal_id[:8], self.clock)

    @property
    def online(self) -> bool:
        """The link as the sync client's breaker sees it (False: bills go to emergency stock)."""
        return self.workflow.sync.link_up

    def check(self, form: EntryForm) -> list[tuple[str, str, str]]:
        """Every problem of the form (the entry checks, then the platform's field rules)."""
        issues = form.check()
        if issues:
            return issues
        probe = form.build_request(bus_no="CHECK", bus_date_time=ts17(self.clock.now()),
                                   place_code=self.window.place_code, payee="CHECK")
        return platform_issues(form.bill_kind.method, probe)

    def issue(self, form: EntryForm, payee: str, bus_no: str | None = None) -> BillRecord:
        """Issue the form's bill; returns the stored record.

        :raises EntryInvalid: the form is wrong (nothing sent).
        :raises PlatformError: the server refused the bill; :raises LimitExceededError /
            NoStockError: emergency issuing stopped (workflows.errors, docs/EMERGENCY.md).
        """
        issues = self.check(form)
        if issues:
            raise EntryInvalid(issues)
        data = form.build_request(bus_no=bus_no or self._bus_nos.next(), bus_date_time=ts17(self.clock.now()),
                                  place_code=self.window.place_code, payee=payee)
        return self.issue_request(form.kind, form.bill_kind.method, data)

    def issue_request(self, kind: str, method: str, data: dict[str, Any]) -> BillRecord:
        """Issue an already built request (batch import uses this too)."""
        outcome = self.workflow.issue(method, data)
        self.last_outcome = outcome
        self.bills.note_kind(outcome.bus_no, kind)
        rec = self.bills.by_bus_no(outcome.bus_no)
        assert rec is not None  # the workflow committed it before answering
        self.events.emit(ev.BILL_ISSUED, record=rec, notices=[n.message for n in outcome.notices])
        if outcome.emergency:
            self.events.emit(ev.STOCK_CHANGED, status=self.workflow.status())
        return rec

    def print_notice(self, rec: BillRecord) -> PrintResult:
        """Print the bill's stored notice (EMERGENCY banner for an emergency bill; a repeat is
        marked 补打) and record that it was printed (交付管理)."""
        result = self.workflow.print_notice(rec.bus_no)
        rec.notice_printed = True
        self.bills.put(rec)
        self.events.emit(ev.BILL_CHANGED, record=rec)
        return result
