"""The signed JSON protocol: check a request (merchant, signature, timestamp window, nonce),
run the operation in one transaction, and sign the answer (docs/PAYMENT.md).

Answers follow WeChat Pay v2's two levels: ``return_code`` says whether the request was accepted
(merchant known, signature and timestamp good), ``result_code`` whether the operation succeeded;
a failure at either level carries ``err_code`` (``E37xx``) and a Chinese ``err_code_des``. Every
answer to a known merchant is signed with its key, except three refusals that are unsigned: a
request naming no known merchant, a request whose signature fails (the caller's key may be the
wrong one), and any request while the platform is down. A client accepts unsigned answers only
as failures.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from billing_core import paysign
from billing_core.paysign import PaySignatureError
from simulators.payment import errors, faces, orders, refunds, statement
from simulators.payment.errors import PayError
from simulators.payment.platform import Platform

log = logging.getLogger(__name__)

Op = Callable[[Platform, sqlite3.Connection, sqlite3.Row, dict[str, Any], str], "tuple[dict[str, Any], float]"]


def _image(req: dict[str, Any], name: str = "face_image") -> bytes:
    value = req.get(name)
    if not isinstance(value, str) or not value:
        raise PayError(errors.FACE_IMAGE, f"缺少人脸图像{name}（base64编码的JPEG或PNG）")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PayError(errors.FACE_IMAGE, f"人脸图像{name}不是有效的base64") from None


OPS: dict[str, Op] = {
    "unifiedorder": lambda p, db, m, r, base: orders.unified_order(p, db, m["mch_id"], r, base),
    "micropay": lambda p, db, m, r, base: orders.micropay(p, db, m["mch_id"], r),
    "orderquery": lambda p, db, m, r, base: (orders.query(p, db, m["mch_id"], r), 0.0),
    "closeorder": lambda p, db, m, r, base: (orders.close(p, db, m["mch_id"], r), 0.0),
    "reverse": lambda p, db, m, r, base: (orders.reverse(p, db, m["mch_id"], r), 0.0),
    "refund": lambda p, db, m, r, base: (refunds.refund(p, db, m["mch_id"], r), 0.0),
    "refundquery": lambda p, db, m, r, base: (refunds.refund_query(p, db, m["mch_id"], r), 0.0),
    "downloadbill": lambda p, db, m, r, base: (statement.statement(p, db, m, r), 0.0),
    "faceverify": lambda p, db, m, r, base: (faces.verify(p, db, r, _image(r)), 0.0),
}


def _unsigned(code: str, message: str) -> dict[str, Any]:
    return {"return_code": "FAIL", "return_msg": message, "err_code": code, "err_code_des": message}


def answer(p: Platform, op: str, body: bytes, base_url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, answer) of one API call."""
    if p.is_down():
        return 503, _unsigned(errors.DOWN, "支付平台暂停服务（系统维护），请稍后再试")
    try:
        req = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        req = None
    if not isinstance(req, dict):
        return 400, _unsigned(errors.NOT_JSON, "请求报文必须是UTF-8编码的JSON对象")
    mch_id = req.get("mch_id")
    merchant = p.store.merchant(mch_id) if isinstance(mch_id, str) else None
    if merchant is None:
        return 200, _unsigned(errors.UNKNOWN_MERCHANT, f"商户号mch_id未登记：{mch_id}")
    head: dict[str, Any] = {"return_code": "SUCCESS", "return_msg": "OK"}
    hang = 0.0
    try:
        _check(p, merchant, req)
        fn = OPS.get(op)
        if fn is None:
            raise PayError(errors.UNKNOWN_OPERATION, f"不支持的接口：{op}")
        with p.store.tx() as db:
            result, hang = fn(p, db, merchant, req, base_url)
        out = {**head, "result_code": "SUCCESS", **result}
    except PaySignatureError as exc:
        # unsigned, as WeChat does: a caller with a wrong key could not check a signed answer anyway
        return 200, _unsigned(exc.code, exc.message)
    except PayError as exc:
        level = ({"return_code": "FAIL", "return_msg": exc.message}
                 if exc.code in (errors.TIMESTAMP_SKEW, errors.NONCE_REUSED, errors.UNKNOWN_OPERATION) else
                 {**head, "result_code": "FAIL"})
        out = {**level, "err_code": exc.code, "err_code_des": exc.message}
    except Exception:  # never a stack trace to the caller
        log.exception("payment simulator: %s failed", op)
        out = {**head, "result_code": "FAIL", "err_code": errors.INTERNAL, "err_code_des": "支付平台内部错误"}
    if hang:
        # the order is committed; the answer is held past the client's timeout (a `timeout` plan)
        p.hang(hang)
    out.update(mch_id=merchant["mch_id"], nonce_str=paysign.nonce(), timestamp=str(int(p.now())))
    return 200, paysign.signed(out, merchant["key"])


def _check(p: Platform, merchant: sqlite3.Row, req: dict[str, Any]) -> None:
    """Signature first (nothing else is trusted before it), then the time window and the nonce."""
    paysign.verify(req, merchant["key"])
    stamp = req.get("timestamp")
    if not isinstance(stamp, str) or not stamp.isdigit():
        raise PayError(errors.TIMESTAMP_SKEW, "参数timestamp必须是Unix时间戳（秒）")
    now = p.now()
    if abs(int(stamp) - now) > paysign.SKEW_SECONDS:
        raise PayError(errors.TIMESTAMP_SKEW, f"请求时间戳timestamp与平台时间相差超过{paysign.SKEW_SECONDS}秒，"
                       "请校准终端时间")
    nonce = req.get("nonce_str")
    if not isinstance(nonce, str) or not 8 <= len(nonce) <= 32:
        raise PayError(errors.PARAM, "参数nonce_str必须是8到32位随机字符串")
    with p.store.tx() as db:
        db.execute("DELETE FROM nonces WHERE seen_at < ?", (now - 2 * paysign.SKEW_SECONDS,))
        try:
            db.execute("INSERT INTO nonces VALUES (?, ?, ?)", (merchant["mch_id"], nonce, now))
        except sqlite3.IntegrityError:
            raise PayError(errors.NONCE_REUSED, "随机串nonce_str已使用过（疑似重放请求），请求被拒绝") from None
