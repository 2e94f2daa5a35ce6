"""The session side of the insured 门诊缴费 (a mixin of :class:`workflows.kiosk.session.KioskSession`):
who may take it, the pre-settlement, the payment, backing out. The work itself is
:class:`workflows.kiosk.insured.KioskInsurance` over the shared insured flow.

The screens call, in order: :meth:`InsuredFlows.insured_offered` (show 医保结算 at all?),
:meth:`InsuredFlows.insured_quote` (统筹 / 个人账户 / 个人现金 before any money moves; E3951 means
the platform is down: offer self-pay), then :meth:`InsuredFlows.pay_insured` or
:meth:`InsuredFlows.abandon_insured` (the patient chose self-pay or left).
"""

from __future__ import annotations

from decimal import Decimal

from workflows.kiosk import functions as fn
from workflows.kiosk.bill_flows import FlowBase
from workflows.kiosk.errors import InsuredUnavailableError, KioskInputError
from workflows.kiosk.events import KIOSK_PROGRESS
from workflows.kiosk.insured import InsuredQuote, KioskInsurance
from workflows.kiosk.models import FlowResult, PayChoice, SessionState


class InsuredFlows(FlowBase):
    """Insured outpatient payment of the identified patient (see the module docstring)."""

    _ins_cert: tuple[str, str, str] | None
    _ins_order: str

    def _insurance(self) -> KioskInsurance:
        ins: KioskInsurance | None = self._ctx.insurance
        if ins is None:
            raise InsuredUnavailableError("本机未开通医保结算，可按自费缴费")
        return ins

    def insured_offered(self) -> bool:
        """True when the patient identified with an insurance credential (医保电子凭证 / 社保卡) and
        the kiosk can settle insured: the 门诊缴费 screen then offers 医保结算."""
        return self._patient is not None and self._ins_cert is not None and self._ctx.insurance is not None

    def insured_quote(self, charge_ids: list[str]) -> InsuredQuote:
        """Pre-settle the chosen pending charges with the insurance (nothing is paid yet).

        :raises InsuredUnavailableError: E3971, no credential / no list code (self-pay).
        :raises workflows.insurance.errors.InsuranceDownError: E3951, the platform is down (self-pay).
        """
        p = self._require_patient()
        self._gate(fn.OUTPATIENT)
        cert = self._ins_cert
        if cert is None:
            raise InsuredUnavailableError("请使用医保电子凭证或社保卡识别后再医保结算，本次可按自费缴费")
        if not charge_ids:
            raise KioskInputError("待缴费用：请至少选择一项")
        pending = {c.charge_id: c for c in self._his(self._ctx.his.pending_charges, p.patient_id)}
        unknown = [c for c in charge_ids if c not in pending]
        if unknown:
            raise KioskInputError(f"待缴费用：{'、'.join(unknown)}不是您的待缴费用")
        ins = self._insurance()
        self._set_state(SessionState.BUSY)
        try:
            quote = ins.quote(p, cert, [pending[c] for c in charge_ids])
            self._ins_order = quote.order_no
            return quote
        finally:
            self.touch()
            self._set_state(SessionState.IDENTIFIED)

    def pay_insured(self, order_no: str, pay: PayChoice) -> FlowResult:
        """Pay the cash part of a quoted order (``pay`` QR or payment code; ignored when the cash
        part is 0), settle, tell the HIS, issue and print. Returns how it ended."""
        p = self._require_patient()
        ins = self._insurance()
        cash = Decimal(ins.order(order_no).cash_fen) / 100
        self._set_state(SessionState.PAYING if cash > 0 else SessionState.BUSY)
        self._paying = True
        try:
            result = ins.pay(order_no, pay, self._receipt_patient(p), self._progress)
            self._ins_order = ""  # settled, refunded or abandoned: no longer waiting for a decision
        finally:
            self._paying = False
            self.touch()
        if self._reset_after_payment:
            self.reset(self._reset_after_payment)
        else:
            self._set_state(SessionState.DONE)
        return result

    def abandon_insured(self, order_no: str) -> None:
        """The patient backed out of the pre-settlement (返回, 自费缴费): the visit is closed."""
        if self._ins_order == order_no:
            self._ins_order = ""
        if self._ctx.insurance is not None:
            self._ctx.insurance.abandon(order_no)

    def _progress(self, text: str) -> None:
        self._ctx.events.emit(KIOSK_PROGRESS, step="insured", text=text)
