"""Masking of secrets and personal numbers before anything reaches a log (DESIGN.md §3 Security).

ID card numbers, phone numbers, card numbers and e-mail addresses are shown with only a few
characters kept; signing keys and signatures are never shown at all.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping
from typing import Any

#: Keys whose values are secrets: replaced entirely.
SECRET_KEYS = frozenset({"key", "sign", "password", "signValue", "appKey", "secret"})
#: Keys whose values identify a person: masked, keeping a few characters for support staff.
PERSONAL_KEYS = frozenset({
    "idCardNo", "tel", "email", "cardNo", "medicalInsuranceID", "accountNo", "noticeValue",
    "alipayCode", "openID",
    # the insurance platform's (spec §5: 1101, 2201, 2207 ...)
    "certno", "mdtrt_cert_no", "card_sn", "mdtrtCertNo", "cardSn",
})
#: Keys whose values are a person's name: only the first character kept.
NAME_KEYS = frozenset({"psn_name", "psnName"})


def mask_id(value: str) -> str:
    """Keep the first 3 and last 4 characters of a long number, mask the middle.

    ``"440106199001011234"`` -> ``"440***********1234"``; short values keep only the last char.
    """
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 8:
        return "*" * (len(value) - 1) + value[-1]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_email(value: str) -> str:
    """``zhangsan@example.com`` -> ``z***@example.com``."""
    user, sep, domain = value.partition("@")
    if not sep:
        return mask_id(value)
    return (user[:1] + "***") + "@" + domain


def mask_sensitive(obj: Any) -> Any:
    """A copy of ``obj`` (nested dicts/lists) with secrets removed and personal numbers masked."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if k in SECRET_KEYS:
                out[k] = "***"
            elif k in PERSONAL_KEYS and isinstance(v, str) and v:
                out[k] = mask_email(v) if "@" in v else mask_id(v)
            elif k in NAME_KEYS and isinstance(v, str) and v:
                out[k] = v[:1] + "*" * (len(v) - 1)
            else:
                out[k] = mask_sensitive(v)
        return out
    if isinstance(obj, list | tuple):
        return [mask_sensitive(v) for v in obj]
    return obj


# --- the log filter (issue 14: personal numbers masked in every log line) ---------------------

#: keys of personal values in JSON or key=value text, the log filter's view of PERSONAL_KEYS
_LOG_KEYS = "|".join(sorted(PERSONAL_KEYS | {"ICD", "card_no"}))
_KEYED = re.compile(r'(["\']?(?:' + _LOG_KEYS + r')["\']?\s*[:=]\s*["\']?)([^"\',}\s]+)')
#: bare 18-digit (or 17 + X) ID numbers and 11-digit mainland mobile numbers
_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9]\d{9}(?![0-9])")


def mask_text(text: str) -> str:
    """``text`` with personal values after known keys and bare ID / mobile numbers masked."""
    text = _KEYED.sub(lambda m: m.group(1) + mask_id(m.group(2)), text)
    text = _ID.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_id(m.group(0)), text)


class MaskingFilter(logging.Filter):
    """Masks personal numbers in a record's message and traceback before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the message (arguments merged) and the traceback text by masked copies."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = mask_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return True


def install_log_masking(logger: logging.Logger | None = None) -> MaskingFilter:
    """Put one :class:`MaskingFilter` on every handler of ``logger`` (the root by default)."""
    logger = logger or logging.getLogger()
    masking = MaskingFilter()
    for handler in logger.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(masking)
    return masking
