"""Request validation before anything is written or forwarded.

Issuing requests go through billing_core's validator (``billing_core.bills.validate_request``)
when it is available; the server's own minimum checks below (required keys, amounts, sums:
spec §3.5) always run too, so a malformed bill never reaches the store or the platform.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing_core.bills import METHODS, validate_request
from billing_core.errors import BillingError
from billing_core.money import parse_amount
from sync_server.errors import RequestDataError

_ISSUE_REQUIRED = ("busNo", "busDateTime", "placeCode", "totalAmt", "payer")


def _amount(value: object, field: str) -> Decimal:
    try:
        return parse_amount(value, field=field)
    except BillingError as exc:
        raise RequestDataError(exc.message) from None


def normalise(method: str, data: dict[str, Any]) -> dict[str, Any]:
    """billing_core's validation of any platform method (V3.2.0 names, Decimal amounts)."""
    if method in METHODS:
        return validate_request(method, data)
    return data


def check_issue(method: str, data: dict[str, Any], *, normalised: bool = False) -> dict[str, Any]:
    """Validate an issuing request; returns the (normalised) business object.

    :param normalised: the request already went through :func:`normalise`.
    :raises BillingError: ValidationError from billing_core, or RequestDataError (E5026).
    """
    if not normalised:
        data = validate_request(method, data)
    missing = [k for k in _ISSUE_REQUIRED if data.get(k) in (None, "")]
    if missing:
        raise RequestDataError(f"缺少必填字段：{'、'.join(missing)}")
    if not isinstance(data["busNo"], str) or len(data["busNo"]) > 50:
        raise RequestDataError("busNo必须是不超过50个字符的字符串")
    total = _amount(data["totalAmt"], "totalAmt")
    charges = data.get("chargeDetail")
    if not isinstance(charges, list) or not charges:
        raise RequestDataError("chargeDetail不能为空")
    channels = data.get("payChannelDetail")
    if not isinstance(channels, list) or not channels:
        raise RequestDataError("payChannelDetail不能为空")
    charge_sum = sum((_amount(c.get("amt") if isinstance(c, dict) else None, f"chargeDetail[{i}].amt")
                      for i, c in enumerate(charges)), Decimal("0"))
    pay_sum = sum((_amount(c.get("payChannelValue") if isinstance(c, dict) else None,
                           f"payChannelDetail[{i}].payChannelValue")
                   for i, c in enumerate(channels)), Decimal("0"))
    if charge_sum != total:
        raise RequestDataError(f"chargeDetail金额合计{charge_sum}与totalAmt {total}不一致")
    if pay_sum != total:
        raise RequestDataError(f"payChannelDetail金额合计{pay_sum}与totalAmt {total}不一致")
    return data


def require(data: dict[str, Any], *keys: str) -> None:
    """Raise RequestDataError naming every missing key."""
    missing = [k for k in keys if data.get(k) in (None, "")]
    if missing:
        raise RequestDataError(f"缺少必填字段：{'、'.join(missing)}")
