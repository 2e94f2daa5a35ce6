"""Transport of the insurance connector: one transaction posted exactly once (spec §1-§4).

:class:`InsuranceTransport.call` builds the envelope (msgid, operator, ``sign_no``,
``insuplc_admdvs``), encrypts the input in the SM4/SM2 mode, signs the gateway headers, posts once
through the finance connector's keep-alive pool (finance_http: "not sent" is exact), and maps every
failure onto the typed errors of insurance_errors. Every transaction goes through the
:class:`TransactionLog` it was given before it is sent and after it ends (the server's journal:
sync_server/insurance/journal.py), and through the circuit breaker (billing_core.breaker: only a
refusal to connect counts). Personal numbers are masked before anything reaches the log.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from billing_core.breaker import Breaker
from sync_server.connectors.finance_http import Poster, SendFailed
from sync_server.connectors.insurance_crypto import EnvelopeCipher
from sync_server.connectors.insurance_envelope import (
    Answer,
    Institution,
    Operator,
    build_request,
    make_msgid,
    names_person,
    parse_response,
)
from sync_server.connectors.insurance_errors import (
    InsuranceBadResponse,
    InsuranceInDoubt,
    InsuranceRejected,
    InsuranceUnreachable,
)
from sync_server.connectors.insurance_gateway import tif_headers, transaction_url
from sync_server.connectors.masking import mask_sensitive

log = logging.getLogger("sync_server.connectors.insurance")

#: Outcomes a transaction ends with (the journal's ``outcome`` column).
OK, REJECTED, NOT_SENT, IN_DOUBT = "ok", "rejected", "not_sent", "in_doubt"


class TransactionLog(Protocol):
    """Where every transaction is recorded: before sending (the msgid, durably) and after."""

    def begin(self, infno: str, operator: Operator, input_: Mapping[str, Any], msgid: str | None) -> str:
        """Record the transaction about to be sent; its msgid (a new one unless ``msgid`` is given)."""

    def end(self, msgid: str, outcome: str, infcode: str, err_msg: str, output: Any, elapsed_ms: int) -> None:
        """Record how the transaction ended."""


#: The in-memory logs' shared sequence: one per process (two clients of one institution in one
#: process never reuse a msgid), started from the clock so that a restarted tool does not
#: repeat the previous run's numbers within the same second.
_MEMORY_SEQ = itertools.count(int(time.time() * 1000) % 10000)


class MemoryLog:
    """A :class:`TransactionLog` in memory (tools, unit tests): msgids from the process's counter.
    The server uses its database journal (sync_server/insurance/journal.py) instead."""

    def __init__(self, fixmedins_code: str, clock: Callable[[], datetime] = datetime.now) -> None:
        self.code = fixmedins_code
        self.clock = clock
        self.rows: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def begin(self, infno: str, operator: Operator, input_: Mapping[str, Any], msgid: str | None) -> str:
        """See :class:`TransactionLog`."""
        with self._lock:
            msgid = msgid or make_msgid(self.code, self.clock(), next(_MEMORY_SEQ))
            self.rows.setdefault(msgid, {"infno": infno, "opter": operator.opter, "outcome": "sent"})
        return msgid

    def end(self, msgid: str, outcome: str, infcode: str, err_msg: str, output: Any, elapsed_ms: int) -> None:
        """See :class:`TransactionLog`."""
        with self._lock:
            self.rows.setdefault(msgid, {})["outcome"] = outcome


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to reach the platform.

    :ivar url_style: single | per_infno | service_path | proxy (insurance_gateway).
    :ivar paasid: / :ivar pass_token: the gateway account (``proxy``: unused).
    """

    base_url: str
    url_style: str = "single"
    paasid: str = ""
    pass_token: str = ""
    connect_timeout: float = 2.0
    timeout: float = 10.0


