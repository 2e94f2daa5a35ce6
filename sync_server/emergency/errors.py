"""Errors of terminal emergency mode on the server (issue 7): codes E5400-E5499.

Per-bill upload refusals are answered inside ``uploadEmergencyBills`` results (the terminal
journals them ``rejected`` and shows them to a person, docs/EMERGENCY.md §4); the others are
whole-request failures. Every code is listed in docs/ERRORS.md, section "sync server: terminal
emergency mode".
"""

from __future__ import annotations

from sync_server.errors import ServerError


class TerminalBillError(ServerError):
    """Root of the per-bill refusals of an emergency upload."""

    code = "E5400"
    default_message = "应急票据上传被拒绝"


class TerminalMismatchError(TerminalBillError):
    """The bill names another terminal than the caller."""

    code = "E5401"
    default_message = "应急票据的终端编号与调用终端不一致"


class KeyNotRegisteredError(TerminalBillError):
    """The terminal has not registered its SM2 public key."""

    code = "E5402"
    default_message = "终端未登记SM2公钥，无法验证应急票据签名"


class BillSignatureError(TerminalBillError):
    """signValue does not verify over the canonical bill with the registered key."""

    code = "E5403"
    default_message = "应急票据SM2签名验证失败"


class ChainLinkError(TerminalBillError):
    """``hash`` does not recompute from ``prevHash`` and the bill's link record."""

    code = "E5404"
    default_message = "应急票据哈希链校验失败"


class ChainGapError(TerminalBillError):
    """``prevHash`` is neither the terminal's last accepted link nor the seed of one of its online bills."""

    code = "E5405"
    default_message = "应急票据哈希链不连续"


class OutsideBlockError(TerminalBillError):
    """The number lies in no block handed to this terminal for that billing point."""

    code = "E5406"
    default_message = "应急票号不在发放给该终端的应急号段内"


class ReturnedNumberError(TerminalBillError):
    """The number was returned (申退): void for ever."""

    code = "E5407"
    default_message = "应急票号已申退作废，不能使用"


class RevokedBlockError(TerminalBillError):
    """The block was revoked (lost terminal) before the bill's issue time."""

    code = "E5408"
    default_message = "应急号段已被收回，收回后开具的票据不予接收"


class NumberUsedError(TerminalBillError):
    """Another bill already carries this code and number."""

    code = "E5409"
    default_message = "应急票号已被其他票据使用"


class BillContentError(TerminalBillError):
    """The bill itself does not validate (fields, sums, billing point)."""

    code = "E5410"
    default_message = "应急票据内容校验不通过"


class UploadRequestError(ServerError):
    """The upload request as a whole is malformed (nothing stored)."""

    code = "E5411"
    default_message = "应急票据上传请求格式错误"


class StockReturnError(ServerError):
    """申退 of a range that is not an unused part of a block handed to this terminal."""

    code = "E5412"
    default_message = "申退号段不正确"


class RevocationError(ServerError):
    """Revocation asked for a terminal that holds no active block."""

    code = "E5413"
    default_message = "该终端没有可收回的应急号段"


class OverdueAlarm(ServerError):
    """Alarm: a terminal's emergency bills are past their upload deadline."""

    code = "E5420"
    default_message = "终端应急票据超过上传期限未上传"


class LowStockWarning(ServerError):
    """Warning: a terminal's emergency stock is low."""

    code = "E5421"
    default_message = "终端应急票据库存不足"


class SilentTerminalAlarm(ServerError):
    """Alarm: a terminal holding emergency stock has not reported for longer than the deadline."""

    code = "E5422"
    default_message = "持有应急号段的终端超过上传期限未联系服务器"
