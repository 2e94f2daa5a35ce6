"""The ``[ward]`` table of the terminal config: which ward this station serves, the hospital's
minimum deposit, and what the ward's QR posters point at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.ward.errors import WardConfigError

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class WardSettings:
    """One nurse station.

    :ivar ward: the HIS ward name (``inpatient.list`` filter), e.g. ``NK病区``.
    :ivar minimum_deposit: the hospital's minimum deposit balance; below it a patient is 余额不足,
        below zero 欠费.
    :ivar hospital: the hospital's name on posters and lists.
    :ivar top_up_url: what the 押金充值 poster's QR code opens (the hospital's H5 page).
    :ivar daily_list_url: what the 日清单查询 poster's QR code opens.
    """

    ward: str
    minimum_deposit: Decimal = Decimal("1000.00")
    hospital: str = ""
    top_up_url: str = ""
    daily_list_url: str = ""
    max_collect: Decimal = Decimal("50000.00")
    #: the hospital's item code -> national insurance list code (医保目录对照), for fee uploads
    insurance_codes: dict[str, str] = field(default_factory=dict)
    #: the hospital's region (6 digits): an insured place elsewhere counts as 异地
    admdvs: str = ""


def ward_settings(table: Mapping[str, Any] | None, where: str = "[ward]") -> WardSettings | None:
    """Parse ``[ward]``; None when absent (not a ward station). :raises WardConfigError: E3802."""
    if table is None:
        return None
    ward = str(table.get("ward", "")).strip()
    if not ward:
        raise WardConfigError(f"{where}缺少ward（病区名称）")
    try:
        minimum = Decimal(str(table.get("minimum_deposit", "1000.00")))
        top = Decimal(str(table.get("max_collect", "50000.00")))
    except InvalidOperation:
        raise WardConfigError(f"{where}的minimum_deposit（最低押金）或max_collect不是金额") from None
    if not minimum.is_finite() or minimum < 0 or minimum != minimum.quantize(CENT) or not top.is_finite() or top <= 0:
        raise WardConfigError(f"{where}的minimum_deposit（最低押金）须为不小于0、最多两位小数的金额")
    codes = table.get("insurance_codes", {})
    if not isinstance(codes, Mapping):
        raise WardConfigError(f"{where}的insurance_codes（医保目录对照）须为表")
    return WardSettings(ward, minimum, str(table.get("hospital", "")), str(table.get("top_up_url", "")),
                        str(table.get("daily_list_url", "")), top, {str(k): str(v) for k, v in codes.items()},
                        str(table.get("admdvs", "")))
