"""Masking of identity numbers, phones and card numbers on everything printed (DESIGN §3 Security).

A receipt left at a kiosk must not disclose who paid: keep just enough to let the patient
recognise it (the usual Chinese practice: first 3-6 and last 4 characters).
"""

from __future__ import annotations

STAR = "*"


def mask_id_no(value: str | None) -> str:
    """Mask an ID number: 18-digit ID keeps the first 6 and last 4 (``440106********1234``).

    Shorter identifiers keep at most a quarter at each end, so that nothing useful is shown.
    """
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) >= 15:
        return text[:6] + STAR * (len(text) - 10) + text[-4:]
    keep = len(text) // 4
    if keep == 0:
        return STAR * len(text)
    return text[:keep] + STAR * (len(text) - 2 * keep) + text[-keep:]


def mask_phone(value: str | None) -> str:
    """Mask a phone number: an 11-digit mobile keeps 3 + 4 (``138****5678``)."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) >= 11:
        return text[:3] + STAR * (len(text) - 7) + text[-4:]
    if len(text) > 4:
        return STAR * (len(text) - 4) + text[-4:]
    return STAR * len(text)


def mask_card_no(value: str | None) -> str:
    """Mask a social-security / visit / bank card number: keep the last 4 only."""
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= 4:
        return STAR * len(text)
    return STAR * (len(text) - 4) + text[-4:]


def mask_name(value: str | None) -> str:
    """Mask a person's name for the finance-side lists: keep the first character (``张**``)."""
    text = (value or "").strip()
    if len(text) <= 1:
        return text
    return text[0] + STAR * (len(text) - 1)
