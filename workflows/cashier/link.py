"""Link supervision for the window: probe the server, switch to emergency, drain on return.

A probe is one cheap ``testServerConnect`` call (spec §10) with the short connect timeout of
:class:`workflows.cashier.api.HttpHisApi`, so a drop shows within seconds. When the link comes
back the emergency journal is drained in order with progress events, and the carry-forward
result (with conflicts) is announced for the window to show.
"""

from __future__ import annotations

from collections.abc import Callable

from billing_core.errors import BillingError
from workflows.cashier import events as ev
from workflows.cashier.api import HisApi
from workflows.cashier.emergency import CarryForwardResult
from workflows.cashier.errors import LinkDown
from workflows.cashier.issuing import IssueService


class LinkMonitor:
    """Probes the server and keeps :attr:`IssueService.online` true to the link."""

    def __init__(self, api: HisApi, issuing: IssueService) -> None:
        self.api = api
        self.issuing = issuing
        #: run after each successful probe (the emergency engine's maintain round: heartbeat,
        #: key registration, uploads, stock top-up); its failures never fail the probe.
        self.on_online: Callable[[], object] | None = None

    def probe(self) -> bool:
        """One probe; on a return from emergency also drains the journal. Returns online."""
        try:
            self.api.call("testServerConnect", {"testValue": "cashier"})
        except LinkDown:
            self.issuing.set_online(False, "票据服务器无法连接")
            return False
        self.issuing.set_online(True)
        em = self.issuing.emergency
        if em is not None and em.status().pending_uploads:
            self.drain()
        if self.on_online is not None:
            try:
                self.on_online()
            except BillingError:
                pass  # the next probe tries again; the status bar shows stock and pending uploads
            if em is not None:
                self.issuing.events.emit(ev.STOCK_CHANGED, status=em.status())
        return True

    def drain(self) -> CarryForwardResult:
        """Upload the emergency journal with progress events; mark the window's records uploaded."""
        em = self.issuing.emergency
        if em is None:
            return CarryForwardResult()
        events = self.issuing.events

        def progress(done: int, total: int) -> None:
            events.emit(ev.UPLOAD_PROGRESS, done=done, total=total)

        result = em.drain(self.api, progress)
        pending = {rec.bill_no for rec in self.issuing.ledger.all() if rec.emergency and not rec.uploaded}
        still = {j["answer"]["billNo"] for j in getattr(em, "journal", []) if j.get("state") == "pending"}
        changed = []
        for rec in self.issuing.ledger.all():
            if rec.bill_no in pending and rec.bill_no not in still:
                rec.uploaded = True
                changed.append(rec)
        self.issuing.ledger.update(changed)
        events.emit(ev.STOCK_CHANGED, status=em.status())
        events.emit(ev.CARRY_FORWARD, result=result)
        return result
