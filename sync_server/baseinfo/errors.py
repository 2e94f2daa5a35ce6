"""Errors of the finance base information and configuration (E5972-E5979, docs/ERRORS.md)."""

from __future__ import annotations

from sync_server.errors import ServerError


class ConfigDataError(ServerError):
    """A configuration row (department, checker, payer, item group) is missing a field or malformed."""

    code = "E5972"
    default_message = "基础资料数据有误"


class CheckerRequiredError(ServerError):
    """An inpatient, registration or check-up bill names no checker (复核人), or one not registered."""

    code = "E5973"
    default_message = "住院、挂号、体检票据必须填写已登记的复核人"


class BaseInfoDownloadError(ServerError):
    """The finance platform's base-information download failed or answered nothing usable."""

    code = "E5974"
    default_message = "财政基础信息下载失败"
