"""Errors of the terminal workflows (codes E8101-E8799, docs/ERRORS.md "terminal emergency mode").

Limit warnings are not exceptions: they travel as :class:`workflows.emergency.limits.LimitNotice`
with their own codes (E8311-E8322) so the status bar can show them next to a successful bill.
"""

from __future__ import annotations

from billing_core.errors import BillingError


class LinkError(BillingError):
    """Root of link failures to the sync server (the breaker counts them)."""

    code = "E8101"
    default_message = "无法连接同步服务器"
    #: True when the request may have reached the server (the outcome is in doubt).
    sent = False


class LinkDownError(LinkError):
    """The request was not sent: connection refused, connect timeout, or the breaker is open."""

    code = "E8101"
    default_message = "同步服务器连接中断，可使用应急开票"


class AnswerLostError(LinkError):
    """The request was sent but no answer came back (read timeout, dropped connection)."""

    code = "E8102"
    default_message = "请求已发出但未收到同步服务器应答"
    sent = True


class BadAnswerError(LinkError):
    """The server answered something unusable (HTTP error status, not an envelope, bad signature)."""

    code = "E8103"
    default_message = "同步服务器应答无法识别"
    sent = True


class NoStockError(BillingError):
    """No emergency number is left for the billing point (stock used up, returned or revoked)."""

    code = "E8201"
    default_message = "应急票据号码已用完，请联网后领用应急库存"


class BusNoReusedError(BillingError):
    """A busNo already issued on this terminal was sent again with different content."""

    code = "E8402"
    default_message = "业务流水号已开具过票据且内容不同，请核对后使用新的业务流水号"


class PrintFailedError(BillingError):
    """The notice did not print; the job stays in the store and can be reprinted (补打)."""

    code = "E8601"
    default_message = "告知单打印失败，票据已保存，可稍后补打"


class ConfigError(BillingError):
    """The terminal configuration file is missing or wrong (names the key)."""

    code = "E8701"
    default_message = "终端配置错误"


class ControlError(BillingError):
    """A control-socket command was unknown or malformed."""

    code = "E8702"
    default_message = "控制命令无法识别"


class ControlRefused(BillingError):
    """A control-socket request without the runtime's token, or not a JSON command at all (an
    HTTP request from a web page): refused and the connection closed."""

    code = "E8704"
    default_message = "控制命令被拒绝：缺少令牌或不是JSON命令"
