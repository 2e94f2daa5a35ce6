"""The one validation pass of a request, at the server's edge, before anything is written or forwarded.

:func:`validate` is called once per request where it enters the server: every platform method HIS
or a terminal sends (sync_server.api.his_api), every bill inside a terminal's emergency upload
(sync_server.emergency.terminal_bills), and a stored batch's bills when the batch runs (the store
keeps JSON, whose amounts are strings again). The services behind it receive the validated object
and check nothing again.

One pass, two sources, nothing checked twice:

* billing_core's field tables (``billing_core.bills.validate_request``): V3.2.0 names, Decimal
  amounts, required fields, lengths, non-empty detail lists and sums (spec §3.5) -> E10xx; only
  the spec's rules refuse, our stricter ones are logged as warnings (docs/VALIDATION_RULES.md);
* the server's own minimum, :data:`SERVER_NEEDS`: the keys its services read from a request without
  looking. A key billing_core already requires is not checked again: the table is folded at import
  into the keys billing_core leaves optional (none today), which are refused with E5026.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from billing_core import methods
from billing_core.bills import METHODS, validate_request
from billing_core.errors import ValidationIssue
from sync_server.errors import RequestDataError

log = logging.getLogger(__name__)

_ISSUE_NEEDS = ("busNo", "busDateTime", "placeCode", "totalAmt", "payer", "chargeDetail", "payChannelDetail")
_WRITE_OFF_NEEDS = ("billBatchCode", "billNo", "reason", "operator", "busDateTime", "placeCode")
_TURN_PAPER_NEEDS = ("billBatchCode", "billNo", "pBillBatchCode", "pBillNo", "busDateTime", "placeCode", "operator")

#: method -> the request keys the server's services rely on (issuing, batches, changes, local answers).
#: Each must be a field of billing_core's table of the method: normalisation drops unknown keys.
SERVER_NEEDS: dict[str, tuple[str, ...]] = {
    **{m: _ISSUE_NEEDS for m in methods.ISSUE},
    **{m: ("batchNo", "eBillList") for m in methods.BATCH},
    methods.WRITE_OFF_EBILL: _WRITE_OFF_NEEDS,
    methods.WRITE_OFF_EBILL_TO_PAPER: (*_WRITE_OFF_NEEDS, "pBillBatchCode", "pBillNo"),
    methods.TURN_PAPER: _TURN_PAPER_NEEDS,
    methods.RE_TURN_PAPER: _TURN_PAPER_NEEDS,
    methods.INVALID_PAPER: ("pBillBatchCode", "pBillNo", "placeCode", "author", "reason", "busDateTime"),
    methods.RECEIVE_ARREARS_FEEDBACK: ("billBatchCode", "billNo", "feedBackDate"),
    methods.RECEIVE_LIST_DETAIL: ("billBatchCode", "billNo", "listDetail"),
    methods.SEND_BILL_NOTICE: ("billBatchCode", "billNo", "noticeList"),
    methods.INVALID_BLANK_BILL_NO: ("pBillBatchCode", "pBillNoStart", "pBillNoEnd", "placeCode", "author", "reason"),
    methods.BILL_STOCK_OUT: ("placeCode", "billNoList"),
    methods.BILL_STOCK_RETURN: ("placeCode", "billNoList"),
    methods.GET_EBILL_BY_BUS_NO: ("busNo",),
    methods.GET_BATCH_INVOICE_EBILL: ("batchNo",),
    methods.GET_EBILL_STATES_BY_BILL_INFO: ("billBatchCode", "billNo"),
    methods.GET_BILL_DETAIL: ("billBatchCode", "billNo"),
    methods.GET_BILL_BY_BUS_DATE: ("busBgnDate", "busEndDate"),
    methods.GET_BILL_BY_IVC_DATE: ("busBgnDate", "busEndDate"),
    **{m: ("ivcDate" if "IvcDate" in m else "busDate",) for m in methods.RECONCILE if m.startswith("check")},
}


def required_by_billing_core(method: str, key: str) -> bool:
    """True when billing_core's field table of ``method`` makes ``key`` required."""
    spec = METHODS.get(method)
    row = spec.schema.by_name.get(key) if spec is not None else None
    return row is not None and row.required


def extra_required(needs: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Of the keys the server needs, those billing_core does not already require: the only ones
    :func:`validate` checks itself."""
    return {m: extra for m, keys in needs.items()
            if (extra := tuple(k for k in keys if not required_by_billing_core(m, k)))}


#: What :func:`validate` checks itself (E5026), computed once.
EXTRA_REQUIRED: dict[str, tuple[str, ...]] = extra_required(SERVER_NEEDS)


def validate(method: str, data: Any) -> dict[str, Any]:
    """The validated request of a platform method (``method`` is in the vocabulary).

    Normalised by billing_core where it has the method's field table (every method but
    ``getEBillLayoutFile``, a simulator-only method forwarded as sent).

    :raises BillingError: ValidationError from billing_core (E10xx, every issue at once), or
        RequestDataError (E5026) for a key the server needs that billing_core leaves optional.
    """
    if method in METHODS:
        # Lenient: our rules stricter than the platform's spec only warn (issue 14: a real HIS
        # numbering every otherInfo row "1" must still get its bill); the spec's rules refuse.
        warnings: list[ValidationIssue] = []
        checked = validate_request(method, data, warnings=warnings)
        for w in warnings:
            log.warning("%s: %s %s: %s（宽松规则，仅告警）", method, w.code, w.path, w.message)
    elif isinstance(data, dict):
        checked = data
    else:
        raise RequestDataError("请求数据必须是JSON对象")
    missing = [k for k in EXTRA_REQUIRED.get(method, ()) if checked.get(k) in (None, "")]
    if missing:
        raise RequestDataError(f"缺少必填字段：{'、'.join(missing)}")
    return checked
