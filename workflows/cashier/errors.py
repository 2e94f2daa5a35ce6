"""Errors only the cashier window raises: login, entry form, batch import, report export.

Same E58xx range and root as the shared session errors (:mod:`workflows.session_errors`); the
codes are unchanged (docs/ERRORS.md "workflows.cashier").
"""

from __future__ import annotations

from workflows.session_errors import SessionError

#: The window's name for the E58xx root (what cashier_app raises for window-level failures).
CashierError = SessionError


class LoginFailed(SessionError):
    """Unknown user or wrong password."""

    code = "E5801"
    default_message = "用户名或密码错误"


class RoleNotAllowed(SessionError):
    """The user has no role that may use this workspace or action."""

    code = "E5802"
    default_message = "当前用户无权执行此操作"


class SessionLocked(SessionError):
    """Nobody is logged in, or the window is locked after idling."""

    code = "E5803"
    default_message = "请先登录或解锁"


class PasswordChangeNeeded(SessionError):
    """The server says the password expired or was reset: nothing but a password change."""

    code = "E5804"
    default_message = "密码已过期或已被重置，请先修改密码"


class EntryInvalid(SessionError):
    """The bill on the entry form does not add up or misses fields (issues carry the detail)."""

    code = "E5810"
    default_message = "票据内容有误，请按提示修改"

    def __init__(self, issues: list[tuple[str, str, str]]) -> None:
        self.issues = issues
        head = "；".join(f"{label}：{msg}" for _c, label, msg in issues[:3])
        super().__init__(head or self.default_message)


class UnknownChargeItem(SessionError):
    """A charge item code that the catalog does not know."""

    code = "E5814"
    default_message = "收费项目不存在"


class ImportUnreadable(SessionError):
    """The import file cannot be read (format, encoding, missing columns)."""

    code = "E5820"
    default_message = "导入文件无法读取"


class ImportHasErrors(SessionError):
    """Some rows of the import file are wrong: nothing from the file is issued."""

    code = "E5822"
    default_message = "导入文件有错误行，未开具任何票据"


class ExportFailed(SessionError):
    """The report file could not be written."""

    code = "E5860"
    default_message = "报表导出失败"
