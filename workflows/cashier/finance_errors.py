"""Errors of the finance office's hospital-wide reports and configuration screens (E3090-E3099,
docs/ERRORS.md "workflows.cashier: finance office")."""

from __future__ import annotations

from workflows.session_errors import SessionError


class ReportInputInvalid(SessionError):
    """A filter typed on the report screen is unusable (the message names the field)."""

    code = "E3090"
    default_message = "报表查询条件有误"


class NoReportLoaded(SessionError):
    """Export or print asked before any report was queried."""

    code = "E3091"
    default_message = "请先查询报表"


class ReportAnswerInvalid(SessionError):
    """The server's report answer lacks its columns, rows or totals (a mismatched server version)."""

    code = "E3092"
    default_message = "服务器返回的报表数据不完整"


class ConfigInputInvalid(SessionError):
    """A configuration row typed on a finance screen misses a field (the message names it)."""

    code = "E3093"
    default_message = "基础资料填写有误"
