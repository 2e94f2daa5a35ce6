"""Our emergency-billing extensions of the finance platform interface (spec §17).

These methods are NOT in the vendor's V3.2.0 HIS interface. They are kept in this one module so
that a deployment against a real platform can map them to its vendor's equivalent (the
platform console's 应急库存 / 应急开票数据结转) without touching the rest of the connector.

:class:`FinanceExtClient` is reached through the platform client's ``ext`` accessor
(:class:`sync_server.connectors.policy.PlatformClient`), so the extension calls share the account,
the connection pool and the circuit breaker of every other call; the carry-forward's outcome
(:meth:`FinanceExtClient.carry_forward`) is decided here, in the connector, like issuing's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from billing_core import methods
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected
from sync_server.connectors.finance_transport import Payload, as_payload

#: Simulator codes answering an upload conflict (same number with other content; busNo taken).
CONFLICT_CODES = ("E4012", "E4014")


class _Client(Protocol):
    """What the extensions need of the platform client (sync_server.connectors.policy)."""

    def call(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None,
             headers: Mapping[str, str] | None = None, idem_key: str | None = None) -> Any: ...

    def lookup_bus_no(self, bus_no: str, bus_date_time: str = "") -> Payload | None: ...


@dataclass(frozen=True, slots=True)
class CarryOutcome:
    """The platform outcome of a carry-forward (``uploadEmergencyEBill``).

    :ivar kind: ``carried`` (accepted, or the platform already holds this very bill),
        ``conflict`` (the platform holds another bill for the busNo: ``payload`` is that bill) or
        ``refused`` (refused, and the platform holds no bill for the busNo).
    :ivar payload: the platform's answer or bill; None when refused.
    :ivar error: the refusal behind ``conflict`` / ``refused``.
    """

    kind: str
    payload: Payload | None = None
    error: PlatformRejected | None = None


class FinanceExtClient:
    """The §17 extension calls over an existing platform client (same account, same session)."""

    def __init__(self, client: _Client) -> None:
        self.client = client

    def emergency_stock_out(self, place_code: str, count: int, operator: str, *, bill_code: str = "",
                            remark: str = "") -> Payload:
        """Reserve a contiguous block of official numbers for emergency use at a billing point.

        Sent once: a lost answer may have reserved a block, which only costs numbers (the block
        is simply unused), never a duplicate bill. Answer:
        ``{billCode, billBatchCode, billBgnNo, billEndNo, reserveTime}``.
        """
        data: dict[str, Any] = {"placeCode": place_code, "count": str(count), "operator": operator}
        if bill_code:
            data["billCode"] = bill_code
        if remark:
            data["remark"] = remark
        return as_payload(methods.EMERGENCY_STOCK_OUT, self.client.call(methods.EMERGENCY_STOCK_OUT, data))

    def emergency_stock_return(self, place_code: str, bill_batch_code: str, bgn_no: str, end_no: str,
                               reason: str) -> Any:
        """Give unused emergency numbers back; they are void for ever. Idempotent on the platform
        only in effect (a repeat is refused as already returned), so it is sent once."""
        return self.client.call(methods.EMERGENCY_STOCK_RETURN, {
            "placeCode": place_code, "billBatchCode": bill_batch_code, "billBgnNo": bgn_no,
            "billEndNo": end_no, "reason": reason,
        })

    def upload_emergency_ebill(self, upload: Mapping[str, Any], *, idem_key: str | None = None,
                               resend_in_doubt: bool = True) -> Payload:
        """Carry an emergency bill forward (billType, bill, billBatchCode, billNo, random,
        issueTime, terminalId, signValue).

        Idempotent on the platform (the same number with the same content answers the recorded
        bill), so a lost answer is resolved by sending the same upload again: at once
        (``resend_in_doubt``), or later by the caller (the server's outbox re-sends it with its
        backoff, and raises nothing twice at once).

        :raises PlatformRejected: with ``code`` in :data:`CONFLICT_CODES` for a conflict; the
            message then names the bill the platform already holds.
        """
        try:
            answer = self.client.call(methods.UPLOAD_EMERGENCY_EBILL, upload, idem_key=idem_key)
        except PlatformInDoubt:
            if not resend_in_doubt:
                raise
            answer = self.client.call(methods.UPLOAD_EMERGENCY_EBILL, upload, idem_key=idem_key)
        return as_payload(methods.UPLOAD_EMERGENCY_EBILL, answer)

    def carry_forward(self, upload: Mapping[str, Any], *, idem_key: str | None = None) -> CarryOutcome:
        """Upload once; a refusal is resolved by ``getEBillByBusNo``: the same number means it was
        carried already, another bill is a conflict (the platform's bill is kept by the caller).

        :raises PlatformUnreachable: the upload or the lookup did not get an answer (retry later).
        """
        try:
            return CarryOutcome("carried", self.upload_emergency_ebill(upload, idem_key=idem_key,
                                                                       resend_in_doubt=False))
        except PlatformRejected as exc:
            bill = upload.get("bill") or {}
            found = self.client.lookup_bus_no(str(bill.get("busNo", "")), str(bill.get("busDateTime", "")))
            if found is None:
                return CarryOutcome("refused", error=exc)
            if (found.get("billBatchCode"), found.get("billNo")) == (upload.get("billBatchCode"), upload.get("billNo")):
                return CarryOutcome("carried", found, error=exc)
            return CarryOutcome("conflict", found, error=exc)

    @staticmethod
    def is_conflict(exc: PlatformRejected) -> bool:
        """True when an upload was refused because the platform holds another bill."""
        return exc.code in CONFLICT_CODES
