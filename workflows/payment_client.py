"""The terminal's client of the hospital's unified payment platform (docs/PAYMENT.md).

Signed JSON over HTTP POST (:mod:`billing_core.paysign`: sorted ``k=v`` + ``&key=KEY``,
HMAC-SHA256): every request carries ``mch_id``, ``nonce_str`` and ``timestamp``; every answer's
signature is checked before anything in it is believed. Methods return frozen dataclasses.

Errors: one type, :class:`PaymentError` (``.code``, Chinese ``.message``), for everything the
platform refuses; its subclass :class:`PaymentUnavailable` when no usable answer came (timeout,
refused connection, 503, an answer that is not JSON or not signed by the platform) — then the
request may or may not have been carried out (``.sent``) and the caller asks again by
``out_trade_no`` / ``out_refund_no``, which the platform treats idempotently.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import requests

from billing_core import paysign
from billing_core.clock import Clock, SystemClock
from billing_core.errors import BillingError

#: ``transport(url, body, timeout) -> (HTTP status, body)``; raises TimeoutError / ConnectionError.
Transport = Callable[[str, bytes, float], tuple[int, bytes]]

PAID_STATES = ("SUCCESS", "REFUND")
OPEN_STATES = ("NOTPAY", "USERPAYING")


class PaymentError(BillingError):
    """The payment platform refused a request (``code`` E37xx from the platform, E57xx ours)."""

    code = "E5700"
    default_message = "支付平台处理失败"


class PaymentUnavailable(PaymentError):
    """No usable answer: the platform is unreachable, too slow, down, or its answer is not
    trustworthy. ``sent`` is True when the request may have been carried out."""

    code = "E5701"
    default_message = "支付平台暂时无法访问，请稍后重试"

    def __init__(self, message: str | None = None, *, code: str | None = None, sent: bool = True) -> None:
        super().__init__(message, code=code)
        self.sent = sent


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """An order as the platform reports it (amounts in fen)."""

    out_trade_no: str
    trade_state: str
    trade_state_desc: str
    trade_type: str
    total_fee: int
    refund_fee: int
    channel: str
    pay_channel: str
    transaction_id: str
    time_end: str
    code_url: str
    time_expire: str
    pay_err_code: str = ""
    pay_err_msg: str = ""

    @property
    def paid(self) -> bool:
        """The patient's money arrived (SUCCESS, or later partly/fully refunded)."""
        return self.trade_state in PAID_STATES

    @property
    def open(self) -> bool:
        """Still waiting for the patient (NOTPAY, USERPAYING)."""
        return self.trade_state in OPEN_STATES


