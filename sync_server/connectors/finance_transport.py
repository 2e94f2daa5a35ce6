"""Transport of the finance platform client: signed envelopes over HTTP, and the mapping of every
failure onto the connector's typed errors (spec §1, §3.6). :mod:`sync_server.connectors.policy`
builds the safety policy (and the circuit breaker) on top of it, :mod:`sync_server.connectors.finance`
the typed methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from billing_core import envelope, methods
from billing_core.errors import EnvelopeError
from billing_core.ids import new_noise
from sync_server.connectors.errors import (
    PlatformBadResponse,
    PlatformInDoubt,
    PlatformRejected,
    PlatformUnreachable,
)
from sync_server.connectors.finance_http import Poster, SendFailed
from sync_server.connectors.masking import mask_sensitive

# One logger for the whole finance connector (transport and policy).
log = logging.getLogger("sync_server.connectors.finance")

Payload = dict[str, Any]


def as_payload(method: str, answer: Any) -> Payload:
    """``answer`` (a decoded success message) as the JSON object ``method`` answers.

    :raises PlatformBadResponse: the platform answered something else (a text, a list).
    """
    if not isinstance(answer, dict):
        raise PlatformBadResponse(f"财政电子票据平台应答不是JSON对象：{method}", method=method)
    return answer

# The method groups the client's safety policy decides on (billing_core.methods, the one vocabulary).
#: Issuing methods (spec §3, §4): idempotent on busNo through getEBillByBusNo.
ISSUE_METHODS = tuple(methods.ISSUE)
#: Batch issuing methods (spec §4): idempotent on batchNo through getBatchInvoiceEBill.
BATCH_METHODS = tuple(methods.BATCH)
#: Read-only methods: safe to retry.
QUERY_METHODS = tuple(sorted(methods.QUERIES))
#: State changes sent exactly once (an in-doubt failure is raised to the caller); writeOffEBill has
#: its own policy (a state lookup after a lost answer).
ONCE_METHODS = tuple(sorted(methods.CHANGES - {methods.WRITE_OFF_EBILL}))
#: Every method of the finance-platform issue's list (the §17 extensions excluded).
ALL_METHODS = tuple(sorted(methods.HIS_METHODS))

_JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8"}


class FinanceTransport:
    """Signed-envelope client of one platform account.

    :param base_url: the method prefix, e.g. ``http://host:port/medical-web/api/medical``.
    :param appid: the hospital's caller account on the platform.
    :param key: its signing key (never sent, never logged).
    :param timeout: read timeout in seconds (spec §1.1: real clients use 30-120 s; the sync
        server uses a short one so that it can fall back to emergency stock quickly).
    :param connect_timeout: TCP connect timeout in seconds.
    :param session: a ``requests.Session`` to send through; without one (the fast default) the
        client keeps its own thread-safe keep-alive pool (finance_http, ``pool_size`` connections) and
        one client can be shared by many threads.
    :param pool_size: connections kept alive for reuse (more may be opened under load).
    :param query_retries: extra attempts for read-only methods after a transport failure.
    :param retry_backoff: seconds before a query's first retry (doubled, tripled ... after).
    :param not_found_codes: failure codes of getEBillByBusNo meaning "no such bill" (the
        simulator's E3001), for the typed ``get_ebill_by_bus_no``.
    :param batch_not_found_codes: failure codes of getBatchInvoiceEBill meaning "no such batch".
    """

    def __init__(
        self,
        base_url: str,
        appid: str,
        key: str,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        *,
        connect_timeout: float = 3.0,
        query_retries: int = 2,
        retry_backoff: float = 0.2,
        not_found_codes: tuple[str, ...] = ("E3001",),
        batch_not_found_codes: tuple[str, ...] = ("E3015",),
        noise_factory: Callable[[], str] = new_noise,
        pool_size: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self._key = key
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.session = session
        self._http = None if session is not None else Poster(self.base_url, pool_size)
        self.query_retries = query_retries
        self.retry_backoff = retry_backoff
        self.not_found_codes = not_found_codes
        self.batch_not_found_codes = batch_not_found_codes
        self._noise = noise_factory

    def __repr__(self) -> str:  # never show the key
        return f"FinanceClient({self.base_url!r}, appid={self.appid!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        if self.session is not None:
            self.session.close()
        if self._http is not None:
            self._http.clear()

    # ------------------------------------------------------------------ transport

    def call(self, method: str, data: Mapping[str, Any], *, timeout: float | None = None,
             headers: Mapping[str, str] | None = None) -> Any:
        """Send one request, exactly once, and return the decoded success payload.

        :param timeout: read timeout of this call (default: the client's ``timeout``).
        :param headers: extra HTTP headers of this call (e.g. ``Idempotency-Key``).

        :raises PlatformUnreachable: not sent (connection refused, connect timeout).
        :raises PlatformInDoubt: sent, answer lost (read timeout, connection dropped).
        :raises PlatformBadResponse: answer unusable (HTTP status, not an envelope, bad sign).
        :raises PlatformRejected: the platform answered a failure code.
        """
        body = envelope.encode_request(self.appid, self._key, dict(data), noise=self._noise())
        url = f"{self.base_url}/{method}"
        started = time.monotonic()  # the call's real duration, for the log line only
        bus_no = data.get("busNo", "") if isinstance(data, Mapping) else ""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("finance -> %s %s", method, envelope.dumps(mask_sensitive(dict(data)))[:2000])
        payload = envelope.dumps(body).encode("utf-8")
        hdrs = {**_JSON_HEADERS, **headers} if headers else _JSON_HEADERS
        read_timeout = self.timeout if timeout is None else timeout
        try:
            if self._http is not None:
                # sent at most once (a stale idle connection is replaced before sending)
                status, content = self._http.post(url, payload, hdrs, self.connect_timeout, read_timeout)
            else:
                assert self.session is not None
                r = self.session.post(url, data=payload, headers=dict(hdrs),
                                      timeout=(self.connect_timeout, read_timeout))
                status, content = r.status_code, r.content
        except (requests.RequestException, SendFailed) as exc:
            elapsed = (time.monotonic() - started) * 1000
            if _not_sent(exc):
                log.warning("finance %s busNo=%s unreachable after %.0f ms: %s", method, bus_no, elapsed,
                            _cause_name(exc))
                raise PlatformUnreachable(f"财政电子票据平台无法连接：{method}", method=method) from exc
            log.warning("finance %s busNo=%s answer lost after %.0f ms: %s", method, bus_no, elapsed,
                        _cause_name(exc))
            raise PlatformInDoubt(f"财政电子票据平台应答丢失：{method}", method=method) from exc
        elapsed = (time.monotonic() - started) * 1000
        if status != 200:
            log.warning("finance %s busNo=%s HTTP %s", method, bus_no, status)
            raise PlatformBadResponse(f"财政电子票据平台应答HTTP {status}：{method}", method=method)
        try:
            answer = envelope.decode_response(content, self.appid, self._key)
        except EnvelopeError as exc:
            log.warning("finance %s busNo=%s bad answer: %s", method, bus_no, exc.code)
            raise PlatformBadResponse(f"财政电子票据平台应答无效（{exc.message}）：{method}",
                                      method=method) from exc
        if log.isEnabledFor(logging.INFO):
            log.info("finance %s busNo=%s -> %s in %.0f ms", method, bus_no, answer.result, elapsed)
        if not answer.ok:
            raise PlatformRejected(answer.result, str(answer.message), method=method)
        return answer.message

    def call_payload(self, method: str, data: Mapping[str, Any]) -> Payload:
        """:meth:`call` of a method answering a JSON object.

        :raises PlatformBadResponse: the answer is not a JSON object (besides :meth:`call`'s errors).
        """
        return as_payload(method, self.call(method, data))

    def query_payload(self, method: str, data: Mapping[str, Any]) -> Payload:
        """:meth:`query` of a method answering a JSON object.

        :raises PlatformBadResponse: the answer is not a JSON object (besides :meth:`query`'s errors).
        """
        return as_payload(method, self.query(method, data))

    def query(self, method: str, data: Mapping[str, Any]) -> Any:
        """A read-only call, retried after transport failures (``query_retries`` extra times)."""
        attempt = 0
        while True:
            try:
                return self.call(method, data)
            except PlatformUnreachable:
                if attempt >= self.query_retries:
                    raise
                attempt += 1
                time.sleep(self.retry_backoff * attempt)  # a real pause before a real retry


def _not_sent(exc: Exception) -> bool:
    """True when the request certainly never reached the server (safe to treat as not sent).

    A connect timeout or a refused/unresolvable connection happens before any byte of the
    request is written; a read timeout or a connection dropped while waiting for the answer
    happens after (the in-doubt case of spec §3.6).
    """
    if isinstance(exc, SendFailed):  # our own pool (finance_http) classified it already
        return exc.not_sent
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", reason)
        name = type(inner).__name__
        return name in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError")
    return False


def _cause_name(exc: Exception) -> str:
    """The underlying error's class name, for the log line."""
    return type(exc.cause).__name__ if isinstance(exc, SendFailed) else type(exc).__name__
