"""Generators for the identifiers that travel on the wire: noise, busNo, msgid."""

from __future__ import annotations

import itertools
import secrets
import threading
import uuid

from billing_core.clock import Clock, SystemClock, ts17


def new_noise() -> str:
    """A per-request unique noise: a UUID4 as 32 hex digits (spec §1.2 recommends a UUID)."""
    return uuid.uuid4().hex


class BusNoGenerator:
    """Business numbers ``<prefix><yyyyMMddHHmmssSSS><node><seq>``, unique per generator.

    ``node`` distinguishes terminals/servers issuing at the same millisecond; ``seq`` is a
    4-digit in-process counter, so two numbers never collide within one node. At most 50
    characters (busNo is S50).
    """

    def __init__(self, prefix: str, node: str = "", clock: Clock | None = None) -> None:
        if len(prefix) + len(node) > 29:
            raise ValueError("prefix + node too long for a 50-character busNo")
        self._prefix = prefix
        self._node = node
        self._clock = clock or SystemClock()
        self._seq = itertools.count(secrets.randbelow(10000))
        self._lock = threading.Lock()

    def next(self) -> str:
        """The next business number."""
        with self._lock:
            seq = next(self._seq) % 10000
        return f"{self._prefix}{ts17(self._clock.now())}{self._node}{seq:04d}"


def new_msgid(institution_code: str, clock: Clock | None = None) -> str:
    """Insurance-platform message id: institution code + yyyyMMddHHmmss + 4 random digits
    (30 characters for a 12-character code; the insurance issue uses it)."""
    stamp = ts17((clock or SystemClock()).now())[:14]
    return f"{institution_code}{stamp}{secrets.randbelow(10000):04d}"
