"""The HIS interface of the simulated platform: one signed envelope in, one signed envelope out.

``POST /medical-web/api/medical/<method>`` (spec §1): decode and check the envelope, apply the
fault knobs, validate the business object (billing_core), run the method's handler in one store
transaction together with its call-log row, and sign the answer. Flask routes here
(simulators/finance/app.py), and the simulator's own HTTP server calls :func:`answer` directly for
these POSTs (simulators/finance/server.py), skipping Flask's request machinery on the hot path.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import time
from typing import Any

from billing_core import envelope
from billing_core.bills import METHODS, validate_request
from billing_core.errors import BillingError
from billing_core.ids import new_noise
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.handlers import HANDLERS, RAW_METHODS
from simulators.finance.platform import CallCtx, Platform

log = logging.getLogger(__name__)

#: The path prefix of the HIS interface; the method name follows it.
PREFIX = "/medical-web/api/medical/"

#: Methods named in the spec that this simulator does not offer (docs/UNSUPPORTED.md): they
#: answer E3990. Any other unknown name answers E3991.
UNSUPPORTED = frozenset({
    "printElectBill", "getElectBillListTotal", "printElectBillList", "turnPaperPrint", "reTurnPaperPrint",
    "printPaperBill", "printPaper", "getNotPrintDetailList", "receiveCheckTotalData", "receiveCheckWriteOffData",
    "receiveBillByBusDate", "queryCheckTotalData", "queryCheckWriteOffData", "queryBillByBusDate",
    "generateAccount", "getEBillAcList", "downEBillAccount", "registerEBillAcc", "cancelEBillAcc",
    "getPromptInformation", "getEBillBookkeepingTips", "invoiceEBill", "noticeEBill",
})


def answer(p: Platform, method_name: str, body: bytes, host_url: str, sock: socket.socket | None) -> bytes | None:
    """The signed answer envelope (JSON bytes) of one call; None when the drop-response knob took
    this call: the work is committed and ``sock`` (when given) is shut, so no answer leaves."""
    received = p.now17()
    started = time.monotonic()
    appid, key, bus_no, noise = "", "", "", None
    result, message = E.INTERNAL, "平台内部错误"
    payload: Any = None
    dropped: bool | None = None  # set once the call is logged
    try:
        req = envelope.decode_request(body, lambda a: (c.key if (c := p.store.caller(a)) else None))
        appid, noise = req.appid, req.noise
        caller = p.store.caller(appid)
        assert caller is not None
        key = caller.key
        inner = req.data.get("bill")  # uploadEmergencyEBill carries the bill (and its busNo) inside
        bus_no = str(req.data.get("busNo", "") or req.data.get("batchNo", "")
                     or (inner.get("busNo", "") if isinstance(inner, dict) else ""))
        if p.faults.latency:
            time.sleep(p.faults.latency)
        if p.roll_error():
            raise SimError(E.BUSY, "平台繁忙，请稍后重试")
        handler = HANDLERS.get(method_name)
        if handler is None:
            if method_name in UNSUPPORTED:
                raise SimError(E.UNSUPPORTED, f"本平台不支持该接口：{method_name}")
            raise SimError(E.UNKNOWN_METHOD, f"接口服务标识不存在：{method_name}")
        data = req.data
        if method_name in METHODS and method_name not in RAW_METHODS:
            # as strict as the platform's spec, no stricter: our extra rules are not the platform's
            data = validate_request(method_name, data, warnings=[])
        ctx = CallCtx(caller, host_url.rstrip("/"))
        with p.store.tx() as db:
            payload = handler(p, ctx, db, data)
            result, message = envelope.SUCCESS, ""
            # the call log row of a success commits with the work itself: one commit per call,
            # and the log can never miss (or invent) a success the store holds
            dropped = p.take_drop(method_name)
            _insert_call(db, p, received, appid, method_name, noise or "", bus_no, result, message, dropped,
                         started)
    except BillingError as exc:
        if appid == "":  # envelope refused before the caller was known: sign for the claimed appid
            try:
                claimed = envelope.parse_envelope(body, ("appid",))["appid"]
                known = p.store.caller(claimed)
                appid, key = claimed, (known.key if known else "")
            except BillingError:
                pass
        result, message = exc.code, exc.message
    except Exception:  # never a stack trace to the caller (DESIGN.md §3)
        log.exception("finance simulator: %s failed", method_name)
        result, message = E.INTERNAL, "平台内部错误"
    if dropped is None:  # refused or failed: nothing was committed, the log row goes on its own
        dropped = p.take_drop(method_name)
        with p.store.tx() as db:
            _insert_call(db, p, received, appid, method_name, request_noise(body) if noise is None else noise,
                         bus_no, result, message, dropped, started)
    if dropped:
        # The in-doubt case: the work is committed, the answer never leaves (connection closed).
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return None
    env = envelope.encode_response(appid, key, result, payload if result == envelope.SUCCESS else message,
                                   noise=new_noise())
    return envelope.dumps(env).encode("utf-8")


def request_noise(body: bytes) -> str:
    """The request's noise, for the call log (empty when the envelope is unreadable)."""
    try:
        return envelope.parse_envelope(body, ("noise",))["noise"]
    except BillingError:
        return ""


def _insert_call(db: sqlite3.Connection, p: Platform, received: str, appid: str, method_name: str, noise: str,
                 bus_no: str, result: str, message: str, dropped: bool, started: float) -> None:
    db.execute("INSERT INTO calls (received, finished, appid, method, noise, bus_no, result, message, dropped,"
               " elapsed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (received, p.now17(), appid, method_name, noise, bus_no, result, message[:500],
                int(dropped), (time.monotonic() - started) * 1000))
