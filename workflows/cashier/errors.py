"""Errors of the cashier workflows (codes E5800-E5899, docs/ERRORS.md "workflows.cashier")."""

from __future__ import annotations

from billing_core.errors import BillingError


class CashierError(BillingError):
    """Root of the cashier workflow errors."""

    code = "E5800"
    default_message = "收费操作失败"


class LoginFailed(CashierError):
    """Unknown user or wrong password."""

    code = "E5801"
    default_message = "用户名或密码错误"


class RoleNotAllowed(CashierError):
    """The user has no role that may use this workspace or action."""

    code = "E5802"
    default_message = "当前用户无权执行此操作"


class SessionLocked(CashierError):
    """Nobody is logged in, or the window is locked after idling."""

    code = "E5803"
    default_message = "请先登录或解锁"


class EntryInvalid(CashierError):
    """The bill on the entry form does not add up or misses fields (issues carry the detail)."""

    code = "E5810"
    default_message = "票据内容有误，请按提示修改"

    def __init__(self, issues: list[tuple[str, str, str]]) -> None:
        self.issues = issues
        head = "；".join(f"{label}：{msg}" for _c, label, msg in issues[:3])
        super().__init__(head or self.default_message)


class UnknownChargeItem(CashierError):
    """A charge item code that the catalog does not know."""

    code = "E5814"
    default_message = "收费项目不存在"


class ImportUnreadable(CashierError):
    """The import file cannot be read (format, encoding, missing columns)."""

    code = "E5820"
    default_message = "导入文件无法读取"


class ImportHasErrors(CashierError):
    """Some rows of the import file are wrong: nothing from the file is issued."""

    code = "E5822"
    default_message = "导入文件有错误行，未开具任何票据"


class AlreadyExchanged(CashierError):
    """The e-bill was already exchanged for paper: exchange is once only (seed 001 5(1))."""

    code = "E5830"
    default_message = "该电子票据已换开纸质票据，只能换开一次，如需重打请使用“重打”"


class ReasonRequired(CashierError):
    """Reprint, void and write-off need a reason."""

    code = "E5831"
    default_message = "请填写原因"


class PaperNumberMismatch(CashierError):
    """The paper number the cashier confirmed is not the next number of the stock."""

    code = "E5832"
    default_message = "纸质票据号码与下一张可用号码不一致，请核对打印机中的票据"


class NotExchanged(CashierError):
    """Reprint or void of paper that was never exchanged."""

    code = "E5833"
    default_message = "该电子票据尚未换开纸质票据"


class BadBlankRange(CashierError):
    """Void blank paper: start after end, or not numbers."""

    code = "E5834"
    default_message = "空白票据号段有误"


class PaperFirst(CashierError):
    """Write-off of a bill that has paper: the paper must be voided first (seed 001 1(5))."""

    code = "E5841"
    default_message = "该票据已换开纸质票据，须先作废纸质票据再冲红"


class AlreadyWrittenOff(CashierError):
    """The bill is already red-flushed."""

    code = "E5842"
    default_message = "该票据已冲红，不能重复冲红"


class ExportFailed(CashierError):
    """The report file could not be written."""

    code = "E5860"
    default_message = "报表导出失败"


class BillNotFound(CashierError):
    """No bill matches the number / business number asked for."""

    code = "E5870"
    default_message = "未找到该票据"
