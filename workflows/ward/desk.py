"""The nurse station's money desk: arrears collection, its reversal, discharge with the surplus
deposit refunded to the original channels, and the resume round that finishes what an outage
left half done.

Every step is durable and idempotent:

* collection = a kiosk-style order (:class:`workflows.kiosk.checkout.Checkout`): written before
  the payment, paid by 主扫 (QR shown / printed) or 被扫 (the patient's payment code), pushed to the
  HIS as ``inpatient.deposit`` with requestId = order number; payment succeeded + HIS down leaves
  the order ``paid`` and :meth:`WardDesk.resume` pushes it later with the same requestId (money
  moves once, never charged twice);
* reversal = ``settlement.reverse`` with requestId ``RV`` + order number, then the refund to the
  original order with out_refund_no ``RF`` + order number; progress in the order's
  ``result["reversal"]``;
* discharge = a Checkout order of ``inpatient.settleDischarge`` (deposit first, self-pay top-up
  for what is due, invEBillHospitalized issued and its notice printed), then the refund plan of
  :mod:`workflows.ward.refunds` stored in ``result["refunds"]`` before any refund call.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from billing_core import methods
from billing_core.clock import Clock
from offline_store import kiosk_orders
from offline_store.db import Database
from offline_store.errors import NotFoundError
from offline_store.kiosk_orders import KioskOrder
from workflows.his import DailyList, DischargeBill, HisClient, HisError, HisUnavailable, Inpatient
from workflows.kiosk.checkout import Checkout, OrderRequest
from workflows.kiosk.models import FlowResult, PayChoice
from workflows.payment_client import PaymentError
from workflows.payment_session import PaymentSession
from workflows.server_api import HisApi
from workflows.ward import refunds, stats
from workflows.ward.board import WardRow, board_rows
from workflows.ward.errors import NotReversibleError, UnknownWardOrderError, WardHisError, WardInputError
from workflows.ward.settings import CENT, WardSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
DEPOSIT, DISCHARGE = "deposit", "discharge"


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """How a reversal ended: ``state`` done | his (HIS not reached yet) | refund (refund pending)."""

    order_no: str
    state: str
    message: str
    reversal_no: str = ""
    refund_no: str = ""

    @property
    def done(self) -> bool:
        """True when the HIS reversed the deposit and the money is back on the original channel."""
        return self.state == "done"


@dataclass(frozen=True, slots=True)
class DischargeResult:
    """The discharge order's result plus the refund of the surplus deposit (fen per line)."""

    flow: FlowResult
    refund_fen: int
    refunds: tuple[refunds.RefundLine, ...]

    @property
    def refunded_fen(self) -> int:
        """Fen back on the original channels so far."""
        return sum(x.fen for x in self.refunds if x.state == refunds.DONE)


