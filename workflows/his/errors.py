"""Errors of the HIS client: one type for every refusal of the HIS (its stable code and Chinese
message), and one for "no usable answer" after which the caller asks by requestId."""

from __future__ import annotations

from billing_core.errors import BillingError


class HisError(BillingError):
    """The HIS refused the call: ``code`` (E35xx, docs/HIS_ADAPTER.md §5) and Chinese ``message``.
    Nothing was changed by the refused call."""

    code = "E3500"
    default_message = "HIS处理失败"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code)


class HisUnavailable(HisError):
    """No answer from the HIS: connection refused, timeout, HTTP 503. When :attr:`sent` is True
    the call may have taken effect: ask with ``query_request(request_id)`` (or resend with the same
    requestId, which is safe) before doing anything else."""

    code = "E3591"
    default_message = "HIS系统无应答，请稍后重试"

    def __init__(self, message: str | None = None, *, sent: bool, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.sent = sent


class HisBadAnswer(HisUnavailable):
    """An answer came but is unusable (not the interface's JSON, or its signature is wrong): the
    outcome is unknown, exactly as after a timeout."""

    code = "E3592"
    default_message = "HIS应答无法识别或签名错误"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, sent=True)
