"""The platform-call policy (DESIGN.md §3, spec §3.6): the one place that decides how a call to the
finance platform is sent, re-sent or resolved after a failure. The sync server holds one
:class:`PlatformClient` (``ServerContext.upstream``, a :class:`~sync_server.connectors.finance.FinanceClient`)
and every room asks it for the platform outcome: issuing (his/issuing.py), delivery of queued
changes and carry-forwards (his/changes.py, emergency/carry.py, emergency/carry_pool.py) and the
emergency stock (stock/emergency_stock.py, emergency/terminal_stock.py).

* **every call** passes the circuit breaker (billing_core.breaker): after ``failure_threshold``
  refusals to connect in a row — requests certainly not sent; an in-doubt failure does not count —
  calls fail at once as "not sent" for the open wait, then go out again. During an outage each HIS
  request goes straight to emergency issuing instead of paying a connection attempt first.
* **issuing** (:meth:`PlatformClient.resolve_issue`) is sent once and answers a typed
  :class:`IssueOutcome`: not sent -> ``NOT_SENT`` (safe for emergency issuing, no lookup); answer
  lost -> ``getEBillByBusNo`` first, the found bill is ``RECOVERED``, a re-send happens only after
  a not-found answer, and a lookup that fails leaves it ``IN_DOUBT``; a refusal (the
  ``duplicate_busno=reject`` knob among others) is answered by a lookup too: the bill the platform
  holds is ``RECOVERED``, otherwise ``REJECTED``.
* **write-off** re-sent after a lost answer checks ``getEBillStatesByBillInfo`` first
  (:meth:`PlatformClient.write_off`); **batch issuing** is re-sent only when
  ``getBatchInvoiceEBill`` does not know the batch (:meth:`PlatformClient.batch_issue`).
* **queries** are retried ``query_retries`` times after transport failures (the server sets 0: the
  HIS on the other side waits, and retries itself); **every other change** is sent exactly once.
* the **§17 extensions** are reached through :attr:`PlatformClient.ext` (same account, pool and
  breaker).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from billing_core import methods
from billing_core.breaker import Breaker
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected, PlatformUnreachable
from sync_server.connectors.finance_ext import FinanceExtClient
from sync_server.connectors.finance_transport import (
    BATCH_METHODS,
    ISSUE_METHODS,
    QUERY_METHODS,
    FinanceTransport,
    Payload,
    as_payload,
    log,
)


class Outcome(enum.Enum):
    """How an issuing request ended on the platform."""

    ISSUED = "issued"  # answered directly
    RECOVERED = "recovered"  # the platform's bill for the busNo, found by getEBillByBusNo
    NOT_SENT = "not_sent"  # never reached the platform: nothing committed there
    IN_DOUBT = "in_doubt"  # may have been committed; the lookup could not tell
    REJECTED = "rejected"  # refused, and the platform holds no bill for the busNo


@dataclass(frozen=True, slots=True)
class IssueOutcome:
    """The platform outcome of one issuing request.

    :ivar kind: see :class:`Outcome`.
    :ivar payload: the bill (issue answer, or the getEBillByBusNo answer when recovered); None on failure.
    :ivar error: the failure behind NOT_SENT / IN_DOUBT / REJECTED.
    :ivar attempts: how many issuing requests were sent (0 when the lookup came first and found it).
    """

    kind: Outcome
    payload: Payload | None = None
    error: PlatformUnreachable | PlatformRejected | None = None
    attempts: int = 0

    @property
    def recovered(self) -> bool:
        """True when the bill was found by busNo instead of being answered directly."""
        return self.kind is Outcome.RECOVERED

    @property
    def ok(self) -> bool:
        """True when the platform holds the bill (issued or recovered)."""
        return self.kind in (Outcome.ISSUED, Outcome.RECOVERED)

    def result(self) -> IssueOutcome:
        """This outcome when the bill exists; otherwise its error is raised."""
        if self.ok:
            return self
        assert self.error is not None
        raise self.error


class PlatformClient(FinanceTransport):
    """The finance platform client with the safety policy; constructor as
    :class:`~sync_server.connectors.finance_transport.FinanceTransport`, plus:

    :param breaker: the circuit breaker every call passes (None: no breaker, e.g. tools and tests).
    """

    def __init__(self, *args: Any, breaker: Breaker | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = breaker
        self._ext = FinanceExtClient(self)

    # ------------------------------------------------------------------ every call

    def call(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None,
             headers: Mapping[str, str] | None = None, idem_key: str | None = None) -> Any:
        """Send one request exactly once (through the breaker); the decoded success payload.

        :param idem_key: sent as the ``Idempotency-Key`` HTTP header (outbox deliveries).
        :raises PlatformUnreachable: not sent (also while the breaker is open);
            :raises PlatformInDoubt: sent, answer lost; :raises PlatformRejected: refused.
        """
        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            raise PlatformUnreachable("财政电子票据平台不可达（熔断中，请求未发出）", method=method)
        if idem_key:
            headers = {**(headers or {}), "Idempotency-Key": idem_key}
        try:
            answer = super().call(method, data, timeout=timeout, headers=headers)
        except PlatformUnreachable as exc:
            if breaker is not None:
                # only a refusal to connect counts: an in-doubt request reached the platform
                breaker.success() if exc.in_doubt else breaker.failure()
            raise
        except Exception:
            if breaker is not None:
                breaker.success()  # the platform answered (a refusal is an answer)
            raise
        if breaker is not None:
            breaker.success()
        return answer

    def is_open(self) -> bool:
        """True while the breaker short-circuits calls (the platform refused connections)."""
        return self.breaker is not None and self.breaker.is_open()

    @property
    def ext(self) -> FinanceExtClient:
        """The §17 emergency extensions over this client (same account, pool and breaker)."""
        return self._ext

    def forward(self, method: str, data: Mapping[str, Any]) -> Any:
        """Call ``method`` by name with its safety policy (see the module docstring)."""
        if method in ISSUE_METHODS:
            return self.resolve_issue(method, data).result().payload
        if method in BATCH_METHODS:
            return self.batch_issue(method, data)
        if method == methods.WRITE_OFF_EBILL:
            return self.write_off_ebill(data)
        if method in QUERY_METHODS:
            return self.query(method, data)
        return self.call(method, data)

    # ------------------------------------------------------------------ issuing

    def lookup_bus_no(self, bus_no: str, bus_date_time: str = "") -> Payload | None:
        """getEBillByBusNo: the platform's bill, or None when it answered without one (any refusal
        counts as "no bill": the decision to re-send rests on the platform's answer).

        :raises PlatformUnreachable: the lookup itself failed (the busNo stays in doubt).
        """
        try:
            found = self.query(methods.GET_EBILL_BY_BUS_NO, {"busNo": bus_no, "busDateTime": bus_date_time})
        except PlatformRejected:
            return None
        return found if isinstance(found, dict) and found.get("billNo") else None

    def resolve_issue(self, method: str, bill: Mapping[str, Any], *, lookup_first: bool = False) -> IssueOutcome:
        """Issue one bill, idempotently on its busNo; never raises a platform error.

        :param lookup_first: a previous request for the busNo may have been sent (a dead
            process's claim): ask getEBillByBusNo before sending anything.
        """
        bus_no, bus_dt = str(bill.get("busNo", "")), str(bill.get("busDateTime", ""))
        attempts = 0
        if not lookup_first:
            attempts = 1
            try:
                return IssueOutcome(Outcome.ISSUED, self.call(method, bill), attempts=1)
            except PlatformRejected as exc:
                # a duplicate-busNo refusal (and any unknown one) may hide a bill the platform holds
                try:
                    found = self.lookup_bus_no(bus_no, bus_dt)
                except PlatformUnreachable:
                    found = None
                if found is not None:
                    return IssueOutcome(Outcome.RECOVERED, found, attempts=1)
                return IssueOutcome(Outcome.REJECTED, error=exc, attempts=1)
            except PlatformUnreachable as exc:
                if not exc.in_doubt:
                    return IssueOutcome(Outcome.NOT_SENT, error=exc, attempts=1)
        # answer lost (or a dead process's request): ask first, re-send only on not-found
        try:
            found = self.lookup_bus_no(bus_no, bus_dt)
        except PlatformUnreachable as exc:
            doubt = PlatformInDoubt(f"开票结果不确定且无法查询：busNo={bus_no}", method=method)
            doubt.__cause__ = exc
            return IssueOutcome(Outcome.IN_DOUBT, error=doubt, attempts=attempts)
        if found is not None:
            log.info("finance %s busNo=%s recovered by getEBillByBusNo", method, bus_no)
            return IssueOutcome(Outcome.RECOVERED, found, attempts=attempts)
        attempts += 1
        try:
            return IssueOutcome(Outcome.ISSUED, self.call(method, bill), attempts=attempts)
        except PlatformRejected as exc:
            return IssueOutcome(Outcome.REJECTED, error=exc, attempts=attempts)
        except PlatformUnreachable as exc:
            kind = Outcome.IN_DOUBT if exc.in_doubt else Outcome.NOT_SENT
            return IssueOutcome(kind, error=exc, attempts=attempts)

    def issue(self, method: str, bill: Mapping[str, Any]) -> IssueOutcome:
        """:meth:`resolve_issue`, raising the failure (the typed client's form).

        :raises PlatformUnreachable: not sent; :raises PlatformInDoubt: may have been committed;
            :raises PlatformRejected: refused, no bill for the busNo.
        """
        return self.resolve_issue(method, bill).result()

    def batch_issue(self, method: str, data: Mapping[str, Any]) -> Any:
        """Send a batch (≤200 bills); re-sent only when getBatchInvoiceEBill does not know it."""
        batch_no = str(data.get("batchNo", ""))
        try:
            return self.call(method, data)
        except PlatformInDoubt as lost:
            try:
                self.query(methods.GET_BATCH_INVOICE_EBILL, {"batchNo": batch_no})
                return "成功"
            except PlatformRejected as exc:
                if exc.code not in self.batch_not_found_codes:
                    raise
            except PlatformUnreachable as exc:
                raise PlatformInDoubt(f"批量开票结果不确定且无法查询：batchNo={batch_no}", method=method) from exc
            log.info("finance %s batchNo=%s unknown after a lost answer: re-sent", method, batch_no)
            try:
                return self.call(method, data)
            except PlatformUnreachable as exc:
                raise PlatformInDoubt(str(exc.message), method=method) from lost

    # ------------------------------------------------------------------ red-flush

    def red_bill_of(self, bill_batch_code: str, bill_no: str) -> Payload | None:
        """The red bill of an already red-flushed bill, in the writeOffEBill answer's shape; None
        when the bill is not red-flushed (or the platform refuses to tell).

        :raises PlatformUnreachable: the state could not be read.
        """
        try:
            states = self.query(methods.GET_EBILL_STATES_BY_BILL_INFO, {"billBatchCode": bill_batch_code, "billNo": bill_no})
        except PlatformRejected:
            return None
        if not isinstance(states, dict) or str(states.get("isScarlet")) != "1":
            return None
        return {
            "eScarletBillBatchCode": states.get("scarletBillBatchCode", ""),
            "eScarletBillNo": states.get("scarletBillNo", ""),
            "eScarletRandom": states.get("scarletRandom", ""),
            "createTime": states.get("scarletCreateTime", ""),
            "billQRCode": states.get("scarletBillQRCode", ""),
            "pictureUrl": "", "pictureNetUrl": "",
        }

    def write_off(self, method: str, data: Mapping[str, Any], *, check_first: bool,
                  idem_key: str | None = None) -> Any:
        """Red-flush (``writeOffEBill`` / ``writeOffEBillToPaper``) once.

        :param check_first: an earlier attempt may have been applied with its answer lost: the
            bill's state is read first and an existing red bill answered instead of re-sending.
        """
        if check_first and data.get("billBatchCode"):
            red = self.red_bill_of(str(data["billBatchCode"]), str(data.get("billNo", "")))
            if red is not None:
                return red
        return self.call(method, data, idem_key=idem_key)

    def write_off_ebill(self, data: Mapping[str, Any]) -> Payload:
        """Red-flush a whole bill; after a lost answer the state is checked before re-sending."""
        try:
            answer = self.call(methods.WRITE_OFF_EBILL, data)
        except PlatformInDoubt:
            try:
                red = self.red_bill_of(str(data.get("billBatchCode", "")), str(data.get("billNo", "")))
            except PlatformUnreachable as exc:
                raise PlatformInDoubt("冲红结果不确定且无法查询", method="writeOffEBill") from exc
            if red is not None:
                return red
            log.info("finance writeOffEBill %s not red-flushed after a lost answer: re-sent", data.get("billNo"))
            answer = self.call(methods.WRITE_OFF_EBILL, data)
        return as_payload(methods.WRITE_OFF_EBILL, answer)