class InsuranceTransport:
    """Posts transactions of one institution; thread-safe, one per process.

    :param cipher: the §4.4 SM4/SM2 envelope (None: plain mode).
    :param journal: where every transaction is recorded (default: in memory).
    :param breaker: the circuit breaker every call passes (None: none).
    :param now: wall clock of the envelope's ``inf_time`` and the gateway timestamp.
    """

    def __init__(self, endpoint: Endpoint, institution: Institution, *, cipher: EnvelopeCipher | None = None,
                 journal: TransactionLog | None = None, breaker: Breaker | None = None,
                 now: Callable[[], datetime] = datetime.now, pool_size: int = 8) -> None:
        self.endpoint = endpoint
        self.institution = institution
        self.cipher = cipher
        self.journal: TransactionLog = journal or MemoryLog(institution.fixmedins_code, now)
        self.breaker = breaker
        self._now = now
        self._http = Poster(endpoint.base_url.rstrip("/") or "http://127.0.0.1", pool_size)

    def __repr__(self) -> str:  # never the token
        return f"InsuranceTransport({self.endpoint.base_url!r}, {self.institution.fixmedins_code!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.clear()

    def call(self, infno: str, input_: Mapping[str, Any], operator: Operator, *, sign_no: str = "",
             insuplc_admdvs: str = "", msgid: str | None = None, timeout: float | None = None) -> Any:
        """Send one transaction exactly once; its (decrypted) ``output``.

        :param msgid: the msgid recorded beforehand (a settlement's, written with its record);
            None: the journal makes one.
        :raises InsuranceUnreachable: not sent (also while the breaker is open);
            :raises InsuranceInDoubt: sent, answer lost or unusable; :raises InsuranceRejected:
            infcode ≠ 0; :raises ValueError: a person's transaction without ``insuplc_admdvs``.
        """
        if names_person(input_) and not insuplc_admdvs:
            raise ValueError(f"transaction {infno} names a person: insuplc_admdvs is required")
        msgid = self.journal.begin(infno, operator, input_, msgid)
        started = time.monotonic()
        try:
            answer = self._send(infno, input_, operator, msgid, sign_no, insuplc_admdvs, timeout)
        except InsuranceUnreachable as exc:
            self._end(msgid, IN_DOUBT if exc.in_doubt else NOT_SENT, "", exc.message, None, started)
            raise
        if not answer.ok:
            self._end(msgid, REJECTED, answer.infcode, answer.err_msg, answer.output, started)
            raise InsuranceRejected(answer.infcode, answer.err_msg, infno=infno)
        output = answer.output
        if self.cipher is not None:
            try:
                output = self.cipher.open_output(output, answer.cainfo, infno)
            except InsuranceBadResponse as exc:
                self._end(msgid, IN_DOUBT, answer.infcode, exc.message, None, started)
                raise
        self._end(msgid, OK, answer.infcode, answer.err_msg, output, started)
        return output

    def _end(self, msgid: str, outcome: str, infcode: str, err_msg: str, output: Any, started: float) -> None:
        elapsed = int((time.monotonic() - started) * 1000)
        log.info("insurance %s -> %s %s in %d ms", msgid, outcome, infcode, elapsed)
        self.journal.end(msgid, outcome, infcode, err_msg, output, elapsed)

    def _send(self, infno: str, input_: Mapping[str, Any], operator: Operator, msgid: str, sign_no: str,
              insuplc: str, timeout: float | None) -> Answer:
        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            raise InsuranceUnreachable("医保平台不可达（熔断中，请求未发出）", method=infno)
        ep = self.endpoint
        now = self._now()
        body: Mapping[str, Any] | str = input_
        cainfo = ""
        if self.cipher is not None:
            body, cainfo = self.cipher.seal_input(input_)
        envelope = build_request(self.institution, operator, infno, msgid, now, body, sign_no=sign_no,
                                 insuplc_admdvs=insuplc, cainfo=cainfo)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("insurance -> %s %s", infno, json.dumps(mask_sensitive(dict(input_)), ensure_ascii=False)[:2000])
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if ep.url_style != "proxy":
            headers |= tif_headers(ep.paasid, ep.pass_token, now.timestamp())
        payload = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            status, content = self._http.post(transaction_url(ep.base_url, ep.url_style, infno), payload, headers,
                                              ep.connect_timeout, ep.timeout if timeout is None else timeout)
        except SendFailed as exc:
            if exc.not_sent:
                if breaker is not None:
                    breaker.failure()
                raise InsuranceUnreachable(f"医保平台无法连接：{infno}", method=infno) from exc
            if breaker is not None:
                breaker.success()
            raise InsuranceInDoubt(f"医保平台应答丢失：{infno}（msgid {msgid}）", method=infno) from exc
        if breaker is not None:
            breaker.success()
        if status != 200:
            try:
                return parse_response(content, infno)  # some gateways answer an envelope with 4xx/5xx
            except InsuranceBadResponse:
                raise InsuranceBadResponse(f"医保平台应答HTTP {status}：{infno}", method=infno) from None
        return parse_response(content, infno)

    def post_raw(self, infno: str, input_: Mapping[str, Any], operator: Operator, *, sign_no: str = "") -> bytes:
        """Send a transaction whose success answer is not JSON (9102: the ZIP bytes); logged.

        :raises InsuranceUnreachable / InsuranceInDoubt / InsuranceRejected: as :meth:`call`.
        """
        msgid = self.journal.begin(infno, operator, input_, None)
        started = time.monotonic()
        ep = self.endpoint
        now = self._now()
        envelope = build_request(self.institution, operator, infno, msgid, now, input_, sign_no=sign_no)
        headers = {"Content-Type": "application/json;charset=utf-8"}
        if ep.url_style != "proxy":
            headers |= tif_headers(ep.paasid, ep.pass_token, now.timestamp())
        try:
            status, content = self._http.post(transaction_url(ep.base_url, ep.url_style, infno),
                                              json.dumps(envelope, ensure_ascii=False).encode("utf-8"), headers,
                                              ep.connect_timeout, ep.timeout)
        except SendFailed as exc:
            self._end(msgid, NOT_SENT if exc.not_sent else IN_DOUBT, "", type(exc.cause).__name__, None, started)
            if exc.not_sent:
                raise InsuranceUnreachable(f"医保平台无法连接：{infno}", method=infno) from exc
            raise InsuranceInDoubt(f"医保平台应答丢失：{infno}", method=infno) from exc
        if status == 200 and content[:2] == b"PK":
            self._end(msgid, OK, "0", "", {"bytes": len(content)}, started)
            return content
        try:
            answer = parse_response(content, infno)
        except InsuranceBadResponse as exc:
            self._end(msgid, IN_DOUBT, "", exc.message, None, started)
            raise
        self._end(msgid, REJECTED if not answer.ok else OK, answer.infcode, answer.err_msg, answer.output, started)
        if not answer.ok:
            raise InsuranceRejected(answer.infcode, answer.err_msg, infno=infno)
        raise InsuranceBadResponse(f"医保平台下载应答不是文件：{infno}", method=infno)
