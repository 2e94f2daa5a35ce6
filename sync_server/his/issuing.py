"""Issuing through the server: validate, claim the busNo, forward, record, answer (issue 4 §4).

Idempotency on busNo holds on SQLite and PostgreSQL alike through the unique column
``bills.busno_live``: the first request inserts a *pending claim*; concurrent repeats fail that
insert and wait for the claim to resolve, then answer the recorded bill. Only the claim holder
talks to the platform, through the connector's policy (sync_server.connectors.policy, DESIGN.md
§3): after a timeout or dropped answer it asks ``getEBillByBusNo`` before anything else and
re-sends only after a not-found answer. This module decides what each outcome means for the
claim: recorded, released, or issued from the server's emergency stock (marked ``in_doubt`` when
the platform cannot tell). A claim
left by a killed process (another ``owner`` whose liveness lock is gone) is taken over by the
next request for that busNo, starting with the lookup, because the dead process may have sent
the request; a claim of a live sibling process is waited for like one of this process's.

A repeat is answered with the existing bill only when it *is* a repeat (issue 14 item 3): the
claim already stores the validated request (``request_json``, written once at claim time), and
a request whose content differs from it (SHA-256 of billing_core's canonical bytes of each) is
refused with E5033, nothing written. Since the placeCode is part of the content and the edge
(his_api) has checked the caller's grant on it, a match also means the bill is at one of the
caller's points: another caller cannot read someone else's bill by reusing its busNo.

The unique key stays the busNo alone (no migration): the platform keeps one bill per busNo for
the whole unit ("unique within the unit", spec §4), so two bills of one busNo cannot exist
there either — scoping the key to a point would only move the collision to the platform. Bills
uploaded by terminals (``origin`` terminal: their request is the terminal's own record, not an
HIS request) are answered only when their billing point is the request's.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from sqlalchemy import and_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from billing_core.bills import canonical_bill_bytes
from billing_core.clock import ts17
from billing_core.envelope import dumps, loads
from billing_core.errors import BillingError
from sync_server.bills.records import by_id, issue_answer, live_by_busno, mark_issued, payee_of, public
from sync_server.bills.state import born, release
from sync_server.bills.validation import validate
from sync_server.connectors.policy import Outcome
from sync_server.context import ServerContext
from sync_server.errors import BusNoConflictError, BusyError
from sync_server.security import replay, signing
from sync_server.security.audit import Actor, audit
from sync_server.stock import emergency_stock as emergency
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import bills

log = logging.getLogger(__name__)
_POLL = 0.02


_CLAIM_COLUMNS = ("bus_no", "busno_live", "method", "bus_type", "bus_date_time", "place_code", "caller_appid",
                  "state", "origin", "in_doubt", "carry", "is_scarlet", "is_prt_paper", "total_amt", "payer",
                  "card_type", "card_no", "payee",
                  "request_json", "owner", "batch_no", "created_at", "updated_at")
_CLAIMS: dict[str, Any] = {}


def _claim_statement(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (busno_live) DO NOTHING RETURNING id, built once per dialect."""
    stmt = _CLAIMS.get(dialect)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(bills).values({c: bindparam(c) for c in _CLAIM_COLUMNS}) \
            .on_conflict_do_nothing(index_elements=["busno_live"]).returning(bills.c.id)
        _CLAIMS[dialect] = stmt
    return stmt


def request_digest(data: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical bytes of a validated issuing request, taken through its
    stored JSON form (``request_json``) so that a request and the row claimed from it compare
    equal (amounts as strings with their places either way)."""
    return hashlib.sha256(canonical_bill_bytes(loads(dumps(data)))).hexdigest()


class Digest:
    """The request's :func:`request_digest`, computed once and only when a repeat needs it (most
    requests claim a new busNo: hashing ~1-60 list lines each time was a sixth of the CPU)."""

    __slots__ = ("_data", "_value")

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = request_digest(self._data)
        return self._value


def check_repeat(row: Any, data: dict[str, Any], digest: Digest) -> None:
    """Refuse (E5033) a request for a busNo whose existing bill or claim was made from different
    content; a bill uploaded by a terminal must at least be at the request's billing point."""
    if row["origin"] == "terminal":
        same = str(row["place_code"]) == str(data["placeCode"])
    else:
        stored = loads(str(row["request_json"]))
        try:  # normalised as the repeat was (a row written by an older version, or by hand)
            stored = validate(str(row["method"]), stored)
        except BillingError:
            pass  # compared as stored
        same = request_digest(stored) == str(digest)
    if not same:
        raise BusNoConflictError(f"业务流水号busNo {data['busNo']}已用于另一张票据（开票内容不一致），"
                                 "请使用新的业务流水号")


