"""The outbox worker: a thread inside the server by default, or ``python -m sync_server worker``.

Each cycle: resolve issuing claims left by a killed server process, keep every billing point's
emergency stock topped up while the platform is reachable, and deliver due outbox items (head
of each group only, so per-bill order holds) with exponential backoff — carry-forwards
(``uploadEmergencyEBill``) through the parallel carry pool (services/carry_pool.py). State lives
in the database, so the worker survives restarts: leases of a dead process expire or are
released at startup.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import and_, select, update

from billing_core.clock import ts17
from billing_core.envelope import loads
from sync_server.background.delivery import deliver
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.emergency.carry_pool import CARRY, kick_carry_pool
from sync_server.his import batches
from sync_server.his.issuing import Issuer
from sync_server.insurance import reconcile as ins_reconcile
from sync_server.insurance.resolve import resolve_pending
from sync_server.outbox import queue as outbox
from sync_server.reconcile import daily as reconcile
from sync_server.security.audit import SERVER, Actor, audit
from sync_server.stock import emergency_stock as emergency
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import billing_points, bills

log = logging.getLogger(__name__)
TOP_UP_EVERY = 5.0
OTHER_KINDS = tuple(k for k in outbox.KINDS if k != CARRY)  # the worker's own; carry-forwards: the pool


class Worker:
    """Runs delivery cycles until ``ctx.stop`` is set."""

    def __init__(self, ctx: ServerContext, *, resolve_claims: bool = True) -> None:
        self.ctx = ctx
        self.resolve_claims = resolve_claims
        self._last_top_up = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> threading.Thread | None:
        """Run in a thread owned by the context (joined by ``ctx.close()``); None when one runs."""
        self._thread = self.ctx.threads.start("outbox-worker", self.run)
        return self._thread

    def run(self) -> None:
        """Loop until stopped."""
        with write_tx(self.ctx.engine) as conn:
            outbox.release_leases(conn)
        while not self.ctx.stop.is_set():
            try:
                self.cycle()
            except Exception:  # noqa: BLE001 - the worker must outlive any one bad cycle
                log.exception("outbox worker cycle failed")
            self.ctx.wake.wait(self.ctx.config.worker_interval)
            self.ctx.wake.clear()

    def cycle(self) -> int:
        """One pass; returns the number of items delivered."""
        if self.resolve_claims:
            self.resolve_orphans()
            self.resolve_insurance()
        if self.ctx.clock.monotonic() - self._last_top_up > TOP_UP_EVERY:
            self._last_top_up = self.ctx.clock.monotonic()
            self.top_up()
            if self.resolve_claims:
                batches.resume(self.ctx)
            if self.resolve_claims and self.ctx.config.reconcile_daily:
                try:
                    reconcile.maybe_daily(self.ctx)
                except PlatformUnreachable:
                    pass
                if self.ctx.insurance is not None:
                    try:
                        ins_reconcile.maybe_daily(self.ctx, self.ctx.insurance)
                    except (PlatformUnreachable, PlatformRejected):
                        log.warning("insurance daily reconciliation failed; tried again later")
        return self.deliver_due()

    def resolve_insurance(self) -> None:
        """In-doubt insurance settlements (timed out, or left by a killed process): 5203 / 2601
        (sync_server/insurance/resolve.py). Runs in the first cycle, so at every start."""
        if self.ctx.insurance is None:
            return
        try:
            counts = resolve_pending(self.ctx, self.ctx.insurance)
        except PlatformUnreachable:
            return  # the platform is down: next cycle
        if counts:
            log.info("insurance in-doubt settlements resolved: %s", counts)

    def top_up(self) -> None:
        """Reserve emergency blocks for billing points that run low."""
        with read_tx(self.ctx.engine) as conn:
            points = [r[0] for r in conn.execute(select(billing_points.c.place_code)
                                                 .where(billing_points.c.enabled == 1))]
        for place in points:
            emergency.top_up(self.ctx, place)

    def resolve_orphans(self) -> None:
        """Claims left pending by a dead process: ask the platform, then record or release."""

        # Only claims of dead processes (liveness lock gone), untouched for longer than a request
        # can take: a live request thread that took a claim over refreshes updated_at.
        quiet = self.ctx.clock.now() - timedelta(seconds=2 * self.ctx.config.finance_timeout + 2)
        with read_tx(self.ctx.engine) as conn:
            rows = conn.execute(select(bills.c.id, bills.c.owner, bills.c.request_json, bills.c.caller_appid)
                                .where(and_(bills.c.state == "pending", bills.c.updated_at < ts17(quiet),
                                            (bills.c.owner != self.ctx.instance) | bills.c.owner.is_(None)))
                                ).all()
        issuer = Issuer(self.ctx)
        for bill_id, owner, request_json, caller in rows:
            if self.ctx.stop.is_set():
                return  # shutting down: the next start resolves the rest
            if self.ctx.owner_alive(owner):
                continue  # a sibling server process still working on it (a slow platform call)
            who = Actor("server", caller=caller)
            # take the claim over first (as a request would), so a request arriving meanwhile waits
            # for this resolution instead of racing it
            with write_tx(self.ctx.engine) as conn:
                res = conn.execute(update(bills).where(and_(bills.c.id == bill_id, bills.c.state == "pending",
                                                            bills.c.owner == owner if owner is not None
                                                            else bills.c.owner.is_(None)))
                                   .values(owner=self.ctx.instance, updated_at=ts17(self.ctx.clock.now())))
                if res.rowcount != 1:
                    continue
                audit(conn, self.ctx.clock, who, "claim_takeover", "bill", bill_id, {"owner": owner},
                      {"owner": self.ctx.instance})
            data = loads(request_json)
            try:
                found = self.ctx.upstream.lookup_bus_no(str(data["busNo"]), str(data.get("busDateTime", "")))
            except PlatformUnreachable:
                issuer._orphan_if_pending(bill_id, who)  # noqa: SLF001 - try again next cycle
                return
            if found is not None:
                issuer._record(bill_id, who, found)  # noqa: SLF001
            else:
                # The dead process never got a bill: nobody was answered S0000, the HIS retries.
                issuer._release(bill_id, who, "进程中断，平台无此业务流水号票据")  # noqa: SLF001

    def deliver_due(self) -> int:
        """Deliver the due head item of each group; carry-forwards go to the carry pool."""
        done = 0
        with read_tx(self.ctx.engine) as conn:
            now = outbox.epoch(self.ctx.clock)
            carry_due = bool(outbox.due(conn, now, 1, kinds=(CARRY,)))
            items = outbox.due(conn, now, kinds=OTHER_KINDS)
        if carry_due and not self.ctx.upstream.is_open():
            # The pool sends carry-forwards in parallel with the same lease and settling rules;
            # claiming them here too only made the two race for leases, one transaction per item.
            # While the breaker is open (platform refusing connections) they simply stay due:
            # starting the pool for every bill of an outage only to fail at once cost ~5 ms a bill.
            kick_carry_pool(self.ctx)
        for item in items:
            if self.ctx.stop.is_set():
                break  # shutting down: the rest stays due for the next start
            with write_tx(self.ctx.engine) as conn:
                if not outbox.claim(conn, item, outbox.epoch(self.ctx.clock)):
                    continue
            item["attempts"] = int(item["attempts"]) + 1
            try:
                deliver(self.ctx, item)
                done += 1
            except PlatformUnreachable as exc:
                with write_tx(self.ctx.engine) as conn:
                    outbox.retry_later(conn, item, exc.message, self.ctx.config.outbox_max_backoff,
                                       now=outbox.epoch(self.ctx.clock))
                if not exc.in_doubt:
                    break  # the platform is down: stop this cycle, back off
            except outbox.DeadLetter as exc:
                with write_tx(self.ctx.engine) as conn:
                    outbox.finish(conn, self.ctx.clock, item["id"], "dead", str(exc))
                log.error("outbox item %s refused for good: %s", item["idem_key"], exc)
        _ = SERVER
        return done