@dataclass(frozen=True, slots=True)
class RefundStatus:
    """A refund to the original channel (amounts in fen)."""

    out_trade_no: str
    out_refund_no: str
    refund_id: str
    refund_fee: int
    total_fee: int
    refund_status: str
    channel: str
    refunded_total: int
    refund_success_time: str
    reason: str


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One line of the daily statement: a payment (kind 支付) or a refund (退款), in fen."""

    time: str
    out_trade_no: str
    transaction_id: str
    out_refund_no: str
    kind: str
    channel: str
    trade_type: str
    amount: int
    refund: int
    fee: int
    body: str


@dataclass(frozen=True, slots=True)
class Statement:
    """The daily statement (对账单): the CSV text, its lines and its totals (fen)."""

    bill_date: str
    csv_text: str
    rows: tuple[StatementRow, ...]
    pay_count: int
    refund_count: int
    pay_total: int
    refund_total: int
    fee_total: int
    net_total: int


@dataclass(frozen=True, slots=True)
class FaceIdentity:
    """The enrolled patient a face was verified as."""

    phone: str
    name: str
    id_card_no: str
    patient_id: str
    score: Decimal


def fen_of_yuan(text: str) -> int:
    """``"12.50"`` -> 1250 (statement amounts are yuan with two places)."""
    return int((Decimal(text) * 100).to_integral_exact())


class PaymentClient:
    """Calls the unified payment platform as one merchant.

    :param base_url: ``http://host:port`` of the platform (the simulator's ``server.url``).
    :param mch_id: the merchant number; :param key: its signing key (never sent).
    :param timeout: seconds to wait for an answer; past it :class:`PaymentUnavailable`.
    :param transport: how bytes travel (default: HTTP with requests); tests may pass the
        simulator app's Flask test client behind this signature.
    """

    def __init__(self, base_url: str, mch_id: str, key: str, timeout: float = 10.0, *,
                 clock: Clock | None = None, transport: Transport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.mch_id = mch_id
        self._key = key
        self.timeout = timeout
        self.clock = clock or SystemClock()
        self._transport = transport or self._http
        self._local = threading.local()

    # --- orders ------------------------------------------------------------------------------

    def unified_order(self, out_trade_no: str, total_fee: int, subject: str, *, channel: str = "aggregate",
                      notify_url: str = "", expire_seconds: int | None = None) -> OrderStatus:
        """主扫: create the order (a repeat with the same number and amount answers the same order);
        show ``code_url`` as a QR code. ``channel``: wechat, alipay, unionpay or aggregate."""
        return _order(self._call("pay/unifiedorder", out_trade_no=out_trade_no, total_fee=total_fee, body=subject,
                                 channel=channel, notify_url=notify_url, expire_seconds=expire_seconds))

    def micropay(self, out_trade_no: str, total_fee: int, subject: str, auth_code: str, *,
                 notify_url: str = "", expire_seconds: int | None = None) -> OrderStatus:
        """被扫: charge the patient's payment code; SUCCESS, USERPAYING (confirm on the phone) or PAYERROR."""
        return _order(self._call("pay/micropay", out_trade_no=out_trade_no, total_fee=total_fee, body=subject,
                                 auth_code=auth_code, notify_url=notify_url, expire_seconds=expire_seconds))

    def query(self, out_trade_no: str) -> OrderStatus:
        """The order's current state."""
        return _order(self._call("pay/orderquery", out_trade_no=out_trade_no))

    def close(self, out_trade_no: str) -> OrderStatus:
        """Close an unpaid 主扫 order; E3712 when it was paid meanwhile."""
        return _order(self._call("pay/closeorder", out_trade_no=out_trade_no))

    def reverse(self, out_trade_no: str) -> OrderStatus:
        """撤销 an unpaid 被扫 order; E3712 when it was paid meanwhile."""
        return _order(self._call("pay/reverse", out_trade_no=out_trade_no))

    # --- refunds -----------------------------------------------------------------------------

    def refund(self, out_trade_no: str, out_refund_no: str, refund_fee: int, reason: str = "",
               total_fee: int | None = None) -> RefundStatus:
        """Refund to the original channel; the same ``out_refund_no`` again answers the same refund."""
        return _refund(self._call("pay/refund", out_trade_no=out_trade_no, out_refund_no=out_refund_no,
                                  refund_fee=refund_fee, total_fee=total_fee, refund_desc=reason))

    def refund_query(self, out_refund_no: str) -> RefundStatus:
        """One refund by its number."""
        return _refund(self._call("pay/refundquery", out_refund_no=out_refund_no))

    def refunds_of(self, out_trade_no: str) -> tuple[RefundStatus, ...]:
        """Every refund of an order."""
        out = self._call("pay/refundquery", out_trade_no=out_trade_no)
        return tuple(_refund(r) for r in out.get("refunds", []))

    # --- statement, face ---------------------------------------------------------------------

    def statement(self, bill_date: date) -> Statement:
        """The daily statement of ``bill_date`` (CST)."""
        out = self._call("pay/downloadbill", bill_date=bill_date.strftime("%Y%m%d"))
        text = str(out["statement"])
        lines = list(csv.reader(io.StringIO(text)))
        body = lines[1:-2]  # header, ..., totals header, totals
        rows = tuple(StatementRow(r[0], r[2], r[3], r[4], r[6], r[7], r[8], fen_of_yuan(r[9]), fen_of_yuan(r[10]),
                                  fen_of_yuan(r[11]), r[12]) for r in body)
        return Statement(str(out["bill_date"]), text, rows, int(out["pay_count"]), int(out["refund_count"]),
                         int(out["pay_total"]), int(out["refund_total"]), int(out["fee_total"]),
                         int(out["net_total"]))

    def face_verify(self, phone: str, image: bytes) -> FaceIdentity:
        """刷脸核身: the best face frame (JPEG/PNG bytes) + the phone number the patient typed."""
        import base64

        out = self._call("face/verify", phone=phone, face_image=base64.b64encode(image).decode("ascii"))
        return FaceIdentity(str(out["phone"]), str(out["name"]), str(out["id_card_no"]), str(out["patient_id"]),
                            Decimal(str(out["score"])))

    # --- wire --------------------------------------------------------------------------------

    def _call(self, path: str, **params: Any) -> dict[str, Any]:
        """Sign, send, check the answer's signature, raise on failure; the answer's fields."""
        req = {k: v for k, v in params.items() if v is not None and v != ""}
        req.update(mch_id=self.mch_id, nonce_str=paysign.nonce(), timestamp=str(int(self.clock.now().timestamp())))
        body = json.dumps(paysign.signed(req, self._key), ensure_ascii=False).encode("utf-8")
        try:
            status, raw = self._transport(f"{self.base_url}/{path}", body, self.timeout)
        except TimeoutError:
            raise PaymentUnavailable(f"支付平台在{self.timeout:g}秒内没有应答，支付结果待查询", sent=True) from None
        except ConnectionError:
            raise PaymentUnavailable("无法连接支付平台，请检查网络", sent=False) from None
        try:
            out = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            out = None
        if not isinstance(out, dict):
            raise PaymentUnavailable(f"支付平台应答无法识别（HTTP {status}）", code="E5702")
        if "sign" not in out:
            # an unsigned answer is only ever believed as a failure (a forged one can do no harm)
            code, message = str(out.get("err_code") or "E5702"), str(out.get("err_code_des") or "支付平台应答无法识别")
            if status == 503 or code == "E3706":
                raise PaymentUnavailable(message, code=code, sent=False)
            if out.get("return_code") != "FAIL":
                raise PaymentUnavailable("支付平台应答没有签名，结果不可信", code="E5703")
            raise PaymentError(message, code=code)
        try:
            paysign.verify(out, self._key)
        except paysign.PaySignatureError:
            raise PaymentUnavailable("支付平台应答签名验证失败，结果不可信", code="E5703") from None
        if out.get("return_code") != "SUCCESS" or out.get("result_code") != "SUCCESS":
            raise PaymentError(str(out.get("err_code_des") or out.get("return_msg") or "支付平台处理失败"),
                               code=str(out.get("err_code") or "E5700"))
        return out

    def _http(self, url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        try:
            resp = session.post(url, data=body, timeout=timeout, headers={"Content-Type": "application/json"})
        except requests.ConnectTimeout:
            raise ConnectionError(url) from None
        except requests.Timeout:
            raise TimeoutError(url) from None
        except requests.ConnectionError:
            raise ConnectionError(url) from None
        return resp.status_code, resp.content

    def close_http(self) -> None:
        """Close this thread's HTTP session (the client stays usable)."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None


def _order(a: Mapping[str, Any]) -> OrderStatus:
    return OrderStatus(
        str(a["out_trade_no"]), str(a["trade_state"]), str(a.get("trade_state_desc", "")), str(a.get("trade_type", "")),
        int(a["total_fee"]), int(a.get("refund_fee", 0)), str(a.get("channel", "")), str(a.get("pay_channel", "")),
        str(a.get("transaction_id", "")), str(a.get("time_end", "")), str(a.get("code_url", "")),
        str(a.get("time_expire", "")), str(a.get("pay_err_code", "")), str(a.get("pay_err_msg", "")))


def _refund(a: Mapping[str, Any]) -> RefundStatus:
    return RefundStatus(
        str(a["out_trade_no"]), str(a["out_refund_no"]), str(a["refund_id"]), int(a["refund_fee"]),
        int(a["total_fee"]), str(a["refund_status"]), str(a.get("channel", "")), int(a.get("refunded_total", 0)),
        str(a.get("refund_success_time", "")), str(a.get("refund_reason", "")))
