"""The server's generic call into the finance platform: one method name, one business object.

The server forwards every HIS method unchanged, so it needs one generic ``call(method, data)``
rather than the connector's typed methods; it raises the connector's typed errors
(sync_server/connectors/errors.py) so that callers tell apart "not sent" (safe to fall back),
"in doubt" (ask getEBillByBusNo first) and "rejected" (the platform's own code and text).

Short timeouts: the HIS is waiting on the other side of this call (issue 4 §4).
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from sync_server.connectors.finance import FinanceClient


class Upstream:
    """Signed calls to ``<base_url>/<method>`` with the hospital's platform account.

    Wraps the connector's :class:`~sync_server.connectors.finance.FinanceClient` (its ``call``
    sends exactly once and raises the typed errors); one client and HTTP session per thread,
    because waitress serves requests on many threads.

    :param base_url: the full method prefix, e.g. ``http://h:p/medical-web/api/medical``.
    :param connect_timeout: seconds to establish the TCP connection (failure = not sent).
    :param timeout: seconds to wait for the answer (failure = in doubt).
    """

    def __init__(self, base_url: str, appid: str, key: str, *, connect_timeout: float = 1.0,
                 timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._key = key
        self.connect_timeout = connect_timeout
        self.timeout = timeout
        self._local = threading.local()

    def _client(self) -> FinanceClient:
        client = getattr(self._local, "client", None)
        if client is None:
            sess = requests.Session()
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=2, max_retries=0)
            sess.mount("http://", adapter)
            sess.mount("https://", adapter)
            client = FinanceClient(self.base_url, self.appid, self._key, timeout=self.timeout, session=sess,
                                   connect_timeout=self.connect_timeout)
            self._local.client = client
        return client

    def call(self, method: str, data: dict[str, Any], *, timeout: float | None = None,
             idem_key: str | None = None) -> Any:
        """Call ``method`` once and return the decoded success payload (dict or text).

        :param idem_key: sent as the ``Idempotency-Key`` HTTP header (outbox deliveries).
        :raises PlatformUnreachable: not sent; :raises PlatformInDoubt: sent, answer lost;
            :raises PlatformRejected: the platform's failure result.
        """
        client = self._client()
        client.timeout = timeout or self.timeout
        if idem_key:
            client.session.headers["Idempotency-Key"] = idem_key
        try:
            return client.call(method, data)
        finally:
            client.session.headers.pop("Idempotency-Key", None)
