"""Errors of the bill-stock lifecycle (issue 18 §2): codes E5940-E5969, listed in docs/ERRORS.md
("sync server: bill stock"). A refused operation changes nothing (docs/STOCK.md)."""

from __future__ import annotations

from sync_server.errors import ServerError


class StockError(ServerError):
    """Root of the stock refusals."""

    code = "E5940"
    default_message = "票据库存操作被拒绝"


class StockInputError(StockError):
    """A field of the request is missing or malformed (the message names it)."""

    code = "E5941"
    default_message = "票据库存请求数据不完整或格式错误"


class StockOverlapError(StockError):
    """The range overlaps numbers the hospital already holds (opening stock, stock-in)."""

    code = "E5942"
    default_message = "号段与已有库存重叠"


class StockRangeError(StockError):
    """The range is not (wholly) in the state the operation needs: not in the store, not at that
    point, partly distributed / voided / returned, or spanning two received ranges."""

    code = "E5943"
    default_message = "号段不在可操作的库存中"


class StockBusyError(StockError):
    """Another operation on the range is waiting for the platform."""

    code = "E5944"
    default_message = "号段正在办理其他操作，请稍后再试"


class StockRequestConflict(StockError):
    """The requestId was already used for another operation."""

    code = "E5945"
    default_message = "请求编号已用于另一项库存操作"


class ApplyStateError(StockError):
    """The application is not in a state allowing this (confirm before approval, rejected ...)."""

    code = "E5946"
    default_message = "申领单当前状态不允许此操作"


class ApplyNotFoundError(StockError):
    """No such application on the server."""

    code = "E5947"
    default_message = "申领单不存在"


class StockHolderError(StockError):
    """The billing point or terminal to distribute to is unknown, disabled or not of that point."""

    code = "E5948"
    default_message = "分发对象（开票点或终端）不存在或不属于该开票点"


class StockPlatformRefused(StockError):
    """The platform refused the stock call (its code and words are in the message); nothing changed."""

    code = "E5949"
    default_message = "财政平台拒绝了库存操作"


class StockPlatformDown(StockError):
    """The platform could not be reached; nothing was sent and nothing changed."""

    code = "E5950"
    default_message = "财政平台暂不可达，库存操作未办理"


class StockInDoubtError(StockError):
    """The platform's answer was lost: the range stays held by the request (``busy``); repeat
    the same request (same requestId) to finish it."""

    code = "E5951"
    default_message = "财政平台应答丢失，库存操作结果未知，请以相同请求编号重试"


class YearEndError(StockError):
    """Closing a year's numbering is refused (emergency bills of that year not carried forward)."""

    code = "E5952"
    default_message = "年结条件不满足"
