"""Keyed digests of a payer's ID number, phone and card number, for finding bills (issue 18 §1).

The values themselves are sealed at rest with a random IV (store/sealing.py), so they cannot be
searched. Each bill row also keeps an HMAC-SM3 of each under the data key
(:meth:`sync_server.store.sealing.Sealer.blind_index`: trimmed, upper-cased): equal numbers give
equal digests, and a digest without the key tells nothing about the number.

The columns are filled by SQLAlchemy column defaults (:func:`id_default` ...) from the row being
inserted (its clear ``request_json`` and ``card_no``, before they are sealed), so every path that
inserts a bill (issuing, terminal uploads, carry-forward) fills them without knowing about them.
Migration 0016 backfills rows written before. An engine without a data key (tools, bare test
engines) digests under :data:`CLEAR_KEY`: its personal data is stored clear anyway.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy.engine import Dialect

from sync_server.store.sealing import hmac_sm3, sealer_for

#: The digest key of an engine that has no data key.
CLEAR_KEY = b"sync-server clear store"

_FIELD = {name: re.compile(r'"' + name + r'"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)') for name in ("idCardNo", "tel", "cardNo")}


def digest(dialect: Dialect | None, value: str) -> str | None:
    """The keyed digest of one personal number under the engine's data key; None for an empty value."""
    value = value.strip()
    if not value:
        return None
    sealer = sealer_for(dialect) if dialect is not None else None
    if sealer is not None:
        return sealer.blind_index(value)
    return hmac_sm3(CLEAR_KEY, b"blind|" + value.upper().encode("utf-8"))


def field_of(request_json: str | None, name: str) -> str:
    """The clear value of ``name`` (idCardNo, tel, cardNo) in a stored request's JSON text ('' = none)."""
    if not request_json:
        return ""
    m = _FIELD[name].search(request_json)
    if m is None:
        return ""
    token = m.group(1)
    value = json.loads(token) if token.startswith('"') else token
    return str(value)


def _default(name: str) -> Any:
    def make(context: Any) -> str | None:
        params = context.get_current_parameters()
        value = field_of(params.get("request_json"), name)
        if not value and name == "cardNo":
            value = str(params.get("card_no") or "")
        return digest(context.dialect, value)
    return make


#: column defaults of ``bills.id_digest``, ``bills.tel_digest``, ``bills.card_digest``
id_default = _default("idCardNo")
tel_default = _default("tel")
card_default = _default("cardNo")
