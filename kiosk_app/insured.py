"""The insured 门诊缴费 on screen: 门诊缴费 (医保结算) -> 医保结算 (the split, nothing paid yet) ->
确认支付 (the cash part through the usual payment screens, or straight on when it is 0) -> 办理结果.

The platform down (or any refusal before money moved) leaves the patient on 门诊缴费 with the
reason and the 自费缴费 button; leaving the 医保结算 screen (返回, 首页, 改为自费缴费) closes the
insurance visit off the GUI thread. Every decision is the session's (workflows.kiosk.insured_flows).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing_core.errors import BillingError
from kiosk_app.payflow import Host
from workflows.kiosk.errors import HisUnavailableError, KioskInputError


class InsuredPay:
    """The controller's insured part (one pre-settlement at a time)."""

    def __init__(self, ctl: Host) -> None:
        self.ctl = ctl
        self.w = ctl.w
        self._count = 0

    def quote(self, charge_ids: list[str], _total: Decimal) -> None:
        """医保结算 tapped: pre-settle the ticked charges (off the GUI thread)."""
        self._count = len(charge_ids)
        session = self.ctl.session
        self.ctl.call(lambda: session.insured_quote(list(charge_ids)), self._quoted, "正在医保预结算，请稍候…",
                      on_error=self._refused)

    def _quoted(self, quote: Any) -> None:
        self.w.insured.show_quote(quote)
        self.ctl.go("insured")

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, KioskInputError):
            self.w.outpatient.say(exc.message)
        elif isinstance(exc, BillingError) and not isinstance(exc, HisUnavailableError):
            # the insurance side down or refusing: nothing was paid, self-pay is what is left
            self.w.outpatient.offer_insured(False, f"{exc.message}（{exc.code}）")
        else:
            self.ctl.failed(exc)

    def confirm(self, order_no: str, cash: Decimal) -> None:
        """确认支付 / 确认结算: the cash part through the payment screens (nothing to choose when 0)."""
        session = self.ctl.session
        self.ctl.pay.ask(f"医保结算 个人现金支付（{self._count}项）", cash, None,  # type: ignore[attr-defined]
                         lambda choice: session.pay_insured(order_no, choice), prepay=False)

    def to_self_pay(self, order_no: str) -> None:
        """改为自费缴费: close the insurance visit, back to 门诊缴费 with the self-pay button."""
        self.ctl.back()
        self.w.outpatient.offer_insured(False, "已取消医保结算，请按自费缴费")

    def leaving(self) -> None:
        """The patient leaves the 医保结算 screen without paying: close the visit (background)."""
        no = self.w.insured.order_no
        if self.w.current() is not self.w.insured or not no:
            return
        self.w.insured.clear()
        session = self.ctl.session
        self.ctl.tasks.run(lambda: session.abandon_insured(no), lambda _r: None, lambda _e: None)
