"""Errors of the bill-desk sessions every terminal shares (codes E5800-E5899, docs/ERRORS.md
"workflows.cashier" — the range was the cashier window's first, the codes are unchanged).

Paper exchange, write-off and bill look-ups are not the cashier window's alone: the kiosk and the
ward use the same :mod:`workflows.paper` / :mod:`workflows.writeoff` / :mod:`workflows.records`,
so their errors live here. What only the window raises (login, entry form, import, report export)
is in :mod:`workflows.cashier.errors`, under the same root :class:`SessionError`.
"""

from __future__ import annotations

from billing_core.errors import BillingError


class SessionError(BillingError):
    """Root of the E58xx session errors (shared and cashier-window ones)."""

    code = "E5800"
    default_message = "收费操作失败"


class AlreadyExchanged(SessionError):
    """The e-bill was already exchanged for paper: exchange is once only (seed 001 5(1))."""

    code = "E5830"
    default_message = "该电子票据已换开纸质票据，只能换开一次，如需重打请使用“重打”"


class ReasonRequired(SessionError):
    """Reprint, void and write-off need a reason."""

    code = "E5831"
    default_message = "请填写原因"


class PaperNumberMismatch(SessionError):
    """The paper number the cashier confirmed is not the next number of the stock."""

    code = "E5832"
    default_message = "纸质票据号码与下一张可用号码不一致，请核对打印机中的票据"


class NotExchanged(SessionError):
    """Reprint or void of paper that was never exchanged."""

    code = "E5833"
    default_message = "该电子票据尚未换开纸质票据"


class BadBlankRange(SessionError):
    """Void blank paper: start after end, or not numbers."""

    code = "E5834"
    default_message = "空白票据号段有误"


class PaperFirst(SessionError):
    """Write-off of a bill that has paper: the paper must be voided first (seed 001 1(5))."""

    code = "E5841"
    default_message = "该票据已换开纸质票据，须先作废纸质票据再冲红"


class AlreadyWrittenOff(SessionError):
    """The bill is already red-flushed."""

    code = "E5842"
    default_message = "该票据已冲红，不能重复冲红"


class BillNotFound(SessionError):
    """No bill matches the number / business number asked for."""

    code = "E5870"
    default_message = "未找到该票据"
