"""The kiosk's insured 门诊缴费 (issue 16 §4, the kiosk's part; docs/KIOSK.md "医保门诊缴费").

A patient identified by 医保电子凭证 or 社保卡 pays the chosen HIS charges through the shared
insured flow (:class:`workflows.insurance.flow.InsuredFlow`, desk ``kiosk``) — nothing of it is
copied here. What the kiosk adds:

* **fee lines from the HIS**: each charge line becomes a :class:`FeeLine` with the national list
  code of ``[kiosk] insurance_codes`` (医保目录对照); a line without one makes the insured path
  unavailable (E3971) and the patient pays as self-pay;
* **the cash part on the payment platform** (:class:`workflows.insurance.cash.KioskPay` over the
  kiosk's payment session: 主扫 QR or 被扫 payment code), or nothing to pay when it is 0;
* **the HIS told the settlement**: the flow's bill-base hook calls ``outpatient.settle`` with the
  ``insurance`` object (HIS_ADAPTER §3.3; requestId = the order number, so a resume repeats it
  harmlessly) and issues the HIS's e-bill content with the insurance fields; a HIS refusal
  cancels the insurance settlement and refunds the cash (E3970);
* the bill reported to the HIS (``ebill.report``), the receipt and the notice printed.

Outcomes the patient sees (never a half settlement): the platform down before any money ->
E3951 and the self-pay path; a settlement in doubt -> "请到人工窗口查询，切勿重复缴费", the order
stays ``settling`` and :meth:`KioskInsurance.resume` (kiosk start, background round) finishes it
without settling twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_core import methods
from billing_core.errors import BillingError
from offline_store import ins_orders
from offline_store.ins_orders import InsOrder
from print_templates.masking import mask_name
from workflows.errors import LinkError
from workflows.his import HisClient, HisError, HisUnavailable, Patient, Payment, PendingCharge
from workflows.insurance.bill import INSUTYPE_NAMES
from workflows.insurance.cash import CashDesk, CashResult, KioskPay
from workflows.insurance.errors import (
    BillBaseRefusedError,
    BillPendingError,
    CashInDoubtError,
    CashNotPaidError,
    InsuredFlowError,
    SettlementPendingError,
    SettlementRefusedError,
)
from workflows.insurance.flow import InsuredFlow
from workflows.insurance.models import FeeLine, InsuredPerson, Visit, yuan
from workflows.issuing import IssuingWorkflow
from workflows.kiosk import billing
from workflows.kiosk import functions as fn
from workflows.kiosk.errors import InsuredUnavailableError, KioskInputError
from workflows.kiosk.models import FlowResult, PayChoice, PayMethod, ReceiptInfo
from workflows.payment_session import PaymentSession

log = logging.getLogger(__name__)

#: (mdtrt_cert_type, cert_no, card_sn) of the identified patient: 01 e-voucher, 02 ID number.
Cert = tuple[str, str, str]
Progress = Callable[[str], None]
ASK_WINDOW = "医保结算结果待核实，请勿重复缴费，请到人工窗口查询"


@dataclass(frozen=True, slots=True)
class InsuredQuote:
    """The pre-settlement shown before any money moves (the split always adds up)."""

    order_no: str
    name_masked: str
    insurance_type: str
    medfee: Decimal
    fund: Decimal  # 医保统筹支付 (every fund together)
    account: Decimal  # 个人账户支付
    cash: Decimal  # 个人现金支付: what the patient pays now
    items: tuple[tuple[str, Decimal], ...]  # charge title, amount


class KioskInsurance:
    """The insured outpatient payments of one kiosk (built by :func:`workflows.kiosk.builder.build_kiosk`)."""

    def __init__(self, flow: InsuredFlow, his: HisClient, workflow: IssuingWorkflow, *,
                 payments: PaymentSession | None, resume_payments: PaymentSession | None, codes: dict[str, str],
                 receipt_printer: Any | None, width_mm: int, fault: billing.FaultHook | None) -> None:
        self.flow, self.his, self.workflow = flow, his, workflow
        self.payments, self.resume_payments = payments, resume_payments
        self.codes = codes
        self.printer, self.width_mm, self.fault = receipt_printer, width_mm, fault
        flow.bill_base_hook = self._his_bill_base
        # Orders a patient at the screen is driving (pre-settled, paying): the background round
        # leaves them alone, so it never abandons a pre-settlement the patient is looking at.
        self._live: set[str] = set()
        self._lock = threading.Lock()

    # --- forward --------------------------------------------------------------------------------

    def quote(self, patient: Patient, cert: Cert, charges: Sequence[PendingCharge]) -> InsuredQuote:
        """1101, register, fees, pre-settle: the split to show. Nothing is paid.

        :raises InsuredUnavailableError: E3971, a charge line has no insurance list code (self-pay).
        :raises InsuranceDownError: E3951, the insurance side is down (self-pay; nothing open).
        :raises InsuredFlowError: refused (no insurance in force …): the message says why.
        """
        missing = sorted({ln.name for c in charges for ln in c.lines if ln.code not in self.codes})
        if missing:
            raise InsuredUnavailableError(f"医保目录对照：{'、'.join(missing)}没有对照的医保目录编码，本次请按自费缴费")
        person = self.flow.identify(*cert)
        fees = [FeeLine(f"{c.charge_id}-{n}"[:30], self.codes[ln.code], ln.code, ln.name, ln.price, Decimal(ln.qty),
                        ln.amount) for c in charges for n, ln in enumerate(c.lines, 1)]
        first = charges[0]
        now = self.flow.clock.now()
        visit = Visit("outpatient", f"MZ{now:%y%m%d%H%M%S}{first.charge_id}"[-30:], first.dept_code or "MZ",
                      first.dept_name or "门诊", first.doctor_name or "门诊医生", self._doctor_code(first))
        total = sum((c.amount for c in charges), Decimal("0.00"))
        base = {"totalAmt": f"{total:.2f}",
                "his": {"patientId": patient.patient_id, "chargeIds": [c.charge_id for c in charges]}}
        order = self.flow.start(person, visit, fees, methods.INVOICE_EBILL_OUTPATIENT, base)
        with self._lock:
            self._live.add(order.order_no)
        return InsuredQuote(order.order_no, mask_name(person.name), INSUTYPE_NAMES.get(person.insutype, person.insutype),
                            yuan(order.medfee_fen), yuan(order.fund_fen), yuan(order.account_fen),
                            yuan(order.cash_fen), tuple((f"{c.kind_text} {c.title}", c.amount) for c in charges))

    def _doctor_code(self, charge: PendingCharge) -> str:
        """The prescribing doctor's code (2201 atddr_no) from the HIS's doctor list; the
        department's code when the HIS does not list the doctor."""
        try:
            found = [d.code for d in self.his.doctors(charge.dept_code or None) if d.name == charge.doctor_name]
        except HisError:
            found = []
        return found[0] if found else (charge.dept_code or "MZ")

    def abandon(self, order_no: str) -> None:
        """The patient backed out at the pre-settlement (or chose self-pay): the visit is closed."""
        try:
            self.flow.abandon(order_no, "患者放弃医保结算")
        except (InsuredFlowError, BillingError, LinkError) as exc:  # resume closes it later
            log.warning("kiosk insured %s not abandoned now: %s", order_no, exc)
        finally:
            with self._lock:
                self._live.discard(order_no)

    def pay(self, order_no: str, pay: PayChoice, receipt_patient: dict[str, str],
            progress: Progress | None = None) -> FlowResult:
        """The cash part (when > 0) on the payment platform, settle, the HIS told, the e-bill,
        the receipt and the notice. Never raises for payment / insurance / HIS trouble."""
        order = ins_orders.get(self.flow.db, order_no)
        desk = self._desk(order, pay)
        try:
            return self._pay(order, desk, receipt_patient, progress)
        finally:
            with self._lock:
                self._live.discard(order_no)

    def _pay(self, order: InsOrder, desk: CashDesk, receipt_patient: dict[str, str],
             progress: Progress | None) -> FlowResult:
        order_no, cash = order.order_no, yuan(order.cash_fen)
        try:
            order = self.flow.pay_and_settle(order_no, desk, progress)
        except CashNotPaidError as exc:
            self.abandon(order_no)
            return FlowResult(False, fn.OUTPATIENT, "未完成支付，未扣款，本次未进行医保结算", order_no, "abandoned",
                              cash, code=exc.code)
        except CashInDoubtError as exc:
            return FlowResult(False, fn.OUTPATIENT, "支付结果待确认，请勿重复支付，请到人工窗口查询", order_no,
                              "paying", cash, code=exc.code)
        except SettlementPendingError as exc:
            return FlowResult(False, fn.OUTPATIENT, ASK_WINDOW, order_no, "settling", cash, code=exc.code,
                              notes=(f"订单号：{order_no}",))
        except SettlementRefusedError as exc:
            return FlowResult(False, fn.OUTPATIENT, exc.message, order_no, "abandoned", cash,
                              refunded=order.cash_fen > 0, code=exc.code)
        except BillPendingError:
            order = ins_orders.get(self.flow.db, order_no)
            return FlowResult(True, fn.OUTPATIENT, "医保结算成功", order_no, order.state, cash,
                              notes=("电子票据稍后自动补开，可在“打印告知单”中打印",))
        except (InsuredFlowError, BillingError, LinkError) as exc:
            return FlowResult(False, fn.OUTPATIENT, f"{getattr(exc, 'message', exc)}，请到人工窗口查询", order_no,
                              ins_orders.get(self.flow.db, order_no).state, cash, code=getattr(exc, "code", ""))
        self._report(order)
        receipt = self._print(order, receipt_patient)
        notes = tuple(n for n in (receipt.message, "本次使用应急电子票据" if order.bill.get("emergency") else "") if n)
        return FlowResult(True, fn.OUTPATIENT, "医保结算成功", order_no, order.state, cash,
                          settlement_no=str(order.bill.get("busNo", "")), receipt=receipt, notes=notes)

    def order(self, order_no: str) -> InsOrder:
        """One stored insured order."""
        return ins_orders.get(self.flow.db, order_no)

    # --- after a crash / in the background -------------------------------------------------------

    def resume(self) -> list[str]:
        """Finish this kiosk's unfinished insured orders (never paying or settling twice); an
        order still pre-settled when nobody is waiting for it any more is abandoned."""
        done: list[str] = []
        for order in self.flow.unfinished():
            with self._lock:
                if order.order_no in self._live:
                    continue
            desk = KioskPay(self.resume_payments) if self.resume_payments is not None else None
            try:
                if order.state == "pre_settled":
                    self.flow.abandon(order.order_no, "患者未完成缴费，已撤销医保登记")
                elif desk is not None or order.cash_fen == 0:
                    order = self.flow.resume(order.order_no, desk or _NoCash())
                    self._report(order)
            except (InsuredFlowError, BillingError, LinkError) as exc:
                log.info("kiosk insured %s not finished yet: %s", order.order_no, exc)
                continue
            done.append(order.order_no)
        return done

    # --- helpers --------------------------------------------------------------------------------

    def _desk(self, order: InsOrder, pay: PayChoice) -> CashDesk:
        if order.cash_fen == 0:
            return _NoCash()
        method = PayMethod(pay.method)
        if method not in (PayMethod.QR, PayMethod.CODE):
            raise KioskInputError("支付方式：医保个人现金部分请扫码或用付款码支付")
        if self.payments is None:
            raise KioskInputError("支付方式：本机未接入统一支付平台，请到人工窗口办理医保结算")
        if method is PayMethod.CODE and not pay.auth_code.strip():
            raise KioskInputError("付款码：请出示付款码")
        return KioskPay(self.payments, method.value, pay.auth_code or None)

    def _his_bill_base(self, order: InsOrder) -> dict[str, Any]:
        """The flow's bill-base hook: ``outpatient.settle`` with the insurance parts (requestId =
        order number: a repeat answers the first settlement), its e-bill content returned."""
        his = order.params["billBase"]["his"]
        person = InsuredPerson.from_params(order.params["person"])
        insurance = {"setlId": order.setl_id, "psnNo": order.psn_no, "insuplcAdmdvs": person.insuplc_admdvs,
                     "fundPay": f"{yuan(order.fund_fen):.2f}", "otherfundPay": "0.00",
                     "accountPay": f"{yuan(order.account_fen):.2f}"}
        payment = Payment.paid(order.cash_channel or "09", order.cash_trade_no, yuan(order.cash_fen)) \
            if order.cash_fen > 0 else None
        try:
            s = self.his.settle_outpatient(order.order_no, his["patientId"], list(his["chargeIds"]), payment,
                                           "terminal", insurance)
        except HisUnavailable:
            raise  # the settlement stays settled; resume repeats the same requestId
        except HisError as exc:
            raise BillBaseRefusedError(f"医院系统未接受本次医保结算（{exc.message}）") from exc
        if not s.ebill_request:
            raise BillBaseRefusedError(f"HIS结算单{s.settlement_no}没有电子票据内容")
        return dict(s.ebill_request) | {"placeCode": self.workflow.identity.place_code}

    def _report(self, order: InsOrder) -> None:
        bill = order.bill
        if order.state not in ("billed", "done") or not bill.get("billNo"):
            return
        try:
            self.his.report_ebill(str(bill["busNo"]), bill["billBatchCode"], bill["billNo"], bill.get("random", ""),
                                  emergency=bool(bill.get("emergency")))
        except HisError as exc:  # reported again by the next resume round (the same numbers are harmless)
            log.warning("kiosk insured %s: ebill.report failed: %s", order.order_no, exc.code)

    def _print(self, order: InsOrder, patient: dict[str, str]) -> ReceiptInfo:
        identity = self.workflow.identity
        rows = [["医疗费总额", f"{yuan(order.medfee_fen):.2f}元"], ["医保统筹支付", f"{yuan(order.fund_fen):.2f}元"],
                ["个人账户支付", f"{yuan(order.account_fen):.2f}元"], ["个人现金支付", f"{yuan(order.cash_fen):.2f}元"],
                ["医保结算号", order.setl_id]]
        doc = {"flow": "outpatient", "hospital": identity.hospital_name, "terminal": identity.terminal_id,
               "orderNo": order.order_no, "time": self.flow.clock.now().strftime("%Y-%m-%d %H:%M:%S"),
               "patient": patient, "rows": rows, "items": [], "amount": f"{yuan(order.cash_fen):.2f}",
               "payMethod": "医保结算", "bills": [order.bill], "notes": [], "reprint": False}
        problem = billing.print_receipt(self.printer, doc, self.width_mm, self.fault)
        notice = "" if problem else billing.print_notices(self.workflow, [{"settlementNo": order.bill["busNo"]}],
                                                          self.fault)
        return ReceiptInfo(not problem, not problem and not notice,
                           f"{problem or notice}，请到人工窗口补打" if problem or notice else "", order.order_no)


class _NoCash:
    """The cash desk of a settlement the insurance pays in full: nothing is ever taken."""

    channel = "09"

    def pay(self, trade_no: str, amount_fen: int, subject: str) -> CashResult:
        """Never called: the flow skips the payment of a cash part of 0."""
        raise InsuredFlowError("个人现金部分为0，无需支付")

    def resume(self, trade_no: str, amount_fen: int) -> CashResult:
        """Never called (no trade number is ever recorded)."""
        raise InsuredFlowError("个人现金部分为0，无需支付")

    def refund(self, trade_no: str, amount_fen: int, reason: str) -> CashResult:
        """Never called (nothing was taken)."""
        raise InsuredFlowError("个人现金部分为0，无需退款")
