"""How the cashier workflows talk to the sync server: the platform's HIS interface.

The sync server speaks the finance platform's HIS interface (spec §1: POST
``<base>/<method>`` with the signed envelope), so the cashier window calls it exactly as an HIS
would. :class:`HisApi` is the one seam: :class:`HttpHisApi` over requests for real use, and the
in-process :class:`workflows.cashier.demo_platform.DemoPlatform` for demo mode and unit tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import requests

from billing_core import envelope
from billing_core.errors import BillingError
from billing_core.ids import new_noise
from workflows.cashier.errors import BadAnswer, LinkDown


class HisApi(Protocol):
    """One call of the HIS interface: returns the decoded success payload.

    :raises PlatformError: the server answered a failure (its code and Chinese text).
    :raises LinkDown: the server could not be reached.
    """

    def call(self, method: str, data: Mapping[str, Any]) -> Any: ...


class HttpHisApi:
    """The HIS interface over HTTP with the platform envelope (spec §1.2-§1.4).

    :param base_url: method prefix, e.g. ``http://127.0.0.1:8080/medical-web/api/medical``.
    :param appid: this terminal's caller id on the server.
    :param key: the secret paired with ``appid`` (never sent).
    :param connect_timeout: seconds; short so an outage shows within a few seconds (issue 7 §4).
    :param read_timeout: seconds to wait for the answer.
    """

    def __init__(self, base_url: str, appid: str, key: str, *, connect_timeout: float = 3.0,
                 read_timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._key = key
        self._timeout = (connect_timeout, read_timeout)
        self._session = requests.Session()

    def call(self, method: str, data: Mapping[str, Any]) -> Any:
        """POST one signed request and return the verified success payload."""
        body = envelope.encode_request(self.appid, self._key, dict(data), noise=new_noise())
        try:
            resp = self._session.post(f"{self.base_url}/{method}", json=body, timeout=self._timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise LinkDown(f"无法连接票据服务器（{self.base_url}）：{type(exc).__name__}") from exc
        if resp.status_code != 200:
            # Spec §1.1: business errors travel in a 200 body; anything else is a broken server.
            raise BadAnswer(f"票据服务器返回HTTP {resp.status_code}（{method}）")
        try:
            answer = envelope.decode_response(resp.content, self.appid, self._key)
        except BillingError as exc:
            raise BadAnswer(f"票据服务器应答无法识别（{method}）：{exc.message}") from exc
        return answer.payload()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()
