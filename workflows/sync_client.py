"""The terminal's client of the sync server: the platform envelope, signed with the terminal's
appid/key, over HTTP, behind a circuit breaker (:mod:`workflows.link`).

Two method families, both with the platform envelope (finance_platform.md §1):

* HIS methods at ``{server}/medical-web/api/medical/<method>`` (issuing, queries, write-off);
* terminal methods at ``{server}{terminal_prefix}/<method>`` (heartbeat, catalog, emergency stock,
  emergency upload; docs/EMERGENCY.md "Wire contract"). Every terminal-api request is built in
  one method of this class, so the server side can be checked against one place.

Failures are classified so the caller can tell "not sent" (safe to issue an emergency bill)
from "sent, answer lost" (in doubt: the emergency bill is marked ``in_doubt`` and the server
resolves it at carry-forward, offline_rules.md §2.1 "In-doubt documents").

Several server hosts (two instances on one PostgreSQL database, docs/OPERATIONS.md) are given as
a list of base URLs: a request that could not be sent to the current host (connection refused,
connect timeout) goes to the next one at once, and the host that answered stays current. Only
when no host takes the request does the breaker count a failure. A request that was sent and
lost its answer is never re-sent elsewhere here: that is the issuing workflow's lookup rule.
"""


from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import requests

from billing_core import envelope, methods, request_stamp
from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError
from billing_core.ids import new_noise
from workflows.errors import AnswerLostError, BadAnswerError, LinkDownError, LinkError
from workflows.link import CircuitBreaker, LinkObserver, LinkState

log = logging.getLogger(__name__)

#: The server's answer to a request that needs a (live) session it did not carry (docs/ERRORS.md).
SESSION_REFUSED = "E2030"

HIS_PREFIX = "/medical-web/api/medical"
TERMINAL_PREFIX = "/terminal/api"
#: The server's insurance API (docs/INSURANCE.md §12.3): same envelope, method signed into the noise.
INSURANCE_PREFIX = "/insurance/api"

# Terminal-api method names (docs/EMERGENCY.md "Wire contract"): billing_core.methods.TERMINAL_*,
# the constants sync_server.api.terminal_api routes on.


