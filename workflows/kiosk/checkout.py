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

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from workflows.kiosk.models import FlowResult, OrderView, PayChoice


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


class Checkout:
    """Collect, settle, bill, print — one order at a time, resumable after a crash.

    Built by :func:`workflows.kiosk.builder.build_kiosk`; the session calls :meth:`run` for
    every money flow. Runs I/O: call it off the GUI thread.
    """

    def run(self, request: OrderRequest, pay: PayChoice) -> FlowResult:
        """Write the order, take the payment, settle with the HIS (issuer ``terminal``), issue the
        e-bill through the terminal's IssuingWorkflow (busNo = settlement number, placeCode = the
        kiosk's point), report it to the HIS (``ebill.report``), print the receipt and the notice.

        Never raises for payment, HIS, link or printer trouble: the result says what happened
        (``ok`` False with a Chinese message; ``refunded`` when the HIS refused after payment;
        notes for an emergency bill or a receipt that could not be printed). Bad input raises
        :class:`workflows.kiosk.errors.KioskInputError` before anything is written.
        """
        raise NotImplementedError

    def cancel_payment(self) -> None:
        """The patient pressed 取消 while the QR code / payment-code wait runs (any thread): the
        payment session closes the order; a payment that landed meanwhile still completes."""
        raise NotImplementedError

    def resume(self) -> list[FlowResult]:
        """Finish every unfinished order (kiosk start, and the background round): see the module
        docstring. Orders that cannot progress now (HIS or platform unreachable) stay as they are."""
        raise NotImplementedError

    def orders(self, day: str | None = None) -> list[OrderView]:
        """The kiosk's orders (one CST day ``yyyy-mm-dd``, or all), newest first."""
        raise NotImplementedError

    def order(self, order_no: str) -> OrderView:
        """One order by number. :raises KioskInputError: E3910 unknown order."""
        raise NotImplementedError
