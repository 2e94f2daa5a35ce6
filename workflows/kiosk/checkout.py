"""The kiosk's money path: one order from payment to printed receipt, durable at every step.

A kiosk ORDER (``order_no`` = the payment platform's ``out_trade_no`` = the HIS ``requestId``,
amount, flow, patient id, pay method, state) is written to the kiosk's store *before* the payment
call (offline_store.kiosk_orders). States only move forward, each move committed before the next
outside call::

    created --pay--> paid --HIS--> settled --issue--> billed --print--> printed
       |               |
       |               +--HIS refused--> refunding --refund--> refunded
       +--not paid / payment failed--> failed

Prepayment-account payments and HIS calls without money (check-in) skip ``paid``: the HIS debit
is the payment. On start :meth:`Checkout.resume` walks every unfinished order: a ``created``
order asks the platform by ``out_trade_no`` (paid -> go on; not paid -> closed, failed), a
``paid`` order asks the HIS by ``requestId`` (the same call is resent with the same id: the HIS
answers the recorded outcome, money moves once), ``settled`` issues the e-bill (idempotent on
busNo = settlement number, emergency stock when the server is down), ``billed`` prints. A crash at
any point therefore never charges twice and never loses a paid order.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing_core.clock import Clock
from billing_core.errors import BillingError
from offline_store import kiosk_orders
from offline_store.db import Database
from offline_store.errors import NotFoundError, StoreError
from offline_store.kiosk_orders import KioskOrder
from workflows.events import Events
from workflows.his import HisClient, HisError, HisUnavailable, Settlement
from workflows.issuing import IssuingWorkflow
from workflows.kiosk import billing
from workflows.kiosk.errors import KioskInputError, UnknownOrderError
from workflows.kiosk.events import KIOSK_ORDER, KIOSK_PRINT, KIOSK_PROGRESS
from workflows.kiosk.models import FlowResult, OrderView, PayChoice, PayMethod, ReceiptInfo
from workflows.kiosk.outcome import (
    CST,
    flow_result,
    his_payment,
    order_view,
    print_message,
    receipt_doc,
    settled_fields,
)
from workflows.payment_client import PaymentError
from workflows.payment_session import PaymentSession, PayState

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
#: Flows the HIS takes only as external payments (top-ups, deposits, card, discharge).
EXTERNAL_ONLY = ("register_card", "prepay", "deposit", "discharge")


class OrderState(StrEnum):
    """Durable states of a kiosk order (offline_store.kiosk_orders)."""

    CREATED = "created"      # written before the payment call
    PAID = "paid"            # the platform reported the money received (or cash counted)
    SETTLED = "settled"      # the HIS settled it (settlement number known)
    BILLED = "billed"        # the e-bill (online or emergency) is issued and reported to the HIS
    PRINTED = "printed"      # receipt (and notice) printed: done
    REFUNDING = "refunding"  # the HIS refused after payment: refund in progress
    REFUNDED = "refunded"    # money back on the original channel: done
    FAILED = "failed"        # never paid (closed / payment failed / HIS refused a prepayment debit): done


FINAL_STATES = (OrderState.PRINTED, OrderState.REFUNDED, OrderState.FAILED)

#: A HIS money call for one order: ``(request_id, his_payment) -> Settlement-like answer``. The
#: checkout builds ``his_payment`` (workflows.his.Payment) from the pay choice and the paid order.
HisCall = Callable[[str, Any], Any]


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a flow asks the checkout to collect and settle.

    :ivar flow: the function name (workflows.kiosk.functions), e.g. ``outpatient``.
    :ivar amount: what the patient pays now (yuan, two places); 0 for a no-money step.
    :ivar subject: the payment's 商品名称 (挂号费, 门诊缴费 …).
    :ivar operation: the HIS operation name (``outpatient.settle`` …): recorded so
        :meth:`Checkout.resume` can resend it after a crash.
    :ivar params: the operation's business fields (JSON-able: patientId, chargeIds …).
    """

    flow: str
    amount: Decimal
    subject: str
    operation: str
    params: dict[str, Any]
    patient_id: str
    #: What the receipt shows besides the order: ``kind`` (print_templates.kiosk_receipts.TITLES),
    #: ``patient`` {name, idNo, card, phone} (stored masked), ``rows`` [[label, value]], ``items``.
    receipt: dict[str, Any] = field(default_factory=dict)


