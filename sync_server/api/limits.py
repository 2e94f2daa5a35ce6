"""Limits on what one request may carry (issue 14 §8), checked before anything is decoded further.

* body size: Flask's ``MAX_CONTENT_LENGTH`` (:data:`MAX_BODY_BYTES`); the 413 becomes a signed
  E5060 envelope (sync_server.api.envelope_io).
* JSON nesting: the envelope and its ``data`` at most :data:`MAX_DEPTH` levels (the deepest
  platform request, a batch's bill's charge line, has 4) -> E5061. Python's JSON decoder gives up
  with RecursionError near 1,000 levels; that is the same refusal.
* list lengths: :data:`MAX_ITEMS` per list field, wherever it sits (a batch's bills' lines too)
  -> E5062 naming the field; any other list at most :data:`MAX_OTHER_ITEMS`.

Amounts are N14,2 (≤ 999999999999.99) and are refused by billing_core.money (E1004).

The maxima are ours (the spec sets none): far above what a hospital sends — an inpatient stay's
daily list of a year, a day's batch — and far below what would tie up a server thread.
"""

from __future__ import annotations

from typing import Any

from sync_server.errors import ListTooLongError, NestingTooDeepError

#: The largest HTTP body accepted (bytes). A 10,000-line inpatient list is about 5 MB base64-encoded.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: The deepest JSON nesting accepted, in the envelope and in its data.
MAX_DEPTH = 16
#: Entries allowed per list field (name -> maximum).
MAX_ITEMS: dict[str, int] = {
    "chargeDetail": 1000,
    "listDetail": 10000,
    "payChannelDetail": 50,
    "otherInfo": 100,
    "otherMedicalList": 100,
    "eBillList": 1000,
    "noticeList": 100,
    "billNoList": 1000,
    "bills": 5000,  # a terminal's emergency upload
}
#: Entries allowed in any other list.
MAX_OTHER_ITEMS = 1000

_LABELS = {
    "chargeDetail": "收费项目明细", "listDetail": "清单明细", "payChannelDetail": "交费渠道列表",
    "otherInfo": "其他扩展信息列表", "otherMedicalList": "其他医保信息列表", "eBillList": "批量开票列表",
    "noticeList": "通知列表", "billNoList": "票号列表", "bills": "应急票据列表",
}


def check(obj: Any, what: str = "data") -> None:
    """Refuse ``obj`` (decoded JSON) nested deeper than MAX_DEPTH or with a list longer than allowed.

    Iterative (a hostile depth cannot exhaust the stack); one pass over the values.

    :raises NestingTooDeepError: E5061.
    :raises ListTooLongError: E5062, naming the field and its maximum.
    """
    if not isinstance(obj, (dict, list)):
        return
    stack: list[tuple[Any, int, str]] = [(obj, 1, what)]
    while stack:  # containers only: scalars need no visit (every request passes through here)
        value, depth, name = stack.pop()
        if depth > MAX_DEPTH:
            raise NestingTooDeepError(f"{what}的JSON嵌套超过{MAX_DEPTH}层")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, str(k)) for k, v in value.items() if isinstance(v, (dict, list)))
        else:
            limit = MAX_ITEMS.get(name, MAX_OTHER_ITEMS)
            if len(value) > limit:
                label = _LABELS.get(name, name)
                raise ListTooLongError(f"{name}（{label}）最多{limit}条，收到{len(value)}条")
            stack.extend((v, depth + 1, name) for v in value if isinstance(v, (dict, list)))
