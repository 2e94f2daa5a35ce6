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

from billing_core import envelope
from billing_core.errors import EnvelopeError
from billing_core.ids import new_noise
from sync_server.connectors.errors import (
    PlatformBadResponse,
    PlatformInDoubt,
    PlatformRejected,
    PlatformUnreachable,
)


class Upstream:
    """Signed calls to ``<base_url>/<method>`` with the hospital's platform account.

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

    def _session(self) -> requests.Session:
        sess = getattr(self._local, "session", None)
        if sess is None:
            sess = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
            sess.mount("http://", adapter)
            sess.mount("https://", adapter)
            self._local.session = sess
        return sess

    def call(self, method: str, data: dict[str, Any], *, timeout: float | None = None,
             idem_key: str | None = None) -> Any:
        """Call ``method`` and return the decoded success payload (dict or text).

        :param idem_key: sent as the ``Idempotency-Key`` header on outbox deliveries.
        :raises PlatformUnreachable: not sent; :raises PlatformInDoubt: sent, answer lost;
            :raises PlatformRejected: the platform's failure result.
        """
        body = envelope.encode_request(self.appid, self._key, data, noise=new_noise())
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if idem_key:
            headers["Idempotency-Key"] = idem_key
        url = f"{self.base_url}/{method}"
        try:
            resp = self._session().post(url, data=envelope.dumps(body).encode("utf-8"), headers=headers,
                                        timeout=(self.connect_timeout, timeout or self.timeout))
        except (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError) as exc:
            raise PlatformUnreachable(f"财政平台连接失败：{type(exc).__name__}", method=method) from None
        except requests.exceptions.ConnectionError as exc:
            # A refused connection never carried the request; a reset after sending may have.
            text = str(exc)
            if "Connection refused" in text or "NewConnectionError" in text or "Name or service" in text:
                raise PlatformUnreachable("财政平台拒绝连接", method=method) from None
            raise PlatformInDoubt(f"财政平台连接中断：{type(exc).__name__}", method=method) from None
        except requests.exceptions.RequestException as exc:
            raise PlatformInDoubt(f"财政平台应答超时或中断：{type(exc).__name__}", method=method) from None
        if resp.status_code != 200:
            raise PlatformBadResponse(f"财政平台HTTP状态{resp.status_code}", method=method)
        try:
            answer = envelope.decode_response(resp.content, self.appid, self._key)
        except EnvelopeError as exc:
            raise PlatformBadResponse(f"财政平台应答无效：{exc.message}", method=method) from None
        if not answer.ok:
            raise PlatformRejected(answer.result, str(answer.message), method=method)
        return answer.message
