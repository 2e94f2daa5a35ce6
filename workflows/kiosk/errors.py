"""Errors of the kiosk workflows (codes E3900-E3949, docs/ERRORS.md "workflows: kiosk").

Flows return :class:`workflows.kiosk.models.FlowResult` for business outcomes (not paid, HIS
refused, refunded); these exceptions are for input the session refuses before anything is done
and for a function that cannot run now.
"""

from __future__ import annotations

from billing_core.errors import BillingError
from workflows.kiosk_config import KioskConfigError


class KioskError(BillingError):
    """Root of the kiosk's own errors."""

    code = "E3900"
    default_message = "自助机业务失败，请到人工窗口办理"


class KioskInputError(KioskError):
    """Bad input from a screen (amount, phone, selection): the message names the field; nothing done."""

    code = "E3901"
    default_message = "输入有误"


class NotIdentifiedError(KioskError):
    """A patient function was called with nobody identified (or after the idle reset)."""

    code = "E3902"
    default_message = "请先识别身份"


class FunctionUnavailableError(KioskError):
    """The function is disabled: a device it needs is faulty or the site turned it off."""

    code = "E3903"
    default_message = "此功能暂不可用，请到人工窗口办理"


class IdentifyError(KioskError):
    """The patient could not be identified (no card, unreadable card, unknown to the HIS, face
    not matched); the message says which and what to do."""

    code = "E3904"
    default_message = "身份识别失败，请重试或到人工窗口办理"


class CardRemovedError(KioskError):
    """The card was pulled out mid-flow (before any payment): the flow is abandoned."""

    code = "E3905"
    default_message = "卡片已拔出，本次业务已取消"


class HisUnavailableError(KioskError):
    """The HIS cannot be reached for a read (the money path keeps its own recovery)."""

    code = "E3906"
    default_message = "医院信息系统暂时无法访问，请稍后再试或到人工窗口办理"


class UnknownOrderError(KioskInputError):
    """An order number the kiosk does not know."""

    code = "E3910"
    default_message = "没有这笔自助机订单"


class InsuredUnavailableError(KioskError):
    """The insured 门诊缴费 cannot be offered for these charges (no insurance credential, an item
    without an insurance list code): the patient pays as self-pay (E3971)."""

    code = "E3971"
    default_message = "本次无法医保结算，可按自费缴费"


__all__ = ["InsuredUnavailableError", "KioskError", "KioskInputError", "NotIdentifiedError", "FunctionUnavailableError", "IdentifyError",
           "CardRemovedError", "HisUnavailableError", "UnknownOrderError", "KioskConfigError"]
