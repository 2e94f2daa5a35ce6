"""Error codes of terminal management and its web (E5100-E5149; docs/ERRORS.md)."""

from __future__ import annotations

from sync_server.errors import ServerError


class AdminRoleError(ServerError):
    """The user logged in, but is not an administrator."""

    code = "E5101"
    default_message = "只有系统管理员可以登录终端管理平台"


class CsrfError(ServerError):
    """A form was posted without this session's anti-forgery token."""

    code = "E5102"
    default_message = "表单已过期或来源不明，请刷新页面后重试"


class OutboxItemError(ServerError):
    """Retry or resolve of an outbox item that does not exist or is not dead."""

    code = "E5107"
    default_message = "该外发任务不存在或不是失败（死信）状态"


class ReasonRequiredError(ServerError):
    """Resolving a dead item by hand needs a reason."""

    code = "E5108"
    default_message = "手工处理原因必填"


class AdminSessionError(ServerError):
    """No admin session, or it expired or was revoked."""

    code = "E5109"
    default_message = "请先登录终端管理平台"


class SurveyFormatError(ServerError):
    """The survey text of the parameter form does not parse."""

    code = "E5110"
    default_message = "满意度问题格式错误"
