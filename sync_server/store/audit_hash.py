"""The SM3 hash of one audit row (the chain's rule, shared by the writer, the verifier and
migration 0007).

``row_hash = SM3(prev_hash ‖ at ‖ actor ‖ caller ‖ terminal ‖ action ‖ entity ‖ entity_id ‖
before_json ‖ after_json)``, each part UTF-8 with a 4-byte big-endian length in front (so no
two different rows give the same bytes) and NULL distinct from the empty string. The first
row's ``prev_hash`` is :data:`GENESIS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing_core.crypto import sm3_hex

GENESIS = "0" * 64
FIELDS = ("at", "actor", "caller", "terminal", "action", "entity", "entity_id", "before_json", "after_json")
_NULL = b"\xff\xff\xff\xff"


def row_digest(prev_hash: str, row: Mapping[Any, Any]) -> str:
    """The 64-hex SM3 ``row_hash`` of ``row`` chained after ``prev_hash``."""
    parts = [prev_hash.encode("ascii")]
    out = bytearray()
    for part in parts:
        out += len(part).to_bytes(4, "big") + part
    for name in FIELDS:
        value = row.get(name)
        if value is None:
            out += _NULL
        else:
            data = str(value).encode("utf-8")
            out += len(data).to_bytes(4, "big") + data
    return sm3_hex(bytes(out))