class SyncClient:
    """Calls the sync server as one terminal.

    :param base_url: ``https://host:port`` of the sync server, or a list of them (failover, in order).
    :param verify: TLS verification for requests: True (system CAs), or the CA bundle file that
        signed the hospital's server certificate.
    :param appid: the terminal's caller id; :param key: its secret (never sent).
    :param clock: injectable clock (the breaker's timing).
    :param connect_timeout: seconds to wait for the TCP connection: the outage-detection unit.
    :param read_timeout: seconds to wait for an answer once the request is sent.
    :param failure_threshold: consecutive failures before the link is declared down.
    :param open_seconds: wait before the first half-open probe.

    Thread-safe: each thread gets its own HTTP session; the breaker is shared.
    """

    def __init__(self, base_url: str | Sequence[str], appid: str, key: str, *, clock: Clock | None = None,
                 connect_timeout: float = 1.5, read_timeout: float = 10.0, failure_threshold: int = 2,
                 open_seconds: float = 2.0, max_open_seconds: float = 30.0, his_prefix: str = HIS_PREFIX,
                 terminal_prefix: str = TERMINAL_PREFIX, events: LinkObserver | None = None,
                 verify: bool | str = True) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not urls:
            raise ValueError("SyncClient needs at least one server URL")
        self.base_urls = [u.rstrip("/") for u in urls]
        self._active = 0  # index of the host that answered last
        self.verify = verify
        self.appid = appid
        self._key = key
        self.clock = clock or SystemClock()
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.his_prefix = his_prefix
        self.terminal_prefix = terminal_prefix
        self.breaker = CircuitBreaker(self.clock, failure_threshold=failure_threshold, open_seconds=open_seconds,
                                      max_open_seconds=max_open_seconds, events=events)
        self._local = threading.local()
        #: The user logged in at this terminal (empty: nobody logged in); kept for the screens.
        self.operator = ""
        #: The server session of that user (terminal ``login``): sent inside the signed data of
        #: every request as ``sessionToken``, so the server's role checks and audit rows use the
        #: session's user and role (issue 14 item 4). Empty: the terminal acts as itself.
        self.session_token = ""
        # A machine account (a headless terminal with nobody at it): logged in on demand, and
        # again whenever the server says the session is missing or over (E2030).
        self._account: tuple[str, str] | None = None
        self._login_lock = threading.Lock()

    # --- state -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The server host requests go to now (the one that answered last)."""
        return self.base_urls[self._active]

    @property
    def events(self) -> LinkObserver:
        """Link up/down events (the GUI's status bar subscribes)."""
        return self.breaker.events

    @property
    def link_up(self) -> bool:
        """True while the breaker is closed."""
        return self.breaker.is_up

    @property
    def state(self) -> LinkState:
        """The breaker state."""
        return self.breaker.state

    # --- calls -------------------------------------------------------------------------------

    def his(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None) -> envelope.Response:
        """Call an HIS-interface method (e.g. ``invoiceEBillOutpatient``) through the sync server."""
        return self._call(f"{self.his_prefix}/{method}", data, timeout)

    def his_now(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None) -> envelope.Response:
        """Like :meth:`his` but even while the breaker is open: the one ``getEBillByBusNo`` lookup
        after a lost answer (spec §3.6) must be tried before a bill goes emergency in doubt."""
        return self._send(f"{self.his_prefix}/{method}", data, timeout)

    def terminal(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None) -> envelope.Response:
        """Call a terminal-api method (heartbeat, catalog, emergency stock, upload)."""
        return self._call(f"{self.terminal_prefix}/{method}", data, timeout, stamp=method)

    def insurance(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None) -> envelope.Response:
        """Call an insurance-API method (``insPersonInfo``, ``insSettle`` ...; docs/INSURANCE.md §12.3)."""
        return self._call(f"{INSURANCE_PREFIX}/{method}", data, timeout, stamp=method)

    def probe(self) -> bool:
        """A heartbeat when the breaker allows one; True when the link is (now) up.

        The runtime calls this every few seconds so a link drop is seen even when nobody
        issues, and the half-open probe brings the link back by itself.
        """
        if not self.breaker.allow():
            return False
        try:
            self._send(f"{self.terminal_prefix}/{methods.TERMINAL_HEARTBEAT}",
                       {"terminalId": self.appid}, None, stamp=methods.TERMINAL_HEARTBEAT)
        except LinkError:
            return False
        return True

    # --- the terminal-api requests, in one place (docs/EMERGENCY.md) ---------------------------

    def register(self, public_key_hex: str) -> envelope.Response:
        """``register``: the SM2 public key that verifies this terminal's emergency bills."""
        return self.terminal(methods.TERMINAL_REGISTER, {"sm2PublicKey": public_key_hex})

    def heartbeat(self, status: Mapping[str, Any]) -> envelope.Response:
        """``heartbeat``: the terminal's status; the answer may list revoked blocks."""
        return self.terminal(methods.TERMINAL_HEARTBEAT, dict(status))

    def emergency_catalog(self, place_code: str) -> envelope.Response:
        """``catalog``: 应急开票基础信息 (billing points, pay channels, charge items ...)."""
        return self.terminal(methods.TERMINAL_CATALOG, {"placeCode": place_code, "terminalId": self.appid})

    def emergency_stock_out(self, place_code: str, count: int, operator: str) -> envelope.Response:
        """``emergencyStock``: ask for an emergency block for this terminal (库存发放)."""
        return self.terminal(methods.TERMINAL_STOCK_OUT, {"placeCode": place_code, "count": count, "operator": operator,
                                           "terminalId": self.appid})

    def emergency_stock_return(self, place_code: str, bill_batch_code: str, bgn_no: str, end_no: str,
                               reason: str) -> envelope.Response:
        """``emergencyStockReturn``: give unused numbers back (申退); they are void for ever."""
        return self.terminal(methods.TERMINAL_STOCK_RETURN, {"placeCode": place_code, "billBatchCode": bill_batch_code,
                                              "billBgnNo": bgn_no, "billEndNo": end_no, "reason": reason,
                                              "terminalId": self.appid})

    def upload_emergency_bills(self, terminal_id: str, bills: list[Mapping[str, Any]]) -> envelope.Response:
        """``uploadEmergencyBills``: journal entries in order (each built by
        workflows.emergency.issuer.upload_payload); the answer has one result per bill."""
        return self.terminal(methods.TERMINAL_UPLOAD, {"terminalId": terminal_id, "bills": [dict(b) for b in bills]})

    def login(self, username: str, password: str) -> envelope.Response:
        """``login``: the user's profile and a server session token (kept by the caller)."""
        return self.terminal(methods.TERMINAL_LOGIN, {"username": username, "password": password})

    def change_password(self, username: str, old: str, new: str) -> envelope.Response:
        """``changePassword``: the server ends every session of the user (log in again)."""
        return self.terminal(methods.TERMINAL_CHANGE_PASSWORD,
                             {"username": username, "oldPassword": old, "newPassword": new})

    def logout(self) -> envelope.Response:
        """``logout``: end the server session of :attr:`session_token`."""
        return self.terminal(methods.TERMINAL_LOGOUT, {})

    def use_account(self, username: str, password: str) -> None:
        """Act as the machine account ``username`` from now on: the first request the server
        refuses for want of a session (E2030) logs it in and is sent once more."""
        self._account = (username, password)

    def _relogin(self, stale: str) -> bool:
        """Log the machine account in (unless another thread just did); True when a new token is set."""
        if self._account is None:
            return False
        with self._login_lock:
            if self.session_token and self.session_token != stale:
                return True  # another thread logged in meanwhile
            username, password = self._account
            self.session_token = ""
            ans = self._send(f"{self.terminal_prefix}/{methods.TERMINAL_LOGIN}",
                             {"username": username, "password": password}, None, stamp=methods.TERMINAL_LOGIN,
                             relogin=False)
            if not ans.ok or not isinstance(ans.message, Mapping) or not ans.message.get("sessionToken"):
                log.warning("machine account %s could not log in: %s", username, ans.result)
                return False
            self.operator, self.session_token = username, str(ans.message["sessionToken"])
            return True

    def set_user(self, username: str, token: str) -> None:
        """The user and session sent from now on ('' and '': nobody logged in)."""
        self.operator, self.session_token = username, token

    # --- transport ---------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def _call(self, path: str, data: Mapping[str, Any], timeout: float | None,
              stamp: str | None = None) -> envelope.Response:
        if not self.breaker.allow():
            raise LinkDownError(f"同步服务器连接中断（约{self.breaker.seconds_to_probe():.0f}秒后重试），可使用应急开票")
        return self._send(path, data, timeout, stamp=stamp)

    def _send(self, path: str, data: Mapping[str, Any], timeout: float | None,
              stamp: str | None = None, relogin: bool = True) -> envelope.Response:
        """POST one signed request; ``stamp`` = the terminal-api method signed into the noise with
        the wall-clock send time (billing_core.request_stamp; the server checks both). A machine
        account whose session is missing or over logs in and the request is sent once more."""
        token = self.session_token
        response = self._post(path, data, timeout, stamp)
        if relogin and response.result == SESSION_REFUSED and self._account is not None and self._relogin(token):
            response = self._post(path, data, timeout, stamp)
        return response

    def _post(self, path: str, data: Mapping[str, Any], timeout: float | None,
              stamp: str | None = None) -> envelope.Response:
        payload = dict(data)
        if self.session_token:
            # inside the signed data, so it cannot be swapped in transit (docs/SYNC_SERVER.md)
            payload["sessionToken"] = self.session_token
        noise = request_stamp.make(stamp, int(time.time() * 1000)) if stamp else new_noise()
        body = envelope.encode_request(self.appid, self._key, payload, noise=noise)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        reply = self._post_any(path, envelope.dumps(body).encode("utf-8"), headers, timeout)
        if reply.status_code != 200:
            self.breaker.failure(f"HTTP {reply.status_code}")
            raise BadAnswerError(f"同步服务器应答HTTP {reply.status_code}")
        try:
            response = envelope.decode_response(reply.content, self.appid, self._key)
        except BillingError as exc:
            self.breaker.failure("应答无法识别")
            raise BadAnswerError(f"同步服务器应答无法识别：{exc.message}") from None
        self.breaker.success()
        return response

    def _post_any(self, path: str, body: bytes, headers: dict[str, str], timeout: float | None) -> requests.Response:
        """POST to the current host, then to the others in turn while the request could not be
        sent; the host that answers becomes current. Raises LinkDownError when none took it,
        AnswerLostError when one took it and the answer was lost (never re-sent elsewhere)."""
        # (the breaker's reason, the message) of the last host that did not take the request
        first, why = self._active, ("同步服务器连接中断", "无法连接同步服务器")
        for step in range(len(self.base_urls)):
            index = (first + step) % len(self.base_urls)
            try:
                reply = self._session().post(f"{self.base_urls[index]}{path}", data=body, headers=headers,
                                             timeout=(self.connect_timeout, timeout or self.read_timeout),
                                             verify=self.verify)
            except requests.ConnectTimeout:
                why = ("连接同步服务器超时", "连接同步服务器超时")
                continue
            except requests.exceptions.SSLError as exc:
                # the handshake failed before any request byte: not sent; never a silent fallback to http
                log.warning("TLS handshake with %s failed: %s", self.base_urls[index], exc)
                why = ("同步服务器证书校验失败", "同步服务器证书校验失败")
                continue
            except requests.ConnectionError as exc:
                # Refused / unreachable before sending vs dropped after: requests folds both into
                # ConnectionError; a refused connect carries NewConnectionError in its chain.
                if "NewConnectionError" in repr(exc) or "Connection refused" in str(exc):
                    why = ("同步服务器连接中断", "无法连接同步服务器")
                    continue
                self.breaker.failure("同步服务器连接中断")
                raise AnswerLostError("同步服务器连接在应答前中断") from None
            except requests.Timeout:
                self.breaker.failure("同步服务器应答超时")
                raise AnswerLostError("同步服务器应答超时") from None
            except requests.RequestException as exc:
                self.breaker.failure("同步服务器通信错误")
                raise AnswerLostError(f"同步服务器通信错误：{type(exc).__name__}") from None
            if index != self._active:
                log.warning("sync server %s unreachable; now using %s", self.base_url, self.base_urls[index])
                self._active = index
            return reply
        self.breaker.failure(why[0])
        raise LinkDownError(f"{why[1]}，可使用应急开票") from None
