"""Unified payment platform simulator (issue 15 §2): 主扫 / 被扫 orders over WeChat, Alipay and
UnionPay, query, close, reverse, refund to the original channel, notifications, the daily
statement and face verification, with fault knobs; real state in its own SQLite database.

Use :func:`start` in tests, ``python -m simulators.payment`` on the command line; the protocol
is in docs/PAYMENT.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_core.clock import Clock
    from simulators.payment.server import PaySimServer

__all__ = ["start"]


def start(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None) -> PaySimServer:
    """Create (or reopen) a simulator in ``data_dir`` and serve it; returns the running server
    (``.url``, ``.stop()``)."""
    from simulators.payment.platform import Platform
    from simulators.payment.server import PaySimServer

    return PaySimServer(Platform(Path(data_dir), clock), host, port).start()
