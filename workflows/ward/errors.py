"""Errors of the ward workflows (codes E3800-E3849, docs/ERRORS.md "workflows: ward")."""

from __future__ import annotations

from billing_core.errors import BillingError


class WardError(BillingError):
    """Root of the ward's own errors."""

    code = "E3800"
    default_message = "病区业务失败"


class WardInputError(WardError):
    """Bad input from the nurse station (amount, admission number, date): the message names the
    field; nothing was done."""

    code = "E3801"
    default_message = "输入有误"


class WardConfigError(WardError):
    """The ``[ward]`` table (or what it needs: [his], [payment]) is missing or wrong."""

    code = "E3802"
    default_message = "病区配置有误"


class WardHisError(WardError):
    """The HIS could not be read (unreachable or refused) for a read-only ward view."""

    code = "E3803"
    default_message = "HIS暂不可用，请稍后重试"


class UnknownWardOrderError(WardError):
    """No ward order with that number in this terminal's store."""

    code = "E3804"
    default_message = "没有该病区订单"


class NotReversibleError(WardError):
    """The order cannot be reversed (not a settled deposit payment, or already reversed)."""

    code = "E3805"
    default_message = "该订单不能撤销"


class ExportFailedError(WardError):
    """A statistics export could not be written (disk, permissions)."""

    code = "E3806"
    default_message = "导出失败"


class WardInsuranceError(WardError):
    """An inpatient insurance step refused, or the insurance side unreachable (the message names
    the step; the nurse may settle as self-pay)."""

    code = "E3807"
    default_message = "医保业务失败"


class WardWayBackOrderError(WardError):
    """A step of the insurance way back asked out of order (seed 003: 不允许跨单回退): the server's
    E5616 message (or the station's own) names the step that must come first; nothing was done."""

    code = "E3808"
    default_message = "医保回退须逐步办理"


class WardWayBackPendingError(WardError):
    """A way-back step was sent but its answer was lost (or another step's still is): it stays
    pending on the stay's record; sending it again is safe and never does it twice."""

    code = "E3809"
    default_message = "医保回退结果待确认，请稍后重试"
