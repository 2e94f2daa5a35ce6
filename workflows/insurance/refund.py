"""The cancel chain of an insured order (docs/INSURANCE.md §13.3), a mixin of
:class:`workflows.insurance.flow.InsuredFlow`: the forward steps undone in reverse order — checks
before anything moves (voucher not used for reimbursement, no paper), the e-bill written off red,
insCancel, the cash refunded to its channel last — each step recorded so a retry continues.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from billing_core import methods
from billing_core.clock import Clock, ts17
from billing_core.errors import PlatformError
from offline_store import ins_orders
from offline_store.db import Database
from offline_store.ins_orders import InsOrder
from workflows.errors import LinkError
from workflows.insurance.cash import CashDesk
from workflows.insurance.client import InsuranceApi
from workflows.insurance.errors import (
    CancelIncompleteError,
    InsuredFlowError,
    OrderStateError,
    RefundRefusedError,
)
from workflows.issuing import IssuingWorkflow
from workflows.server_api import HisApi

#: Steps of the cancel chain, in order.
STEP_BILL_RED, STEP_CANCEL, STEP_CASH, STEP_VOUCHER_RED = "bill_red", "ins_cancelled", "cash_refunded", "voucher_red"


class CancelChain:
    """The refund of :class:`~workflows.insurance.flow.InsuredFlow` (which provides these)."""

    api: InsuranceApi
    db: Database
    issuing: IssuingWorkflow
    his: HisApi
    place_code: str
    operator: str
    clock: Clock
    _move: Callable[..., InsOrder]

    def refund(self, order_no: str, cash: CashDesk, reason: str) -> InsOrder:
        """The cancel chain of a settled order (module docstring); a retry continues after the last
        step done.

        :raises RefundRefusedError: the voucher was used for reimbursement or the bill has paper.
        :raises CancelIncompleteError: a step failed; what was done is recorded.
        """
        if not reason.strip():
            raise InsuredFlowError("退费原因不能为空")
        order = ins_orders.get(self.db, order_no)
        if order.state in ("settled", "billed", "done"):
            self._refund_checks(order)
            order = self._move(order, "cancelling", reason.strip(), message=reason.strip()[:200], steps=[])
        if order.state != "cancelling":
            raise OrderStateError(f"医保结算单{order_no}处于{order.state}，不能退费")
        steps = list(order.steps)
        if STEP_BILL_RED not in steps:
            self._write_off(order, reason)
            steps.append(STEP_BILL_RED)
            order = self._move(order, "cancelling", "电子票据已冲红", steps=steps)
        if STEP_CANCEL not in steps:
            self._cancel_settlement(order)
            steps.append(STEP_CANCEL)
            order = self._move(order, "cancelling", "医保结算已撤销", steps=steps)
        if STEP_CASH not in steps:
            if order.cash_fen > 0:
                result = cash.refund(order.cash_trade_no, order.cash_fen, reason.strip())
                if not result.paid:
                    raise CancelIncompleteError(f"现金退款未完成：{result.message}")
            steps.append(STEP_CASH)
            order = self._move(order, "cancelling", "现金已原路退回", steps=steps)
        if order.voucher and order.bill.get("billNo") and STEP_VOUCHER_RED not in steps:
            # the voucher centre learns of the refund: a red-flush voucher of the red bill (queued
            # on the server behind the original); the patient's money is already back
            try:
                self.api.voucher_red(_sid(order))
            except (PlatformError, LinkError) as exc:
                raise CancelIncompleteError(f"已退费，冲红电子结算凭证暂未提交（{exc}），请稍后继续") from exc
            steps.append(STEP_VOUCHER_RED)
        return self._move(order, "cancelled", steps=steps)

    def _refund_checks(self, order: InsOrder) -> None:
        """Before anything moves: the voucher is not used for reimbursement; the bill has no paper."""
        try:
            if order.voucher:  # a voucher still in the server's outbox is not at the centre yet: nothing to ask
                status = self.api.voucher_status(_sid(order))
                if status.state == "uploaded":
                    status = self.api.voucher_status(_sid(order), refresh=True)
                if status.reimbursed:
                    raise RefundRefusedError("该结算的电子结算凭证已用于报销，不能退费")
            bill = order.bill
            if bill.get("billNo") and not bill.get("emergency"):
                st: Any = self.his.call(methods.GET_EBILL_STATES_BY_BILL_INFO,
                                        {"billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"]})
                if st.get("isPrtPaper") == "1" and st.get("isScarlet") != "1":
                    raise RefundRefusedError("该电子票据已换开纸质票据，请先到窗口作废纸质票据再退费")
        except (PlatformError, LinkError) as exc:
            if isinstance(exc, RefundRefusedError):
                raise
            raise CancelIncompleteError(f"退费前核查失败，未做任何变更：{exc}") from exc

    def _cancel_settlement(self, order: InsOrder) -> None:
        sid = _sid(order)
        try:
            self.api.cancel(sid)
        except (PlatformError, LinkError) as exc:
            # a cancel whose answer was lost may have happened: the record says; a record that
            # cannot be read proves nothing, and the cancel's own failure is what is reported
            with suppress(PlatformError, LinkError):
                if self.api.query(sid).state == "cancelled":
                    return
            raise CancelIncompleteError(f"电子票据已冲红，撤销医保结算失败（{exc}），请稍后继续退费") from exc

    def _write_off(self, order: InsOrder, reason: str) -> None:
        bill = order.bill
        if not bill.get("billNo"):
            return  # never billed
        data = {"reason": reason.strip(), "operator": self.operator, "busDateTime": ts17(self.clock.now()),
                "placeCode": self.place_code}
        try:
            if bill.get("emergency"):
                self.issuing.queue_write_off(order.bus_no, data)
                return
            self.his.call(methods.WRITE_OFF_EBILL, {"billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"]}
                          | data)
        except (PlatformError, LinkError) as exc:
            # a write-off whose answer was lost may have happened: the bill's state says (unreadable:
            # unproven, the write-off's own failure is reported)
            with suppress(PlatformError, LinkError):
                st: Any = self.his.call(methods.GET_EBILL_STATES_BY_BILL_INFO,
                                        {"billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"]})
                if st.get("isScarlet") == "1":
                    return
            raise CancelIncompleteError(f"电子票据冲红失败（{exc}），医保结算与现金均未变动") from exc


def _sid(order: InsOrder) -> int:
    if order.settlement_id is None:
        raise OrderStateError(f"医保结算单{order.order_no}没有医保结算记录")
    return order.settlement_id
