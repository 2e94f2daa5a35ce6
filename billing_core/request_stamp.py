"""The terminal API's signed request stamp (issue 14 §7): method and send time in the noise.

The platform envelope signs ``appid``, ``data``, ``noise`` and ``version`` (spec §1.3) and leaves
the noise free ("a per-request unique string"). Our terminals make the noise carry what a replay
or a redirected request would need to change: ``T1.<method>.<epoch milliseconds>.<random hex>``.
The sync server refuses a terminal request whose stamp is missing, names another method than the
URL, or was made too long ago (or too far ahead) by its own clock — an envelope captured on the
wire is useless elsewhere and, once its window is over, everywhere. The HIS interface keeps the
platform's free noise (real HIS clients send UUIDs or timestamps).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PREFIX = "T1"
_STAMP = re.compile(r"T1\.([A-Za-z][A-Za-z0-9_]{0,63})\.([0-9]{10,16})\.([0-9a-f]{16,64})")


@dataclass(frozen=True, slots=True)
class Stamp:
    """A parsed stamp: the method signed and the send time (epoch milliseconds)."""

    method: str
    epoch_ms: int


def make(method: str, epoch_ms: int, nonce: str | None = None) -> str:
    """The noise of a terminal request to ``method`` sent at ``epoch_ms``."""
    return f"{PREFIX}.{method}.{int(epoch_ms)}.{nonce or uuid.uuid4().hex}"


def parse(noise: str) -> Stamp | None:
    """The stamp in ``noise``, or None when the noise is not a stamp."""
    m = _STAMP.fullmatch(noise)
    return Stamp(m.group(1), int(m.group(2))) if m else None
