"""Our emergency-billing extensions of the finance platform interface (spec §17).

These methods are NOT in the vendor's V3.2.0 HIS interface. They are kept in this one module so
that a deployment against a real platform can map them to its vendor's equivalent (the
platform console's 应急库存 / 应急开票数据结转) without touching the rest of the connector.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core import methods
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected
from sync_server.connectors.finance import FinanceClient, Payload

#: Simulator codes answering an upload conflict (same number with other content; busNo taken).
CONFLICT_CODES = ("E4012", "E4014")


class FinanceExtClient:
    """The §17 extension calls over an existing :class:`FinanceClient` (same account, same session)."""

    def __init__(self, client: FinanceClient) -> None:
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
        return self.client.call(methods.EMERGENCY_STOCK_OUT, data)

    def emergency_stock_return(self, place_code: str, bill_batch_code: str, bgn_no: str, end_no: str,
                               reason: str) -> Any:
        """Give unused emergency numbers back; they are void for ever. Idempotent on the platform
        only in effect (a repeat is refused as already returned), so it is sent once."""
        return self.client.call(methods.EMERGENCY_STOCK_RETURN, {
            "placeCode": place_code, "billBatchCode": bill_batch_code, "billBgnNo": bgn_no,
            "billEndNo": end_no, "reason": reason,
        })

    def upload_emergency_ebill(self, upload: Mapping[str, Any]) -> Payload:
        """Carry an emergency bill forward (billType, bill, billBatchCode, billNo, random,
        issueTime, terminalId, signValue).

        Idempotent on the platform (the same number with the same content answers the recorded
        bill), so a lost answer is resolved by sending the same upload again once.

        :raises PlatformRejected: with ``code`` in :data:`CONFLICT_CODES` for a conflict; the
            message then names the bill the platform already holds.
        """
        try:
            return self.client.call(methods.UPLOAD_EMERGENCY_EBILL, upload)
        except PlatformInDoubt:
            return self.client.call(methods.UPLOAD_EMERGENCY_EBILL, upload)

    @staticmethod
    def is_conflict(exc: PlatformRejected) -> bool:
        """True when an upload was refused because the platform holds another bill."""
        return exc.code in CONFLICT_CODES
