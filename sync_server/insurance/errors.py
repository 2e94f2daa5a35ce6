"""Errors of the insurance room and API (E5605-E5618; the connector's are E5601-E5604).

Every code is listed in docs/ERRORS.md, section "sync server: insurance".
"""

from __future__ import annotations

from sync_server.errors import ServerError


class InsuranceError(ServerError):
    """Root of the insurance room's errors."""

    code = "E5610"
    default_message = "医保请求数据错误"


class InsuranceOffError(InsuranceError):
    """No insurance platform is configured (``insurance_url`` empty)."""

    code = "E5605"
    default_message = "未配置医保平台，医保接口不可用"


class InsuranceRequestError(InsuranceError):
    """A request field is missing or malformed (the message names it); nothing was sent."""

    code = "E5610"
    default_message = "医保请求数据错误"


class PatientBusyError(InsuranceError):
    """The person already has an open settlement (one settlement at a time per patient)."""

    code = "E5611"
    default_message = "该参保人已有未完成的医保结算，请先完成或撤销"


class SettlementStateError(InsuranceError):
    """The settlement's state forbids the step (e.g. settle before pre-settle, cancel twice)."""

    code = "E5612"
    default_message = "医保结算当前状态不允许此操作"


class SettlementInDoubtError(InsuranceError):
    """The settlement's outcome is unknown; the server resolves it (5203, then 2601) — never
    settle again until it is resolved."""

    code = "E5613"
    default_message = "医保结算结果不确定，正在向医保平台核实，请稍后查询，切勿重复结算"


class SettlementNotFoundError(InsuranceError):
    """No settlement record with that id (or not the caller's)."""

    code = "E5614"
    default_message = "未找到该医保结算记录"


class AmountMismatchError(InsuranceError):
    """The platform's answer does not add up (total ≠ fund + person part + hospital part)."""

    code = "E5615"
    default_message = "医保结算金额不平"


class WayBackOrderError(InsuranceError):
    """A step of the way back out of order (seed 003: 不允许跨单回退): the message names the step
    that must come first (cancel the settlement, then the fees, then the registration; the
    discharge before the admission)."""

    code = "E5616"
    default_message = "医保回退须按业务顺序逐步进行"


class CancelInDoubtError(InsuranceError):
    """A settlement cancel (2208/2305) whose answer was lost: the server checks it (5203 by the
    settlement, 2601 on the cancel's msgid when it did not land) — never cancel again meanwhile."""

    code = "E5617"
    default_message = "医保结算撤销结果不确定，正在向医保平台核实，请稍后查询，切勿重复撤销"


class SettlementListError(InsuranceError):
    """A settlement list (4101) that cannot be sent: not a valid settlement, already uploaded, or
    its item amounts do not add up to the settlement's total (the message names the field)."""

    code = "E5618"
    default_message = "医保结算清单不能上传"
