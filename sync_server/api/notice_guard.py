"""Guessing protection of the ``/notice`` H5 page (issue 14 §11).

The page is found by bill batch code, number and a 6-hex check code: 16.7 million codes per bill
number, few enough to guess without a limit. Per client address (the socket's peer: the server
runs inside the hospital without a proxy in front) at most :data:`MAX_LOOKUPS` lookups per
:data:`WINDOW` seconds, and after :data:`MAX_FAILURES` failed ones within the window the address
is locked out for :data:`LOCKOUT` seconds, found codes included. Counted per server process
(each process a separate budget): enough to make guessing hopeless, nothing stored.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Lookups per address per window, failed or not.
MAX_LOOKUPS = 30
#: Failed lookups per address per window before the lockout.
MAX_FAILURES = 10
#: The window (seconds).
WINDOW = 600.0
#: How long an address stays locked (seconds).
LOCKOUT = 900.0
#: Addresses remembered at most (oldest forgotten first: a flood of addresses cannot grow memory).
MAX_ADDRESSES = 10000


class LookupLimiter:
    """Sliding-window counters and lockouts per client address."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._lookups: dict[str, deque[float]] = {}
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}

    def allow(self, address: str) -> float:
        """0 when ``address`` may look up now (counted), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            until = self._locked.get(address, 0.0)
            if until > now:
                return until - now
            self._locked.pop(address, None)
            seen = self._window(self._lookups, address, now)
            if len(seen) >= MAX_LOOKUPS:
                return seen[0] + WINDOW - now
            seen.append(now)
            return 0.0

    def failed(self, address: str) -> None:
        """Count a lookup that found nothing; lock the address at MAX_FAILURES."""
        now = self._clock()
        with self._lock:
            fails = self._window(self._failures, address, now)
            fails.append(now)
            if len(fails) >= MAX_FAILURES:
                self._locked[address] = now + LOCKOUT
                fails.clear()

    def _window(self, table: dict[str, deque[float]], address: str, now: float) -> deque[float]:
        q = table.get(address)
        if q is None:
            if len(table) >= MAX_ADDRESSES:
                table.pop(next(iter(table)))
            q = table[address] = deque()
        while q and q[0] <= now - WINDOW:
            q.popleft()
        return q


def mask_name(name: str) -> str:
    """``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧***``: the payer recognises it, a guesser learns little."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_id(number: str) -> str:
    """An ID/card number with all but the first 3 and last 4 characters masked."""
    number = number.strip()
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
