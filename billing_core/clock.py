"""Injectable clock and the platform's time formats.

All business times are China Standard Time (UTC+8, no DST): a fixed offset, so no time-zone
database is needed on terminals. Code takes a :class:`Clock` instead of calling ``now()``;
tests pass a :class:`ManualClock` and move it explicitly.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

CST = timezone(timedelta(hours=8), "CST")
_TS17 = re.compile(r"^\d{17}$")


class Clock(Protocol):
    """Wall-clock time (for business timestamps) and a monotonic reading (for timeouts)."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(CST)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to; thread-safe."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 23, 9, 0, 0, tzinfo=CST)
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        """Move both readings forward."""
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds


def ts17(moment: datetime) -> str:
    """``yyyyMMddHHmmssSSS`` in CST (busDateTime, createTime, ivcDateTime)."""
    local = moment.astimezone(CST)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def parse_ts17(text: str) -> datetime:
    """Parse ``yyyyMMddHHmmssSSS``; raises ValueError when it is not a real date-time."""
    if not _TS17.match(text):
        raise ValueError(f"not a yyyyMMddHHmmssSSS timestamp: {text!r}")
    base = datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    return base.replace(microsecond=int(text[14:]) * 1000, tzinfo=CST)


def date8(day: date | datetime) -> str:
    """``yyyyMMdd`` (issuing-request dates since V3.1.0)."""
    return day.strftime("%Y%m%d")


def date10(day: date | datetime) -> str:
    """``yyyy-MM-dd`` (reconciliation, stock and feedback dates)."""
    return day.strftime("%Y-%m-%d")