class Checkout:
    """Collect, settle, bill, print — one order at a time, resumable after a crash.

    Built by :func:`workflows.kiosk.builder.build_kiosk`; the session calls :meth:`run` for
    every money flow. Runs I/O: call it off the GUI thread.
    """

    def __init__(self, *, db: Database, his: HisClient, payments: PaymentSession | None,
                 workflow: IssuingWorkflow, receipt_printer: Any | None, events: Events, clock: Clock,
                 cash_enabled: bool = False, qr_channel: str = "aggregate", width_mm: int = 80,
                 fault: billing.FaultHook | None = None, his_attempts: int = 3) -> None:
        self.db, self.his, self.payments, self.workflow = db, his, payments, workflow
        self.printer, self.events, self.clock = receipt_printer, events, clock
        self.cash_enabled, self.qr_channel, self.width_mm = cash_enabled, qr_channel, width_mm
        self.fault, self.his_attempts = fault, his_attempts
        self.retry_delay = 0.3
        self.identity = workflow.identity
        # Orders a live flow is driving right now: resume (the background round) leaves them alone,
        # so a state is never moved by two threads and the live payment session is never shared.
        self._live: set[str] = set()
        self._live_lock = threading.Lock()
        self._resume_lock = threading.Lock()
        # Resume asks about orders nobody waits for any more: a short deadline, then close / reverse.
        self.resume_payments = self._resume_payments = (PaymentSession(payments.client, None, clock=clock, qr_deadline=2.0,
                                                code_deadline=2.0) if payments is not None else None)

    # --- public -------------------------------------------------------------------------------

    def run(self, request: OrderRequest, pay: PayChoice) -> FlowResult:
        """Write the order, take the payment, settle with the HIS (issuer ``terminal``), issue the
        e-bill through the terminal's IssuingWorkflow (busNo = settlement number, placeCode = the
        kiosk's point), report it to the HIS (``ebill.report``), print the receipt and the notice.

        Never raises for payment, HIS, link or printer trouble: the result says what happened
        (``ok`` False with a Chinese message; ``refunded`` when the HIS refused after payment;
        notes for an emergency bill or a receipt that could not be printed). Bad input raises
        :class:`workflows.kiosk.errors.KioskInputError` before anything is written.
        """
        fen, method = self._check(request, pay)
        order = self._create(request, fen, method)
        try:
            if fen == 0:
                pass  # nothing to collect (a discharge covered by the deposit, a free step)
            elif method in (PayMethod.QR, PayMethod.CODE):
                order = self._pay(order, pay)
            elif method is PayMethod.CASH:
                order = self._move(order, "paid", "现金已收", pay_channel="cash")
            return self._drive(order, interactive=True)
        finally:
            with self._live_lock:
                self._live.discard(order.order_no)

    def cancel_payment(self) -> None:
        """The patient pressed 取消 while the QR code / payment-code wait runs (any thread): the
        payment session closes the order; a payment that landed meanwhile still completes."""
        if self.payments is not None:
            self.payments.cancel()

    def resume(self, *, print_billed: bool = True) -> list[FlowResult]:
        """Finish every unfinished order (kiosk start, and the background round): see the module
        docstring. Orders that cannot progress now (HIS or platform unreachable) stay as they are.

        :param print_billed: print the receipts of orders that stopped before printing (at start;
            the background round passes False: nobody is waiting for those at the kiosk).
        """
        if not self._resume_lock.acquire(blocking=False):
            return []  # another round is resuming right now
        try:
            out: list[FlowResult] = []
            for order in kiosk_orders.unfinished(self.db):
                with self._live_lock:
                    if order.order_no in self._live:
                        continue
                if order.state == "billed" and not print_billed:
                    continue
                try:
                    if order.state == "created":
                        order = self._resume_created(order)
                    out.append(self._drive(order, interactive=False, reprint=True))
                except StoreError:  # moved by someone else meanwhile: they finish the order
                    continue
            self._report_pending()
            return out
        finally:
            self._resume_lock.release()

    def orders(self, day: str | None = None) -> list[OrderView]:
        """The kiosk's orders (one CST day ``yyyy-mm-dd``, or all), newest first."""
        return [order_view(o) for o in kiosk_orders.of_day(self.db, day)]

    def order(self, order_no: str) -> OrderView:
        """One order by number. :raises KioskInputError: E3910 unknown order."""
        try:
            return order_view(kiosk_orders.get(self.db, order_no))
        except NotFoundError:
            raise UnknownOrderError(f"没有自助机订单{order_no}") from None

    def bills_of(self, order_no: str) -> list[dict[str, Any]]:
        """The e-bills recorded for an order (settlementNo, billBatchCode, billNo, random,
        emergency, reported, pending)."""
        return list(kiosk_orders.get(self.db, order_no).bills)

    def result_of(self, order_no: str) -> FlowResult:
        """The flow result of a stored order (the result screen after a resume, staff lookups)."""
        try:
            return flow_result(kiosk_orders.get(self.db, order_no))
        except NotFoundError:
            raise UnknownOrderError(f"没有自助机订单{order_no}") from None

    # --- steps --------------------------------------------------------------------------------

    def _check(self, request: OrderRequest, pay: PayChoice) -> tuple[int, PayMethod]:
        amount = request.amount
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
            raise KioskInputError(f"金额有误：{amount}（须为不小于0、最多两位小数的金额）")
        fen = int(amount * 100)
        method = PayMethod(pay.method)
        if fen == 0:
            return 0, method
        if method is PayMethod.PREPAYMENT and request.flow in EXTERNAL_ONLY:
            raise KioskInputError("支付方式：此业务不能用预交金账户支付，请扫码或用付款码支付")
        if method in (PayMethod.QR, PayMethod.CODE) and self.payments is None:
            raise KioskInputError("支付方式：本机未接入统一支付平台，请用预交金账户支付")
        if method is PayMethod.CODE and not pay.auth_code.strip():
            raise KioskInputError("付款码：请出示付款码")
        if method is PayMethod.CASH:
            if not self.cash_enabled:
                raise KioskInputError("支付方式：本机不收现金")
            if pay.cash_fen != fen:
                raise KioskInputError(f"现金：投入{pay.cash_fen / 100:.2f}元，应付{amount}元")
        return fen, method

    @property
    def order_prefix(self) -> str:
        """This kiosk store's order numbers start with it: ``K`` + the terminal id's last 8 letters
        and digits + the store's salt (offline_store.kiosk_orders.store_salt)."""
        terminal = re.sub(r"[^A-Za-z0-9]", "", self.identity.terminal_id)[-8:] or "K"
        return f"K{terminal}{kiosk_orders.store_salt(self.db)}"

    def _create(self, request: OrderRequest, fen: int, method: PayMethod) -> KioskOrder:
        now = self.clock.now().astimezone(CST)
        day = now.strftime("%Y-%m-%d")
        # K + terminal + the store's own 4-character salt (a replaced or restored store never reuses a
        # number another one sent) + yyMMddHHmmss + the day's sequence: at most 29 of out_trade_no's 32.
        order_no = f"{self.order_prefix}{now:%y%m%d%H%M%S}{kiosk_orders.next_seq(self.db, day):04d}"
        pay_method = "none" if fen == 0 else method.value
        with self._live_lock:
            self._live.add(order_no)
        order = kiosk_orders.create(self.db, order_no=order_no, flow=request.flow, subject=request.subject,
                                    operation=request.operation, params=dict(request.params),
                                    patient_id=request.patient_id, amount_fen=fen, pay_method=pay_method,
                                    day=day, at=now.isoformat())
        order = kiosk_orders.advance(self.db, order_no, "created", "created", now.isoformat(),
                                     result={"receipt": request.receipt})
        self._emit(order)
        return order

    def _pay(self, order: KioskOrder, pay: PayChoice) -> KioskOrder:
        assert self.payments is not None
        self.events.emit(KIOSK_PROGRESS, step="paying", text="请完成支付")
        try:
            result = self.payments.pay(order.amount_fen, order.pay_method, pay.auth_code or None, order.subject,
                                       order.order_no, channel=self.qr_channel)
        except BillingError as exc:  # refused before anything was sent (bad payment code, busy session)
            return self._move(order, "failed", exc.code, message=exc.message)
        return self._after_payment(order, result.state, result.message, result.order)

    def _after_payment(self, order: KioskOrder, state: PayState, message: str, status: Any) -> KioskOrder:
        if state is PayState.PAID:
            channel = getattr(status, "pay_channel", "") or getattr(status, "channel", "")
            return self._move(order, "paid", "支付成功", pay_channel=channel,
                              transaction_id=getattr(status, "transaction_id", ""))
        if state in (PayState.FAILED, PayState.NOT_PAID):
            return self._move(order, "failed", message, message=message or "未支付")
        # UNKNOWN: the platform could not be asked; the number is kept and resumed later.
        return kiosk_orders.advance(self.db, order.order_no, order.state, order.state, self._now(),
                                    message="支付结果待确认：" + (message or ""))

    def _resume_created(self, order: KioskOrder) -> KioskOrder:
        if order.pay_method == "cash":
            return self._move(order, "paid", "现金已收（恢复）", pay_channel="cash")
        if order.pay_method in ("qr", "code"):
            if self._resume_payments is None:
                return order
            result = self._resume_payments.resume(order.order_no, order.amount_fen, order.pay_method)
            return self._after_payment(order, result.state, result.message, result.order)
        # prepayment / no money: only what the HIS already did counts (the patient has gone).
        try:
            outcome = self.his.query_request(order.order_no)
        except HisUnavailable:
            return order
        if outcome is None:
            return self._move(order, "failed", "未提交HIS", message="业务未完成（自助机中断），未扣费")
        if not outcome.ok:
            return self._move(order, "failed", outcome.code, message=outcome.msg)
        return self._settled(order, dict(outcome.data or {}))

    def _drive(self, order: KioskOrder, *, interactive: bool, reprint: bool = False) -> FlowResult:
        if order.state == "created" and interactive and order.pay_method in ("prepayment", "none") \
                or order.state == "paid":
            order = self._settle(order)
        if order.state == "refunding":
            order = self._refund(order)
        if order.state == "settled":
            order = self._bill(order)
        if order.state == "billed":
            order = self._print(order, reprint=reprint)
        return flow_result(order)

    def _settle(self, order: KioskOrder) -> KioskOrder:
        self.events.emit(KIOSK_PROGRESS, step="settling", text="正在结算…")
        body = dict(order.params) | {"requestId": order.order_no, "issuer": "terminal"} | his_payment(order)
        last: HisUnavailable | None = None
        for attempt in range(max(1, self.his_attempts)):
            if attempt:
                time.sleep(self.retry_delay * attempt)  # a moment for a restarting HIS / a cleared fault
            try:
                data = self.his.call(order.operation, body)  # same requestId: money moves once
            except HisUnavailable as exc:
                last = exc
                continue
            except HisError as exc:
                return self._refused(order, exc)
            return self._settled(order, data)
        note = "已支付，HIS结算待确认" if order.state == "paid" else "HIS结算待确认"
        return kiosk_orders.advance(self.db, order.order_no, order.state, order.state, self._now(),
                                    message=f"{note}：{last.message if last else ''}")

    def _refused(self, order: KioskOrder, exc: HisError) -> KioskOrder:
        if order.state != "paid":
            return self._move(order, "failed", exc.code, message=exc.message)
        if order.pay_method == "cash":
            return self._move(order, "failed", exc.code,
                              message=f"{exc.message}；现金{order.amount_fen / 100:.2f}元请凭凭条到人工窗口退还")
        order = self._move(order, "refunding", exc.code, message=exc.message)
        return self._refund(order)

    def _refund(self, order: KioskOrder) -> KioskOrder:
        session = self.payments or self._resume_payments
        if session is None:
            return order
        try:
            refund = session.refund(order.order_no, order.amount_fen, f"HIS结算失败：{order.message}"[:80])
        except PaymentError as exc:
            return kiosk_orders.advance(self.db, order.order_no, "refunding", "refunding", self._now(),
                                        message=f"{order.message.split('；')[0]}；退款处理中（{exc.message}）")
        text = f"{order.message.split('；')[0]}；已原路退款{order.amount_fen / 100:.2f}元"
        return self._move(order, "refunded", refund.refund_id, refund_no=refund.out_refund_no, message=text)

    def _settled(self, order: KioskOrder, data: dict[str, Any]) -> KioskOrder:
        numbers, result = settled_fields(order, data)
        return self._move(order, "settled", "HIS结算成功", settlements=numbers, result=result, message="")

    def _bill(self, order: KioskOrder) -> KioskOrder:
        self.events.emit(KIOSK_PROGRESS, step="billing", text="正在开具电子票据…")
        try:
            settlements = [self.his.settlement(no) for no in order.settlements]
        except HisError:
            return order  # the HIS cannot be read now; the next resume round bills it
        bills = billing.issue_bills(self.workflow, self.his, self.identity.place_code, settlements, order.bills)
        if any(b.get("pending") for b in bills):
            return kiosk_orders.advance(self.db, order.order_no, "settled", "settled", self._now(), bills=bills,
                                        message="电子票据暂未开具，稍后自动补开")
        return self._move(order, "billed", "票据已开具", bills=bills)

    def _print(self, order: KioskOrder, *, reprint: bool) -> KioskOrder:
        doc = receipt_doc(order, self.identity, self.clock.now(), reprint)
        problem = billing.print_receipt(self.printer, doc, self.width_mm, self.fault)
        notice_problem = "" if problem else billing.print_notices(self.workflow, order.bills, self.fault)
        info = ReceiptInfo(not problem, not problem and not notice_problem,
                           print_message(problem or notice_problem), order.order_no)
        self.events.emit(KIOSK_PRINT, receipt=info)
        if problem or notice_problem:
            return kiosk_orders.advance(self.db, order.order_no, "billed", "billed", self._now(),
                                        result=dict(order.result) | {"printProblem": info.message})
        result = {k: v for k, v in order.result.items() if k != "printProblem"}
        return self._move(order, "printed", "凭条已打印", result=result)

    def _report_pending(self) -> None:
        """Report bills the HIS could not be told about before (orders already billed/printed)."""
        for order in kiosk_orders.of_day(self.db):
            if not any(not b.get("pending") and not b.get("reported") for b in order.bills):
                continue
            bills = [dict(b, reported=billing._report(self.his, b["settlementNo"], b))
                     if not b.get("pending") and not b.get("reported") else b for b in order.bills]
            kiosk_orders.advance(self.db, order.order_no, order.state, order.state, self._now(), bills=bills)

    # --- helpers ------------------------------------------------------------------------------

    def _now(self) -> str:
        return self.clock.now().astimezone(CST).isoformat()

    def _move(self, order: KioskOrder, to: str, note: str, **fields: Any) -> KioskOrder:
        moved = kiosk_orders.advance(self.db, order.order_no, order.state, to, self._now(), note, **fields)
        self._emit(moved)
        return moved

    def _emit(self, order: KioskOrder) -> None:
        self.events.emit(KIOSK_ORDER, order_no=order.order_no, state=order.state, flow=order.flow)


__all__ = ["Checkout", "OrderRequest", "OrderState", "FINAL_STATES", "Settlement"]
