"""Notice delivery (交付管理): push a bill's notice to the patient's phone or e-mail.

sendBillNotice (spec §9) with noticeType 1201 (mobile) / 1202 (e-mail); the window records where it
went (masked) so the query page can show each bill's delivery status next to printing and paper.
"""

from __future__ import annotations

import re

from billing_core import methods
from workflows import events as ev
from workflows.events import Events
from workflows.records import BillBook, BillRecord
from workflows.server_api import HisApi
from workflows.session_errors import SessionError

_MOBILE = re.compile(r"^1\d{10}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NoticeTargetInvalid(SessionError):
    """Neither a mobile number nor an e-mail address."""

    code = "E5816"
    default_message = "请填写11位手机号码或电子邮箱"


def mask_target(target: str) -> str:
    """``138****0000`` / ``li***@example.com`` for the record and the screen."""
    if _MOBILE.match(target):
        return target[:3] + "****" + target[-4:]
    name, _, domain = target.partition("@")
    return f"{name[:2]}***@{domain}"


def send_notice(api: HisApi, bills: BillBook, events: Events, rec: BillRecord, target: str = "") -> BillRecord:
    """Push the notice of ``rec`` to ``target`` (default: the bill's phone number)."""
    target = (target or rec.tel).strip()
    if _MOBILE.match(target):
        kind = "1201"
    elif _EMAIL.match(target):
        kind = "1202"
    else:
        raise NoticeTargetInvalid()
    api.call(methods.SEND_BILL_NOTICE, {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no,
                                "noticeList": [{"noticeType": kind, "noticeValue": target}]})
    rec.notice_sent = f"{kind}:{mask_target(target)}"
    bills.put(rec)
    events.emit(ev.BILL_CHANGED, record=rec)
    return rec
