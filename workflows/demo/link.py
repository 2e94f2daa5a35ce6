"""The in-process demo platform behind a real :class:`SyncClient` (demo mode and unit tests).

STYLE.md: "fakes serve unit tests of workflows and the demo mode". The cashier's workflows always
talk through :class:`workflows.sync_client.SyncClient` (envelope, signature, circuit breaker,
failure classification); in demo mode and in the cashier's unit tests no server process runs, so
:class:`DemoTransport` — a requests transport adapter mounted on the client's sessions — answers
the signed envelope from :class:`workflows.demo.platform.DemoPlatform` without a socket.
``platform.online = False`` makes every request fail as a refused connection (LinkDownError), so
the breaker, the emergency path and the link events run exactly as against a stopped server;
``platform.lose_answers = n`` lets the next ``n`` requests be handled and their answers time out
(AnswerLostError: the in-doubt case of spec §3.6).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import BaseAdapter

from billing_core import envelope
from billing_core.clock import Clock
from billing_core.errors import BillingError
from billing_core.ids import new_noise
from workflows.demo.platform import DemoPlatform
from workflows.sync_client import TERMINAL_PREFIX, SyncClient

DEMO_URL = "http://demo-platform.invalid"
DEMO_APPID = "DEMOTERM01"
DEMO_KEY = "demo-terminal-key"


class DemoTransport(BaseAdapter):
    """Answers the sync server's two method families from a DemoPlatform, in process."""

    def __init__(self, platform: DemoPlatform, appid: str = DEMO_APPID, key: str = DEMO_KEY) -> None:
        super().__init__()
        self.platform = platform
        self.appid = appid
        self.key = key

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if not self.platform.online:
            # What requests raises for a stopped server: the client classifies it as "not sent".
            raise requests.ConnectionError("Connection refused (demo platform offline)", request=request)
        url = str(request.url)
        method = url.rsplit("/", 1)[-1]
        try:
            req = envelope.decode_request(request.body or b"", lambda a: self.key if a == self.appid else None)
            if TERMINAL_PREFIX in url:
                message = self.platform.terminal_call(method, req.data)
            else:
                message = self.platform.call(method, req.data)
            body = envelope.encode_response(self.appid, self.key, envelope.SUCCESS, message, noise=new_noise())
        except BillingError as exc:
            body = envelope.encode_response(self.appid, self.key, exc.code, exc.message, noise=new_noise())
        if self.platform.lose_answers > 0:  # handled above, but the answer never reaches the window
            self.platform.lose_answers -= 1
            raise requests.ReadTimeout("demo platform: answer lost", request=request)
        resp = requests.Response()
        resp.status_code = 200
        resp._content = envelope.dumps(body).encode("utf-8")
        resp.headers["Content-Type"] = "application/json; charset=utf-8"
        resp.url = url
        resp.request = request
        resp.encoding = "utf-8"
        return resp

    def close(self) -> None:
        """Nothing pooled."""


class DemoSyncClient(SyncClient):
    """A SyncClient whose sessions reach the demo platform through :class:`DemoTransport`.

    Only the transport differs from a real terminal's client; the envelope, the breaker and the
    error classification are the real ones.
    """

    def __init__(self, platform: DemoPlatform, *, clock: Clock | None = None, failure_threshold: int = 1,
                 open_seconds: float = 2.0) -> None:
        super().__init__(DEMO_URL, DEMO_APPID, DEMO_KEY, clock=clock, failure_threshold=failure_threshold,
                         open_seconds=open_seconds)
        self.transport = DemoTransport(platform)

    def _session(self) -> requests.Session:
        session = super()._session()
        if not getattr(session, "_demo_mounted", False):
            session.mount(DEMO_URL, self.transport)
            # a marker of ours on the requests.Session, which declares no such attribute
            session._demo_mounted = True  # type: ignore[attr-defined]
        return session
