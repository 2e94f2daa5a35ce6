"""The platform calls of the bill-stock lifecycle (issue 18 §2; docs/STOCK.md).

Two groups, kept in this one module so that a deployment against a real platform maps them in
one place:

* our extensions (billing_core.methods.STOCK_EXTENSIONS, not in the vendor's interface):
  ``applyBillStock``, ``getBillStockApply``, ``confirmBillStockIn``, ``returnBillStock``,
  ``invalidUnitBillStock``;
* the vendor's paper-stock methods (spec §7, §8): ``billStockOut`` / ``billStockReturn`` move a
  range between the unit and a billing point, ``invalidBlankBillNo`` voids a point's blank paper.

Every change is sent once (``call``); the lifecycle decides what a lost answer means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from billing_core import methods
from billing_core.clock import ts17
from sync_server.connectors.finance_transport import Payload, as_payload


class _Client(Protocol):
    def call(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None,
             headers: Mapping[str, str] | None = None, idem_key: str | None = None) -> Any: ...


def item(bill_code: str, batch: str, bgn: str, end: str) -> dict[str, str]:
    """One ``billNoList`` entry (copyNum = the range's length)."""
    return {"billCode": bill_code, "billBatchCode": batch, "billBgnNo": bgn, "billEndNo": end,
            "copyNum": str(int(end) - int(bgn) + 1)}


class FinanceStockClient:
    """Stock calls over an existing platform client (same account, pool and breaker)."""

    def __init__(self, client: _Client) -> None:
        self.client = client

    def apply(self, apply_no: str, bill_code: str, count: int, applicant: str, reason: str) -> Payload:
        """票据申领 (idempotent on applyNo at the platform)."""
        return as_payload(methods.APPLY_BILL_STOCK, self.client.call(methods.APPLY_BILL_STOCK, {
            "applyNo": apply_no, "billCode": bill_code, "count": str(count), "applicant": applicant,
            "reason": reason}))

    def get_apply(self, apply_no: str) -> Payload:
        """The application's state and, once approved, its numbers."""
        return as_payload(methods.GET_BILL_STOCK_APPLY,
                          self.client.call(methods.GET_BILL_STOCK_APPLY, {"applyNo": apply_no}))

    def confirm(self, apply_no: str, operator: str) -> Any:
        """入库确认 (a repeat answers success)."""
        return self.client.call(methods.CONFIRM_BILL_STOCK_IN, {"applyNo": apply_no, "operator": operator})

    def give_back(self, entry: dict[str, str], returner: str, reason: str) -> Any:
        """申退 of unit stock."""
        return self.client.call(methods.RETURN_BILL_STOCK, {"billNoList": [entry], "returner": returner,
                                                            "reason": reason})

    def void_unit(self, entry: dict[str, str], author: str, reason: str) -> Any:
        """库存作废 of unit stock."""
        return self.client.call(methods.INVALID_UNIT_BILL_STOCK, {"billNoList": [entry], "author": author,
                                                                  "reason": reason})

    def stock_out(self, place_code: str, entry: dict[str, str], operator: str, remark: str = "") -> Any:
        """billStockOut: unit -> billing point."""
        return self.client.call(methods.BILL_STOCK_OUT, {"placeCode": place_code, "operator": operator,
                                                         "remark": remark, "billNoList": [entry]})

    def stock_return(self, place_code: str, entry: dict[str, str], returner: str, reason: str) -> Any:
        """billStockReturn: billing point -> unit."""
        return self.client.call(methods.BILL_STOCK_RETURN, {"placeCode": place_code, "returner": returner,
                                                            "reason": reason, "remark": "",
                                                            "billNoList": [entry]})

    def void_blank(self, place_code: str, entry: dict[str, str], author: str, reason: str, now: Any) -> Any:
        """invalidBlankBillNo: a point's unused paper voided."""
        return self.client.call(methods.INVALID_BLANK_BILL_NO, {
            "pBillBatchCode": entry["billBatchCode"], "pBillNoStart": entry["billBgnNo"],
            "pBillNoEnd": entry["billEndNo"], "placeCode": place_code, "author": author, "reason": reason,
            "busDateTime": ts17(now)})
