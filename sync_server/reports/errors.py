"""Errors of the hospital-wide reports (E5970-E5971; the block E5970-E5999, docs/ERRORS.md)."""

from __future__ import annotations

from sync_server.errors import ServerError


class ReportFilterError(ServerError):
    """A report filter field is missing or malformed (the message names the field)."""

    code = "E5970"
    default_message = "报表查询条件有误"


class UnknownReportError(ServerError):
    """The report name is not one the server offers."""

    code = "E5971"
    default_message = "不支持的报表"