class WardDesk:
    """One nurse station over the HIS, the payment platform and the terminal's Checkout."""

    def __init__(self, *, his: HisClient, checkout: Checkout, payments: PaymentSession | None,
                 settings: WardSettings, db: Database, clock: Clock, api: HisApi | None = None) -> None:
        self.his, self.checkout, self.payments = his, checkout, payments
        self.settings, self.db, self.clock, self.api = settings, db, clock, api

    # --- views --------------------------------------------------------------------------------

    def board(self) -> list[WardRow]:
        """The ward list, arrears first. :raises WardHisError: E3803 the HIS cannot be read."""
        return board_rows(self._read(self.his.inpatients, self.settings.ward), self.settings.minimum_deposit)

    def stay(self, patient_id: str) -> Inpatient:
        """The patient's current stay."""
        return self._read(self.his.inpatient, patient_id)

    def daily_list(self, admission_no: str, day: date) -> DailyList:
        """日清单 of one day. :raises WardInputError: E3801 a day outside the stay."""
        try:
            return self.his.daily_list(admission_no, day)
        except HisUnavailable as exc:
            raise WardHisError(exc.message) from None
        except HisError as exc:
            raise WardInputError(f"清单日期：{exc.message}") from None

    def discharge_bill(self, admission_no: str) -> DischargeBill:
        """What discharge settlement will take and give back."""
        return self._read(self.his.discharge_bill, admission_no)

    # --- arrears collection -------------------------------------------------------------------

    def collect(self, stay: Inpatient | WardRow, amount: Decimal, pay: PayChoice) -> FlowResult:
        """Collect ``amount`` into the stay's deposit (欠费补缴) by QR or payment code; ``stay`` is
        the row the nurse picked on the ward list (no HIS read before the payment).

        Never raises for payment or HIS trouble (the result says; a paid order the HIS could not
        take stays ``paid`` and is pushed by :meth:`resume`). :raises WardInputError: E3801."""
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0 \
                or amount != amount.quantize(CENT) or amount > self.settings.max_collect:
            raise WardInputError(f"补缴金额：{amount}有误（须大于0、最多两位小数、不超过"
                                 f"{self.settings.max_collect}元）")
        if pay.method.value not in ("qr", "code"):
            raise WardInputError("支付方式：护士站只收扫码支付或付款码支付")
        if isinstance(stay, Inpatient) and stay.status != "in":
            raise WardInputError(f"住院号：{stay.admission_no}已出院结算，不能补缴")
        name = stay.patient_name if isinstance(stay, Inpatient) else stay.name
        receipt = {"kind": "deposit", "patient": {"name": name, "card": stay.admission_no},
                   "rows": [["住院号", stay.admission_no], ["科室", stay.dept_name], ["床号", stay.bed],
                            ["业务", "欠费补缴（护士站）"]],
                   "stats": stats.stats_tags(stay.dept_name, stay.admission_no)}
        return self.checkout.run(OrderRequest(DEPOSIT, amount, "住院押金补缴", "inpatient.deposit",
                                              {"admissionNo": stay.admission_no, "amount": f"{amount:.2f}"},
                                              stay.patient_id, receipt), pay)

    def cancel_payment(self) -> None:
        """The nurse pressed 取消 while the QR / payment-code wait runs (any thread)."""
        self.checkout.cancel_payment()

    # --- reversal -----------------------------------------------------------------------------

    def reverse(self, order_no: str, reason: str) -> ReversalResult:
        """Reverse a collected payment: the HIS takes the deposit back (``settlement.reverse``),
        the money goes back on the original channel. Resumable: call again (or :meth:`resume`).

        :raises NotReversibleError: E3805 not a settled ward deposit order.
        :raises WardInputError: E3801 no reason given.
        """
        if not reason.strip():
            raise WardInputError("撤销原因：请填写撤销原因")
        order = self._order(order_no)
        if order.flow != DEPOSIT or order.state not in ("settled", "billed", "printed") or not order.settlements:
            raise NotReversibleError(f"订单{order_no}不是已结算的押金补缴，不能撤销")
        rev = dict(order.result.get("reversal") or {})
        if not rev:
            rev = {"state": "his", "reason": reason.strip()[:60], "requestId": f"RV{order_no}",
                   "refundNo": f"RF{order_no}", "at": self._now()}
            order = self._store(order, reversal=rev)
        return self._drive_reversal(order)

    def _drive_reversal(self, order: KioskOrder) -> ReversalResult:
        rev = dict(order.result["reversal"])
        if rev["state"] == "his":
            try:
                back = self.his.reverse_settlement(rev["requestId"], order.settlements[-1], rev["reason"])
            except HisUnavailable as exc:
                return ReversalResult(order.order_no, "his", f"HIS暂不可用，撤销待完成：{exc.message}")
            except HisError as exc:
                rev |= {"state": "refused", "message": f"{exc.code} {exc.message}"}
                self._store(order, reversal=rev)
                return ReversalResult(order.order_no, "refused", f"HIS拒绝撤销：{exc.message}")
            rev |= {"state": "refund", "reversalNo": back.settlement_no,
                    "refundFen": refunds.fen_of(abs(back.refund_due))}
            order = self._store(order, reversal=rev)
        if rev["state"] == "refund":
            session = self.payments
            fen = int(rev["refundFen"])
            if fen and session is None:
                return ReversalResult(order.order_no, "refund", "本机未接入支付平台，退款待完成", rev["reversalNo"])
            try:
                if fen:
                    assert session is not None
                    session.refund(order.order_no, fen, f"押金补缴撤销：{rev['reason']}", rev["refundNo"])
            except PaymentError as exc:
                return ReversalResult(order.order_no, "refund", f"HIS已撤销，退款处理中：{exc.message}",
                                      rev["reversalNo"])
            rev |= {"state": "done", "doneAt": self._now()}
            order = self._store(order, reversal=rev)
        if rev["state"] == "refused":
            return ReversalResult(order.order_no, "refused", str(rev.get("message", "")))
        return ReversalResult(order.order_no, "done", f"已撤销，{int(rev['refundFen']) / 100:.2f}元已原路退回",
                              str(rev["reversalNo"]), str(rev["refundNo"]))

    # --- discharge ----------------------------------------------------------------------------

    def discharge(self, patient_id: str, pay: PayChoice | None = None, *, insurance: dict[str, Any] | None = None,
                  place: str = stats.LOCAL) -> DischargeResult:
        """出院结算: the insurance part first (``insurance``: the insurance settlement's parts, see
        :mod:`workflows.ward.insured`), then the deposit, ``pay`` for what is due on top (one step),
        the inpatient e-bill (with the insurance fields when insured) issued and its notice printed,
        then the surplus deposit refunded to its original channels.
        :raises WardInputError: E3801 due > 0 and no payment chosen."""
        stay = self.stay(patient_id)
        if stay.status != "in":
            raise WardInputError(f"住院号：{stay.admission_no}已出院结算")
        bill = self._read(self.his.discharge_bill, stay.admission_no, insurance)
        if bill.due > 0 and pay is None:
            raise WardInputError(f"支付方式：需补缴{bill.due}元，请选择扫码或付款码")
        rows = [["住院号", stay.admission_no], ["费用总额", f"{bill.total:.2f}元"], ["押金", f"{bill.deposit:.2f}元"]]
        if insurance:
            rows.append(["医保支付", f"{bill.insurance_part:.2f}元"])
        receipt = {"kind": "discharge", "patient": {"name": stay.patient_name, "card": stay.admission_no},
                   "rows": rows,
                   "items": [[name, "1", f"{amt:.2f}"] for _, name, amt in bill.groups],
                   "stats": stats.stats_tags(stay.dept_name, stay.admission_no, insured=insurance is not None,
                                             place=place, total_fen=refunds.fen_of(bill.total))}
        params: dict[str, Any] = {"admissionNo": stay.admission_no} | ({"insurance": insurance} if insurance else {})
        flow = self.checkout.run(OrderRequest(DISCHARGE, bill.due, "出院结算", "inpatient.settleDischarge",
                                              params, patient_id, receipt), pay or PayChoice.qr())
        return self._refund_surplus(flow.order_no, flow)

    def _refund_surplus(self, order_no: str, flow: FlowResult | None = None) -> DischargeResult:
        order = self._order(order_no)
        flow = flow or self.checkout.result_of(order_no)
        if order.state not in ("settled", "billed", "printed"):
            return DischargeResult(flow, 0, ())
        due = refunds.fen_of(Decimal(str(order.result.get("refundDue", "0"))))
        lines = [refunds.RefundLine.of(x) for x in order.result.get("refunds", [])]
        if due and not lines:
            try:
                deposits = [s for s in self.his.settlements(order.patient_id, DEPOSIT)
                            if s.admission_no == order.params.get("admissionNo")]
            except HisError:
                return DischargeResult(flow, due, ())  # planned by the next resume round
            lines = refunds.plan(order_no, due, deposits, self._reversed_fen())
            order = self._store(order, refunds=[x.wire() for x in lines])  # the plan before any refund
        out: list[refunds.RefundLine] = []
        for line in lines:
            if line.state == refunds.PENDING and self.payments is not None:
                try:
                    self.payments.refund(line.out_trade_no, line.fen, "出院结算退还押金余额", line.out_refund_no)
                    line = refunds.RefundLine(line.out_trade_no, line.fen, line.out_refund_no, refunds.DONE)
                except PaymentError as exc:
                    line = refunds.RefundLine(line.out_trade_no, line.fen, line.out_refund_no, refunds.PENDING,
                                              f"退款处理中：{exc.message}")
            out.append(line)
        if lines:
            self._store(self._order(order_no), refunds=[x.wire() for x in out])
        return DischargeResult(flow, due, tuple(out))

    def _reversed_fen(self) -> dict[str, int]:
        """out_trade_no -> fen refunded by reversals (those are never refunded again)."""
        out: dict[str, int] = {}
        for o in kiosk_orders.of_day(self.db):
            rev = o.result.get("reversal") or {}
            if rev.get("state") in ("refund", "done"):
                out[o.order_no] = out.get(o.order_no, 0) + int(rev.get("refundFen", 0))
        return out

    def send_notice(self, order_no: str, target: str) -> list[str]:
        """Send the e-bill notice(s) of an order to a mobile number or e-mail (the printed notice
        is the other way); returns the bill numbers sent. :raises WardInputError: E3801."""
        target = target.strip()
        if re.fullmatch(r"1\d{10}", target):
            kind = "1201"
        elif re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", target):
            kind = "1202"
        else:
            raise WardInputError("接收方：请输入11位手机号码或电子邮箱")
        bills = [b for b in self._order(order_no).bills if not b.get("pending")]
        if not bills or self.api is None:
            raise WardInputError(f"订单号：{order_no}没有已开具的电子票据")
        for b in bills:
            self.api.call(methods.SEND_BILL_NOTICE, {"billBatchCode": b["billBatchCode"], "billNo": b["billNo"],
                                                     "noticeList": [{"noticeType": kind, "noticeValue": target}]})
        return [str(b["billNo"]) for b in bills]

    # --- resume -------------------------------------------------------------------------------

    def resume(self) -> dict[str, int]:
        """Finish what an outage left: unfinished orders (pushed to the HIS with the same
        requestId), pending reversals and refunds. Returns counts per kind of work done."""
        done = {"orders": len(self.checkout.resume(print_billed=False)), "reversals": 0, "refunds": 0}
        for o in kiosk_orders.of_day(self.db):
            rev = o.result.get("reversal") or {}
            if rev.get("state") in ("his", "refund") and self._drive_reversal(o).done:
                done["reversals"] += 1
            if o.flow == DISCHARGE and o.state in ("settled", "billed", "printed"):
                lines = o.result.get("refunds", [])
                before = sum(1 for x in lines if x["state"] == refunds.DONE)
                if any(x["state"] == refunds.PENDING for x in lines) or (o.result.get("refundDue") and not lines):
                    after = sum(1 for x in self._refund_surplus(o.order_no).refunds if x.state == refunds.DONE)
                    done["refunds"] += after - before
        return done

    # --- orders -------------------------------------------------------------------------------

    def orders(self, day: str | None = None) -> list[KioskOrder]:
        """The station's orders (one CST day or all), newest first."""
        return kiosk_orders.of_day(self.db, day)

    def _order(self, order_no: str) -> KioskOrder:
        try:
            return kiosk_orders.get(self.db, order_no)
        except NotFoundError:
            raise UnknownWardOrderError(f"订单号：没有病区订单{order_no}") from None

    def _store(self, order: KioskOrder, **extra: Any) -> KioskOrder:
        return kiosk_orders.advance(self.db, order.order_no, order.state, order.state, self._now(),
                                    result=dict(order.result) | extra)

    def _now(self) -> str:
        return self.clock.now().isoformat()

    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return fn(*args)
        except HisUnavailable as exc:
            raise WardHisError(exc.message) from None
        except HisError as exc:
            raise WardHisError(f"HIS：{exc.message}") from None
