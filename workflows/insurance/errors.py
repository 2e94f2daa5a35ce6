"""Errors of the insured settlement flow (E3950-E3969, docs/ERRORS.md "workflows: insured settlement").

E3990-E3999 belong to the finance simulator (docs/ERRORS.md), so this block stops at E3969.
"""

from __future__ import annotations

from billing_core.errors import BillingError


class InsuredFlowError(BillingError):
    """Bad input to the flow (the message names the field); nothing was written or sent."""

    code = "E3950"
    default_message = "医保结算数据错误"


class InsuranceDownError(InsuredFlowError):
    """The insurance platform (or the sync server) cannot be reached: nothing is half settled;
    the visit is closed and the patient may pay as self-pay."""

    code = "E3951"
    default_message = "医保平台暂时无法连接，本次无法医保结算，可按自费结算"


class SettlementPendingError(InsuredFlowError):
    """The settlement's outcome is unknown (server E5613): wait and query, never settle again."""

    code = "E3952"
    default_message = "医保结算结果待核实，请稍后查询结果，切勿重复结算"


class SettlementRefusedError(InsuredFlowError):
    """The platform refused the settlement after the cash part was paid: the cash was refunded."""

    code = "E3953"
    default_message = "医保结算未成功，现金部分已原路退回"


class CashNotPaidError(InsuredFlowError):
    """The cash part was not paid (cancelled, failed, closed): nothing was settled."""

    code = "E3954"
    default_message = "自付部分未支付，未进行医保结算"


class CashInDoubtError(InsuredFlowError):
    """The cash payment's outcome is unknown: the order is kept and resumed, never charged twice."""

    code = "E3955"
    default_message = "自付部分支付结果待确认，请稍后查询，切勿重复支付"


class RefundRefusedError(InsuredFlowError):
    """The settlement cannot be refunded: its voucher was used for reimbursement, or the bill has paper."""

    code = "E3956"
    default_message = "该医保结算不能退费"


class CancelIncompleteError(InsuredFlowError):
    """A step of the cancel chain failed; the steps done are recorded and a retry continues."""

    code = "E3957"
    default_message = "医保退费未完成，已完成的步骤已记录，请稍后继续退费"


class OrderStateError(InsuredFlowError):
    """The order's state does not allow the step (e.g. cancel an order that was never settled)."""

    code = "E3958"
    default_message = "医保结算单当前状态不允许此操作"


class BillPendingError(InsuredFlowError):
    """Settled, but the e-bill could not be issued now; the order resumes with the same busNo."""

    code = "E3959"
    default_message = "医保已结算，电子票据暂未开具，稍后自动补开"


class BillBaseRefusedError(InsuredFlowError):
    """The bill-base hook's system (the kiosk: the HIS) refused the settled order: the insurance
    settlement is cancelled and the cash refunded (E3970, the kiosk's block)."""

    code = "E3970"
    default_message = "医院系统未接受本次医保结算，已撤销医保结算"
