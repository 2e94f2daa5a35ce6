"""Identity rules of Chinese patients: 18-digit resident ID numbers (GB 11643-1999), mobile
numbers, ages; and the amount helpers every operation shares (fen inside, "12.34" on the wire).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from billing_core.money import MoneyError, from_fen, parse_amount, to_fen, wire
from simulators.his import errors as e
from simulators.his.errors import HisError

#: GB 11643-1999 weights of the first 17 digits and the check character for each sum mod 11.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def check_digit(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are ``first17``."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def make_id_no(region: str, birth: date, seq: int, male: bool) -> str:
    """A valid ID number: 6-digit region, birth date, 3-digit sequence (odd = male), check digit."""
    order = seq % 500 * 2 + (1 if male else 0)
    order = max(order, 1) if male else max(order, 2)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def check_id_no(value: str, field: str = "idNo") -> str:
    """The upper-cased ID number, or HisError naming the field (format, birth date, check digit)."""
    text = value.strip().upper()
    if not _ID.match(text):
        raise HisError(e.ID_NUMBER_INVALID, f"{field}（身份证号码）应为18位，前17位为数字，末位为数字或X")
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise HisError(e.ID_NUMBER_INVALID, f"{field}（身份证号码）中的出生日期无效") from None
    if check_digit(text[:17]) != text[17]:
        raise HisError(e.ID_NUMBER_INVALID, f"{field}（身份证号码）校验位错误")
    return text


def id_birth(id_no: str) -> str:
    """``yyyy-MM-dd`` birth date encoded in an ID number."""
    return f"{id_no[6:10]}-{id_no[10:12]}-{id_no[12:14]}"


def id_sex(id_no: str) -> str:
    """``男``/``女`` from the 17th digit (odd = male)."""
    return "男" if int(id_no[16]) % 2 else "女"


def check_phone(value: str, field: str = "phone") -> str:
    """An 11-digit mainland mobile number, or HisError naming the field."""
    text = value.strip()
    if not _MOBILE.match(text):
        raise HisError(e.FIELD_FORMAT, f"{field}（手机号码）应为11位手机号码")
    return text


def age_on(birth: str, day: date) -> int:
    """Whole years from ``birth`` (yyyy-MM-dd) to ``day``."""
    b = date.fromisoformat(birth)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def amount_fen(value: object, field: str, *, positive: bool = True) -> int:
    """An amount on the wire ("12.34" or a JSON number) as fen; HisError E3512 naming the field."""
    try:
        amount = parse_amount(value, field=field)
    except MoneyError as exc:
        raise HisError(e.FIELD_AMOUNT, exc.message) from None
    if positive and amount <= 0:
        raise HisError(e.FIELD_AMOUNT, f"{field}必须大于0")
    return to_fen(amount)


def yuan(fen: int) -> str:
    """Fen -> the wire form ``"12.34"`` (negative for refunds)."""
    return wire(from_fen(fen))


def dec(fen: int) -> Decimal:
    """Fen -> two-place Decimal."""
    return from_fen(fen)
