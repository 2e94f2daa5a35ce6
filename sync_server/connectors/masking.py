"""Masking of secrets and personal numbers before anything reaches a log (DESIGN.md §3 Security).

ID card numbers, phone numbers, card numbers and e-mail addresses are shown with only a few
characters kept; signing keys and signatures are never shown at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Keys whose values are secrets: replaced entirely.
SECRET_KEYS = frozenset({"key", "sign", "password", "signValue", "appKey", "secret"})
#: Keys whose values identify a person: masked, keeping a few characters for support staff.
PERSONAL_KEYS = frozenset({
    "idCardNo", "tel", "email", "cardNo", "medicalInsuranceID", "accountNo", "noticeValue",
    "alipayCode", "openID",
})


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
            else:
                out[k] = mask_sensitive(v)
        return out
    if isinstance(obj, list | tuple):
        return [mask_sensitive(v) for v in obj]
    return obj
