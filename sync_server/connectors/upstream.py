"""The server's generic call into the finance platform: one method name, one business object.

The server forwards every HIS method unchanged, so it needs one generic ``call(method, data)``
rather than the connector's typed methods; it raises the connector's typed errors
(sync_server/connectors/errors.py) so that callers tell apart "not sent" (safe to fall back),
"in doubt" (ask getEBillByBusNo first) and "rejected" (the platform's own code and text).

Short timeouts: the HIS is waiting on the other side of this call (issue 4 §4).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sync_server.connectors.errors import PlatformUnreachable
from sync_server.connectors.finance import FinanceClient


class Upstream:
    """Signed calls to ``<base_url>/<method>`` with the hospital's platform account.

    Wraps the connector's :class:`~sync_server.connectors.finance.FinanceClient` (its ``call``
    sends exactly once and raises the typed errors). One client is shared by waitress's threads:
    its keep-alive pool is thread-safe, and the timeout and ``Idempotency-Key`` header are
    arguments of each call rather than state of the client.

    :param base_url: the full method prefix, e.g. ``http://h:p/medical-web/api/medical``.
    :param connect_timeout: seconds to establish the TCP connection (failure = not sent).
    :param timeout: seconds to wait for the answer (failure = in doubt).
    """

    def __init__(self, base_url: str, appid: str, key: str, *, connect_timeout: float = 1.0,
                 timeout: float = 5.0, breaker_after: int = 3, breaker_open: float = 2.0,
                 pool_size: int = 16) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._key = key
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._finance = FinanceClient(self.base_url, appid, key, timeout=timeout, connect_timeout=connect_timeout,
                                      pool_size=pool_size)
        # Circuit breaker: after ``breaker_after`` consecutive refusals to connect (requests that
        # were certainly not sent), calls fail at once as "not sent" for ``breaker_open`` seconds,
        # then one call probes again. During an outage each HIS request then goes straight to
        # emergency issuing instead of paying a connection attempt (and a log line) first.
        self.breaker_after = breaker_after
        self.breaker_open = breaker_open
        self._refusals = 0
        self._open_until = 0.0
        self._breaker_lock = threading.Lock()

    def is_open(self) -> bool:
        """True while the breaker short-circuits calls (the platform refused connections)."""
        return time.monotonic() < self._open_until

    def _client(self) -> FinanceClient:
        """The shared connector client (same account and connection pool as every call)."""
        return self._finance

    def call(self, method: str, data: dict[str, Any], *, timeout: float | None = None,
             idem_key: str | None = None) -> Any:
        """Call ``method`` once and return the decoded success payload (dict or text).

        :param idem_key: sent as the ``Idempotency-Key`` HTTP header (outbox deliveries).
        :raises PlatformUnreachable: not sent; :raises PlatformInDoubt: sent, answer lost;
            :raises PlatformRejected: the platform's failure result.
        """
        if self.is_open():
            raise PlatformUnreachable("财政电子票据平台不可达（熔断中，请求未发出）", method=method)
        try:
            answer = self._finance.call(method, data, timeout=timeout or self.timeout,
                                        headers={"Idempotency-Key": idem_key} if idem_key else None)
        except PlatformUnreachable as exc:
            if not exc.in_doubt:
                with self._breaker_lock:
                    self._refusals += 1
                    if self._refusals >= self.breaker_after:
                        self._open_until = time.monotonic() + self.breaker_open
            raise
        except Exception:
            self._refusals = 0
            raise
        self._refusals = 0
        return answer
