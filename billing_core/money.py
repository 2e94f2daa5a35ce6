"""Money: ``Decimal`` with two places, never float.

The platform's amounts are "Number 14,2" (spec §2): at most 14 digits, 2 of them decimals.
Real HIS send JSON numbers or numeric strings ("12.50", 12.5): both are accepted here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from billing_core.errors import BillingError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_NUMBER_CHARS = frozenset("0123456789.-+")
_QUANTA = {p: Decimal(1).scaleb(-p) for p in range(0, 9)}  # Decimal(1).scaleb(-places), built once


class MoneyError(BillingError):
    """An amount that is not a valid N14,2 number."""

    code = "E1004"
    default_message = "金额格式错误"


def parse_decimal(
    value: object,
    *,
    places: int = 2,
    digits: int = 14,
    allow_negative: bool = False,
    field: str = "金额",
) -> Decimal:
    """Parse a JSON number or numeric string into a Decimal with ``places`` decimals.

    :param value: an int, Decimal, float (from a JSON number) or numeric string.
    :param places: the most decimals allowed; more are an error, never rounded away.
    :param digits: the total digits allowed (N14,2 means 12 before the point).
    :param allow_negative: amounts on issuing requests are never negative.
    :param field: the field name used in the Chinese error message.
    :raises MoneyError: with a message naming ``field``.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{field}必须是数字")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError(f"{field}不能是NaN或无穷大")
        # repr() of a float is the shortest string that round-trips: 12.5 -> "12.5".
        value = repr(value)
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        if not text or not _NUMBER_CHARS.issuperset(text):
            raise MoneyError(f"{field}必须是数字，收到“{value}”")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"{field}必须是数字，收到“{value}”") from None
    elif isinstance(value, Decimal):
        number = value
    else:
        raise MoneyError(f"{field}必须是数字")
    if not number.is_finite():
        raise MoneyError(f"{field}不能是NaN或无穷大")
    if number < 0 and not allow_negative:
        raise MoneyError(f"{field}不能为负数")
    # the range first: quantize() of a number beyond the context's 28 digits (1e30) raises
    # InvalidOperation, which would escape as an internal error instead of E1004
    if number and number.adjusted() + 1 > digits - places:
        raise MoneyError(f"{field}超出{digits}位数字（含{places}位小数）的范围")
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    quantized = number.quantize(quantum) if number.adjusted() < 40 else number
    if quantized != number:
        raise MoneyError(f"{field}最多保留{places}位小数")
    int_digits = len(str(abs(quantized).to_integral_value(rounding="ROUND_DOWN")).lstrip("0"))
    if int_digits > digits - places:
        raise MoneyError(f"{field}超出{digits}位数字（含{places}位小数）的范围")
    return quantized


def parse_amount(value: object, *, field: str = "金额", allow_negative: bool = False) -> Decimal:
    """Parse an N14,2 amount: ``parse_decimal`` with the platform's default precision."""
    return parse_decimal(value, field=field, allow_negative=allow_negative)


def to_fen(amount: Decimal) -> int:
    """Integer fen (cents) of a two-place amount, for storage as INTEGER."""
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    """The two-place Decimal for an integer number of fen."""
    return (Decimal(fen) / 100).quantize(CENT)


def round_amount(value: Decimal) -> Decimal:
    """Round half up to two places: only for computed values such as std x number."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def wire(amount: Decimal) -> str:
    """The amount as sent on the wire: always two decimals, e.g. ``"12.50"``."""
    return f"{amount.quantize(CENT):f}"


def format_yuan(amount: Decimal) -> str:
    """Display form with the yuan sign and thousands separators: ``¥1,234.50``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount.quantize(CENT)):,.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")


def _group_upper(n: int) -> str:
    """Capitals for 0 < n < 10000, collapsing inner zeros to one 零 and dropping trailing ones."""
    out: list[str] = []
    zero_pending = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[d] + _IN_GROUP[pos])
    return "".join(out)


def _integer_upper(n: int) -> str:
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(_GROUPS):
        raise MoneyError("金额过大，无法转换为大写")
    out: list[str] = []
    need_zero = False
    for idx in range(len(groups) - 1, -1, -1):
        g = groups[idx]
        if g == 0:
            need_zero = bool(out)
            continue
        # A lower group below 1000 (e.g. the "0004" of 1,0004) is read with a leading 零.
        if out and (need_zero or g < 1000):
            out.append("零")
        out.append(_group_upper(g) + _GROUPS[idx])
        need_zero = False
    return "".join(out)


def to_chinese_upper(amount: Decimal) -> str:
    """The capitalised amount printed on bills (大写金额), e.g. 1004.05 -> 壹仟零肆元零伍分.

    Follows the rules of 《支付结算办法》 附一: 整 after 元; a 零 where the yuan units digit or
    the jiao digit is zero but a smaller unit follows. Negative amounts (red bills) get 负.
    """
    value = amount.quantize(CENT)
    prefix = "负" if value < 0 else ""
    fen_total = to_fen(abs(value))
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan == 0 and cents == 0:
        return "零元整"
    parts: list[str] = []
    if yuan:
        parts.append(_integer_upper(yuan) + "元")
    if cents == 0:
        parts.append("整")
    elif jiao:
        if yuan and yuan % 10 == 0:
            parts.append("零")
        parts.append(_DIGITS[jiao] + "角")
        if fen:
            parts.append(_DIGITS[fen] + "分")
    else:
        if yuan:
            parts.append("零")
        parts.append(_DIGITS[fen] + "分")
    return prefix + "".join(parts)
