"""The hospital's HIS -> platform code mapping, applied by the server to what an HIS sends.

Configured by ``code_mapping_file`` (a TOML file in billing_core.codes.CodeMapping's format, e.g.
billing_core/data/code_mapping.example.toml); empty means none. It is applied to requests of
HIS callers only, before validation, the grant check and everything else, so the rest of the
server (and the platform) sees platform codes: busType, placeCode, cardType, payChannelCode,
chargeCode ... of the request and of every bill in a batch. Our own terminals already speak
platform codes and are never mapped (a strict kind would refuse their codes).

An unmapped code of a strict kind is refused as a validation error (E1030 per field, nothing
written); a file that cannot be read or parsed makes start-up fail (E1031), not the first request.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from billing_core.codes import CodeMapping
from sync_server.context import ServerContext
from sync_server.security.auth import Caller

_lock = threading.Lock()
_loaded: dict[str, CodeMapping] = {}


def configured(path: str) -> CodeMapping | None:
    """The mapping in ``path`` (read once per path), or None for ''.

    :raises CodeMappingFileError: the file cannot be read or is not a valid mapping (E1031).
    """
    if not path:
        return None
    with _lock:
        found = _loaded.get(path)
        if found is None:
            found = _loaded[path] = CodeMapping.load(Path(path))
        return found


def mapping_of(ctx: ServerContext) -> CodeMapping | None:
    """The mapping of the server's config, or None when not configured."""
    return configured(ctx.config.code_mapping_file)


def to_platform(ctx: ServerContext, caller: Caller, method: str, data: Any) -> Any:
    """``data`` of an HIS caller with its HIS codes replaced by platform codes (others unchanged)."""
    mapping = mapping_of(ctx) if caller.kind == "his" else None
    if mapping is None or not isinstance(data, dict):
        return data
    return mapping.apply(method, data)