class Issuer:
    """Issues bills for HIS and terminals through one server context."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    # -- claim ------------------------------------------------------------------------------
    def _claim(self, method: str, data: dict[str, Any], who: Actor,
               batch_no: str | None, digest: Digest) -> tuple[int | None, bool, Any]:
        """Returns (claimed bill id, taken over from a dead process, existing row); E5033 when the
        busNo's existing bill or claim was made from different content."""
        ctx = self.ctx
        now = ts17(ctx.clock.now())
        with write_tx(ctx.engine) as conn:
            replay.record_deferred(conn)  # first: a replayed envelope changes nothing (E2060)
            # INSERT ... ON CONFLICT DO NOTHING on the unique busno_live: one statement decides the
            # race on both databases, without a failing statement or a savepoint.
            params = {
                "bus_no": data["busNo"], "busno_live": data["busNo"], "method": method,
                "bus_type": str(data.get("busType", "")), "bus_date_time": str(data.get("busDateTime", "")),
                "place_code": data["placeCode"], "caller_appid": who.caller or who.actor, **born("claim"),
                "total_amt": data["totalAmt"],
                "payer": data.get("payer"), "card_type": data.get("cardType"), "card_no": data.get("cardNo"),
                "payee": payee_of(data), "request_json": dumps(data), "owner": ctx.instance, "batch_no": batch_no,
                "created_at": now, "updated_at": now}
            bill_id = conn.execute(_claim_statement(conn.dialect.name), params).scalar()
            if bill_id is not None:
                audit(conn, ctx.clock, who, "claim", "bill", bill_id, None, {"bus_no": data["busNo"], "state": "pending"})
                return int(bill_id), False, None
            row = live_by_busno(conn, data["busNo"])
            if row is None:
                return None, False, None
            check_repeat(row, data, digest)
            # Another process's claim: wait for it while that process lives (a sibling serving
            # the same port); take it over at once when it died, lookup first.
            if row["state"] == "pending" and row["owner"] != ctx.instance and not ctx.owner_alive(row["owner"]):
                res = conn.execute(update(bills).where(and_(bills.c.id == row["id"], bills.c.owner == row["owner"]))
                                   .values(owner=ctx.instance, updated_at=now))
                if res.rowcount == 1:
                    audit(conn, ctx.clock, who, "claim_takeover", "bill", row["id"], public(row),
                          {"owner": ctx.instance})
                    return int(row["id"]), True, None
            return None, False, row

    def issue(self, method: str, data: dict[str, Any], who: Actor, *,
              batch_no: str | None = None) -> dict[str, Any]:
        """Issue (or return the existing bill for) ``data['busNo']``; the B-1 answer.

        :param data: the request as validated at the edge (sync_server.bills.validation.validate).
        :param batch_no: the batch the bill belongs to (batch issuing, spec §4).
        """
        # Real waiting for another thread's claim: monotonic time and real sleeps, not the
        # context's clock (a ManualClock in a test would never let this deadline pass).
        deadline = time.monotonic() + self.ctx.config.busy_wait
        digest = Digest(data)
        while True:
            bill_id, takeover, row = self._claim(method, data, who, batch_no, digest)
            if bill_id is not None:
                try:
                    return self._resolve(method, data, who, bill_id, lookup_first=takeover)
                except Exception:
                    self._orphan_if_pending(bill_id, who)
                    raise
            if row is not None and row["state"] != "pending":
                return issue_answer(row)
            if time.monotonic() > deadline:
                raise BusyError()
            time.sleep(_POLL)
            with read_tx(self.ctx.engine) as conn:
                row = live_by_busno(conn, data["busNo"])
            if row is not None:
                check_repeat(row, data, digest)
            if row is not None and row["state"] != "pending":
                return issue_answer(row)

    def _orphan_if_pending(self, bill_id: int, who: Actor) -> None:
        """A claim whose request failed unexpectedly is left ownerless, so the next request for the
        busNo (or the worker) takes it over, lookup first, instead of waiting for ever."""
        try:
            with write_tx(self.ctx.engine) as conn:
                res = conn.execute(update(bills).where(and_(bills.c.id == bill_id, bills.c.state == "pending",
                                                            bills.c.owner == self.ctx.instance)).values(owner=None))
                if res.rowcount:
                    audit(conn, self.ctx.clock, who, "claim_orphan", "bill", bill_id, {"state": "pending"},
                          {"state": "pending", "owner": None})
        except Exception:  # noqa: BLE001 - best effort; the worker resolves stale claims anyway
            log.exception("could not release claim %s", bill_id)

    # -- platform ---------------------------------------------------------------------------
    def _release(self, bill_id: int, who: Actor, reason: str) -> None:
        """Drop a pending claim after the platform refused the bill: nothing stays written."""
        with write_tx(self.ctx.engine) as conn:
            release(conn, bill_id)
            audit(conn, self.ctx.clock, who, "claim_release", "bill", bill_id, {"state": "pending"},
                  {"state": "released", "reason": reason[:200]})

    def _record(self, bill_id: int, who: Actor, answer: dict[str, Any],
                data: dict[str, Any] | None = None) -> dict[str, Any]:
        with write_tx(self.ctx.engine) as conn:
            row = mark_issued(conn, self.ctx.clock, who, bill_id, answer, data=data)
        return issue_answer(row, answer)

    def _emergency(self, method: str, data: dict[str, Any], who: Actor, bill_id: int, in_doubt: bool) -> dict[str, Any]:
        sign_value = signing.sign_bill(self.ctx, data)  # outside the write lock: needs no number
        try:
            with write_tx(self.ctx.engine) as conn:
                emergency.issue_locally(self.ctx, conn, who, bill_id, method, data, in_doubt=in_doubt,
                                        sign_value=sign_value)
                row = dict(by_id(conn, bill_id))
            answer = issue_answer(row)
        except BillingError as exc:
            # No stock: the claim must not block the busNo. Not sent -> drop it; in doubt -> leave
            # it ownerless so the next request for this busNo takes it over, lookup first.
            if not in_doubt:
                self._release(bill_id, who, exc.message)
            else:
                with write_tx(self.ctx.engine) as conn:
                    conn.execute(update(bills).where(bills.c.id == bill_id).values(owner=None))
                    audit(conn, self.ctx.clock, who, "claim_orphan", "bill", bill_id, {"state": "pending"},
                          {"state": "pending", "owner": None, "reason": exc.message[:200]})
            raise
        self.ctx.wake.set()
        return answer

    def _resolve(self, method: str, data: dict[str, Any], who: Actor, bill_id: int, *,
                 lookup_first: bool) -> dict[str, Any]:
        """Ask the platform client for the outcome (connectors.policy: lookup before any re-send)
        and turn it into the claim's fate: recorded, released, or issued from emergency stock."""
        out = self.ctx.upstream.resolve_issue(method, data, lookup_first=lookup_first)
        if out.kind is Outcome.ISSUED:
            assert out.payload is not None
            return self._record(bill_id, who, out.payload, data)
        if out.kind is Outcome.RECOVERED:
            assert out.payload is not None
            return self._record(bill_id, who, out.payload)
        if out.kind is Outcome.REJECTED:
            assert out.error is not None
            self._release(bill_id, who, out.error.message)
            raise out.error
        # not sent: nothing on the platform; in doubt: it may hold the bill (carry-forward decides)
        return self._emergency(method, data, who, bill_id, in_doubt=out.kind is Outcome.IN_DOUBT)
