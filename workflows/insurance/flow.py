"""The insured settlement session (issue 16 §4; docs/INSURANCE.md §13), shared by cashier,
kiosk and ward::

    identify (1101) -> start: order recorded, register (2201/2401), fees (2204/2301), pre-settle
    -> [the GUI shows the fund / account / cash split]
    -> pay_and_settle: cash part (trade number recorded first) -> settle (2207/2304)
       -> e-bill with the insurance fields (IssuingWorkflow, busNo of the order)
       -> voucher upload queued on the server (4901 with the bill's PDF)

Order states (offline_store.ins_orders), each written before the next call::

    created -> registered -> pre_settled -> paying -> paid -> settling -> settled -> billed -> done
    created | registered | pre_settled -> abandoned              (platform down, refused, given up)
    paying | paid | settling -> refunding -> abandoned           (settlement refused: cash back)
    settled | billed | done -> cancelling -> cancelled           (refund: the cancel chain)

Rules: the insurance side down at any step before money -> the visit is closed, the order
abandoned and :class:`InsuranceDownError` says "pay as self-pay" (never a half settlement). A
settlement in doubt (E5613, or the server's answer lost) stays ``settling``:
:class:`SettlementPendingError`, and :meth:`InsuredFlow.resume` asks the server (which resolves
with 5203 / 2601) — it never settles again while the outcome is unknown. A settlement refused after
the cash was taken refunds the cash to its channel and closes the visit.

Cancel chain (:meth:`InsuredFlow.refund`), the forward steps undone in reverse order, each recorded
in ``steps``: checks first, before anything moves (the voucher not used for reimbursement, 5501;
the bill has no paper) -> the e-bill written off red (a user who may not write off is refused here,
before the settlement is touched) -> insCancel (2208/2305) -> the cash refunded to the original
channel last, so money leaves only once the settlement is undone. A retry continues after the last
step done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError, PlatformError
from offline_store import ins_orders
from offline_store.db import Database
from offline_store.ins_orders import InsOrder
from workflows.errors import LinkDownError, LinkError
from workflows.insurance.bill import insured_request
from workflows.insurance.cash import IN_DOUBT as CASH_IN_DOUBT
from workflows.insurance.cash import CashDesk
from workflows.insurance.client import IN_DOUBT, STATE_REFUSED, InsuranceApi, platform_down
from workflows.insurance.errors import (
    BillBaseRefusedError,
    BillPendingError,
    CancelIncompleteError,
    CashInDoubtError,
    CashNotPaidError,
    InsuranceDownError,
    InsuredFlowError,
    OrderStateError,
    SettlementPendingError,
    SettlementRefusedError,
)
from workflows.insurance.models import (
    CERT_TYPES,
    FeeLine,
    InsuredPerson,
    SettlementRecord,
    Split,
    Visit,
    fen,
    yuan,
)
from workflows.insurance.refund import STEP_CANCEL, STEP_CASH, CancelChain
from workflows.issuing import IssuingWorkflow
from workflows.server_api import HisApi

log = logging.getLogger(__name__)

#: Steps of closing an abandoned visit after a refused settlement.
STEP_CLOSED = "visit_closed"

Progress = Callable[[str], None]
#: A settled order -> the e-bill request base to issue (instead of the one given at start).
BillBaseHook = Callable[[InsOrder], dict[str, Any]]


class InsuredFlow(CancelChain):
    """One terminal's insured settlements.

    :param api: the server's insurance API; :param db: the terminal store;
    :param issuing: the terminal's issuing workflow (the e-bill, idempotent on busNo);
    :param his: the HIS interface of the server (write-off of the e-bill);
    :param desk: ``cashier`` | ``kiosk`` | ``ward``; :param terminal_id: part of generated busNos;
    :param place_code: the billing point of the write-off; :param operator: who acts.
    """

    def __init__(self, api: InsuranceApi, db: Database, issuing: IssuingWorkflow, his: HisApi, *, desk: str,
                 terminal_id: str, place_code: str, operator: str, clock: Clock | None = None) -> None:
        self.api = api
        self.db = db
        self.issuing = issuing
        self.his = his
        self.desk = desk
        self.terminal_id = terminal_id
        self.place_code = place_code
        self.operator = operator
        self.clock = clock or SystemClock()
        #: Optional: where the e-bill's base comes from once the order is settled — the kiosk tells
        #: the HIS the settlement (with its insurance parts) and issues the HIS's bill content. It
        #: runs again on resume, so it must be idempotent (the HIS's requestId is the order number).
        #: :class:`BillBaseRefusedError` from it undoes the settlement (cancel, cash back); any
        #: other BillingError / LinkError leaves the order ``settled`` for resume.
        self.bill_base_hook: BillBaseHook | None = None

    # ------------------------------------------------------------------------------ identify / start

    def identify(self, cert_type: str, cert_no: str, card_sn: str = "") -> InsuredPerson:
        """1101: the insured person by e-voucher (01), ID card (02) or social-security card (03).

        :raises InsuranceDownError: the platform cannot be reached (self-pay).
        :raises InsuredFlowError: bad input, or the person has no insurance in force.
        """
        if cert_type not in CERT_TYPES:
            raise InsuredFlowError(f"就诊凭证类型{cert_type!r}无效（01电子凭证、02身份证、03社保卡）")
        if not cert_no.strip():
            raise InsuredFlowError(f"{CERT_TYPES[cert_type]}号码不能为空")
        try:
            person = self.api.person(cert_type, cert_no.strip(), card_sn.strip())
        except (PlatformError, LinkError) as exc:
            if platform_down(exc):
                raise InsuranceDownError() from exc
            raise
        if not person.insured:
            raise InsuredFlowError(f"{person.name}无有效参保信息，请按自费结算")
        return person

    def start(self, person: InsuredPerson, visit: Visit, fees: Sequence[FeeLine], bill_method: str,
              bill_base: dict[str, Any]) -> InsOrder:
        """Record the order, register the visit, upload its fees and pre-settle: the returned order
        holds the split (``fund_fen``, ``account_fen``, ``cash_fen``) to show before any money moves.

        :raises InsuranceDownError: the insurance side is down; the visit was closed (self-pay).
        :raises PlatformError: the server refused (its code and text); the visit was closed.
        """
        if not fees:
            raise InsuredFlowError("费用明细不能为空")
        total = sum((f.amount for f in fees), Decimal("0.00"))
        if str(bill_base.get("totalAmt", "")) != f"{total:.2f}":
            raise InsuredFlowError(f"票据总金额{bill_base.get('totalAmt')}与费用明细合计{total:.2f}不一致")
        now = self.clock.now()
        day = now.strftime("%Y-%m-%d")
        seq = ins_orders.next_seq(self.db, day)
        order_no = f"YB{now:%Y%m%d}{self.terminal_id[-8:]}{ins_orders.store_salt(self.db)}{seq:04d}"
        bus_no = str(bill_base.get("busNo") or order_no)
        params = {"person": person.wire(), "visit": visit.wire(), "fees": [f.wire() for f in fees],
                  "billMethod": bill_method, "billBase": dict(bill_base) | {"busNo": bus_no}, "chrgBchno": order_no}
        order = ins_orders.create(self.db, order_no=order_no, desk=self.desk, visit=visit.kind, psn_no=person.psn_no,
                                  params=params, bus_no=bus_no, day=day, at=self._now())
        try:
            rec = self.api.register(person, visit)
            order = self._move(order, "registered", settlement_id=rec.settlement_id)
            self.api.upload_fees(rec.settlement_id, order_no, fees)
            if visit.kind == "inpatient":  # the final settlement of a stay needs the discharge (2402)
                self.api.discharge(rec.settlement_id)
            _, split = self.api.pre_settle(rec.settlement_id)
        except (PlatformError, LinkError) as exc:
            self._abandon_quietly(order, exc)
            if platform_down(exc):
                raise InsuranceDownError() from exc
            raise
        if split.medfee != total:
            self._abandon_quietly(order, InsuredFlowError("预结算总额与费用不一致"))
            raise InsuredFlowError(f"医保预结算医疗费总额{split.medfee}与本次费用{total:.2f}不一致，已撤销本次医保登记")
        return self._move(order, "pre_settled", **_split_fields(split))

    def abandon(self, order_no: str, why: str = "患者放弃医保结算") -> InsOrder:
        """Give up an order before its cash was paid: the server closes the visit (insCancel on an
        unsettled visit is local), the order is ``abandoned``."""
        order = ins_orders.get(self.db, order_no)
        if order.state not in ("created", "registered", "pre_settled"):
            raise OrderStateError(f"医保结算单{order_no}处于{order.state}，不能直接放弃")
        if order.settlement_id is not None:
            try:
                self.api.cancel(order.settlement_id)
            except (PlatformError, LinkError) as exc:
                raise CancelIncompleteError(f"撤销医保登记失败：{exc}") from exc
        return self._move(order, "abandoned", why)

    # ------------------------------------------------------------------------------ forward

    def pay_and_settle(self, order_no: str, cash: CashDesk, progress: Progress | None = None) -> InsOrder:
        """From wherever the order is, on to ``done``: cash part, settlement, e-bill, voucher.

        :raises CashNotPaidError | CashInDoubtError: the cash part was not (surely) paid; nothing settled.
        :raises SettlementPendingError: the settlement's outcome is unknown: query later (:meth:`resume`).
        :raises SettlementRefusedError: refused after the cash was paid: the cash was refunded.
        :raises BillPendingError: settled, the e-bill follows on :meth:`resume`.
        """
        say = progress or (lambda _text: None)
        order = ins_orders.get(self.db, order_no)
        if order.state == "pre_settled":
            order = self._pay(order, cash, say)
        if order.state == "paying":
            order = self._resumed_payment(order, cash)
        if order.state == "paid":
            order = self._move(order, "settling")
            say("正在医保结算…")
            order = self._settle(order, cash)
        if order.state == "settling":
            order = self._settle_resumed(order, cash)
        if order.state == "refunding":
            return self._refund_abandoned(order, cash)
        if order.state == "settled":
            say("正在开具电子票据…")
            order = self._bill(order, cash)
        if order.state == "billed":
            order = self._voucher(order)
        if order.state not in ("done", "billed"):
            raise OrderStateError(f"医保结算单{order_no}处于{order.state}，不能继续结算")
        return order

    def resume(self, order_no: str, cash: CashDesk) -> InsOrder:
        """Continue an unfinished order after a crash, a pending settlement or an outage."""
        order = ins_orders.get(self.db, order_no)
        if order.state == "cancelling":
            return self.refund(order_no, cash, order.message or "继续退费")
        if order.state in ("created", "registered"):
            return self.abandon(order_no, "终端中断后未完成预结算，已撤销")
        if order.state == "pre_settled":
            return order  # waiting for the patient's decision; nothing was paid
        return self.pay_and_settle(order_no, cash)

    def unfinished(self) -> list[InsOrder]:
        """This desk's orders to resume."""
        return ins_orders.unfinished(self.db, self.desk)

    def _pay(self, order: InsOrder, cash: CashDesk, say: Progress) -> InsOrder:
        if order.cash_fen == 0:
            return self._move(order, "paid", "无现金部分", cash_channel=cash.channel)
        attempt = sum(1 for _f, to, _n in ins_orders.history(self.db, order.order_no) if to == "paying") + 1
        trade_no = f"{order.order_no}C{attempt}"
        order = self._move(order, "paying", cash_trade_no=trade_no, cash_channel=cash.channel)
        say(f"请支付自付部分{yuan(order.cash_fen)}元")
        return self._paid_or_not(order, cash.pay(trade_no, order.cash_fen, f"医保自付{order.order_no}"))

    def _resumed_payment(self, order: InsOrder, cash: CashDesk) -> InsOrder:
        return self._paid_or_not(order, cash.resume(order.cash_trade_no, order.cash_fen))

    def _paid_or_not(self, order: InsOrder, result: Any) -> InsOrder:
        if result.paid:
            return self._move(order, "paid", result.message)
        if result.state == CASH_IN_DOUBT:
            self._move(order, "paying", result.message, message=CashInDoubtError.default_message)
            raise CashInDoubtError()
        self._move(order, "pre_settled", result.message, message=result.message)
        raise CashNotPaidError(f"自付部分未支付：{result.message}")

    def _settle(self, order: InsOrder, cash: CashDesk, *, again: bool = False) -> InsOrder:
        sid = _sid(order)
        try:
            rec = self.api.settle(sid)
        except LinkDownError as exc:  # never reached the server: nothing was settled
            return self._refuse_after_cash(order, cash, f"同步服务器无法连接：{exc.message}")
        except LinkError as exc:  # sent, answer lost: the server may have settled
            self._move(order, "settling", exc.message, message=SettlementPendingError.default_message)
            raise SettlementPendingError() from exc
        except PlatformError as exc:
            if exc.code == IN_DOUBT:
                self._move(order, "settling", exc.message, message=exc.message)
                raise SettlementPendingError(exc.message) from exc
            if exc.code == STATE_REFUSED and not again:
                return self._settle_resumed(order, cash)  # the server's record decides
            return self._refuse_after_cash(order, cash, f"{exc.code} {exc.message}")
        return self._settled(order, cash, rec)

    def _settle_resumed(self, order: InsOrder, cash: CashDesk) -> InsOrder:
        """A settling order: the server's record decides (it resolves lost ones with 5203 / 2601)."""
        try:
            rec = self.api.query(_sid(order))
        except (PlatformError, LinkError) as exc:
            raise SettlementPendingError(f"暂时无法查询医保结算结果：{exc}") from exc
        if rec.state == "settled":
            return self._settled(order, cash, rec)
        if rec.state == "pre_settled":  # the server found none and reversed the attempt: a fresh one
            return self._settle(order, cash, again=True)
        if rec.state in ("settling", "in_doubt"):
            raise SettlementPendingError()
        return self._refuse_after_cash(order, cash, f"医保结算记录处于{rec.state_name}")

    def _settled(self, order: InsOrder, cash: CashDesk, rec: SettlementRecord) -> InsOrder:
        split = rec.split
        if split is None or split.cash_fen != order.cash_fen:
            # the platform settled other figures than the pre-settlement the patient paid for:
            # undo it rather than leave a bill that does not match the money taken
            try:
                self.api.cancel(rec.settlement_id)
            except (PlatformError, LinkError) as exc:
                raise CancelIncompleteError(f"医保结算金额与预结算不一致，撤销结算失败：{exc}") from exc
            why = "医保结算金额与预结算不一致，已撤销结算"
            order = self._move(order, "refunding", why, message=why, steps=[STEP_CANCEL])
            self._refund_abandoned(order, cash)
            raise SettlementRefusedError(f"{why}，现金部分已原路退回，请重新结算")
        return self._move(order, "settled", setl_id=rec.setl_id, **_split_fields(split))

    def _undo_settled(self, order: InsOrder, cash: CashDesk, why: str) -> InsOrder:
        """A settled order nobody may bill (the bill-base hook refused): the settlement cancelled
        first, then the cash back and the order abandoned."""
        try:
            self.api.cancel(_sid(order))
        except (PlatformError, LinkError) as exc:
            self._move(order, "settled", why[:200], message=f"{why}；撤销医保结算暂未完成"[:200])
            raise CancelIncompleteError(f"{why}，撤销医保结算失败：{exc}") from exc
        order = self._move(order, "refunding", why[:200], message=why[:200], steps=[STEP_CANCEL])
        self._refund_abandoned(order, cash)
        raise SettlementRefusedError(f"{why}，医保结算已撤销，现金部分已原路退回")

    def _refuse_after_cash(self, order: InsOrder, cash: CashDesk, why: str) -> InsOrder:
        order = self._move(order, "refunding", why, message=why[:200])
        self._refund_abandoned(order, cash)
        raise SettlementRefusedError(f"医保结算未成功（{why}），现金部分已原路退回，可改为自费结算")

    def _refund_abandoned(self, order: InsOrder, cash: CashDesk) -> InsOrder:
        """refunding -> abandoned: the cash back, the visit closed (each step recorded)."""
        steps = list(order.steps)
        if order.cash_fen > 0 and STEP_CASH not in steps:
            result = cash.refund(order.cash_trade_no, order.cash_fen, "医保结算未成功")
            if not result.paid:
                raise CancelIncompleteError(f"现金退款未完成：{result.message}")
            steps.append(STEP_CASH)
            order = self._move(order, "refunding", "现金已退回", steps=steps)
        if STEP_CLOSED not in steps and STEP_CANCEL not in steps:
            try:
                self.api.cancel(_sid(order))
            except (PlatformError, LinkError) as exc:  # the server closes nothing: retried on resume
                log.warning("insured order %s: visit not closed yet: %s", order.order_no, exc)
                return order
            steps.append(STEP_CLOSED)
        return self._move(order, "abandoned", "医保结算未成功，已退款", steps=steps)

    def _bill(self, order: InsOrder, cash: CashDesk) -> InsOrder:
        p = order.params
        person = InsuredPerson.from_params(p["person"])
        split = _split_of(order)
        base = p["billBase"]
        if self.bill_base_hook is not None:
            try:
                base = self.bill_base_hook(order)
            except BillBaseRefusedError as exc:
                return self._undo_settled(order, cash, exc.message)
            except (BillingError, LinkError) as exc:
                text = getattr(exc, "message", str(exc))
                self._move(order, "settled", text[:200], message=f"电子票据暂未开具：{text}"[:200])
                raise BillPendingError(f"医保已结算，电子票据暂未开具（{text}），稍后自动补开") from exc
        request = insured_request(base, split, person, order.setl_id, order.cash_channel or "02")
        try:
            outcome = self.issuing.issue(p["billMethod"], request)
        except BillingError as exc:
            self._move(order, "settled", exc.message, message=f"电子票据暂未开具：{exc.message}")
            raise BillPendingError(f"医保已结算，电子票据暂未开具（{exc.message}），稍后自动补开") from exc
        bus_no = str(request.get("busNo") or order.bus_no)
        bill = {"method": p["billMethod"], "busNo": bus_no, "billBatchCode": outcome.bill_batch_code,
                "billNo": outcome.bill_no, "random": outcome.random, "emergency": outcome.emergency,
                "totalAmt": f"{outcome.total_amt:.2f}"}
        return self._move(order, "billed", bill=bill)

    def _voucher(self, order: InsOrder) -> InsOrder:
        """Queue the voucher on the server; a failure leaves the order ``billed`` (resume retries):
        the patient is served, the voucher is background work."""
        bill = order.bill
        if bill.get("emergency"):
            return self._move(order, "billed", message="应急票据上传后再上传电子结算凭证")
        try:
            status = self.api.voucher_upload(_sid(order), bill["billBatchCode"], bill["billNo"])
        except (PlatformError, LinkError) as exc:
            return self._move(order, "billed", str(exc)[:200], message=f"电子结算凭证暂未上传：{exc}"[:200])
        return self._move(order, "done", voucher=status.state, message="")

    # ------------------------------------------------------------------------------ helpers

    def _abandon_quietly(self, order: InsOrder, exc: BaseException) -> None:
        """Close what start() opened after a failure; what cannot be closed now is left to resume."""
        order = ins_orders.get(self.db, order.order_no)
        why = f"{getattr(exc, 'code', '')} {getattr(exc, 'message', exc)}".strip()[:200]
        if order.settlement_id is not None:
            try:
                self.api.cancel(order.settlement_id)
            except (PlatformError, LinkError) as err:
                log.warning("insured order %s: visit not closed: %s", order.order_no, err)
                self._move(order, order.state, why, message=why)
                return
        self._move(order, "abandoned", why, message=why)

    def _move(self, order: InsOrder, to: str, note: str = "", **fields: Any) -> InsOrder:
        return ins_orders.advance(self.db, order.order_no, order.state, to, self._now(), note, **fields)

    def _now(self) -> str:
        return ts17(self.clock.now())


def _sid(order: InsOrder) -> int:
    if order.settlement_id is None:
        raise OrderStateError(f"医保结算单{order.order_no}没有医保结算记录")
    return order.settlement_id


def _split_fields(split: Split) -> dict[str, Any]:
    return {"medfee_fen": fen(split.medfee), "fund_fen": fen(split.fund), "account_fen": fen(split.account),
            "cash_fen": split.cash_fen}


def _split_of(order: InsOrder) -> Split:
    return Split(yuan(order.medfee_fen), yuan(order.fund_fen), yuan(order.account_fen), yuan(order.cash_fen))
