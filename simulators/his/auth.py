"""Caller authentication (docs/HIS_ADAPTER.md §2).

Every call carries four headers: ``X-His-Appid``, ``X-His-Timestamp`` (milliseconds since the
Unix epoch), ``X-His-Nonce`` (8-64 characters of ``[A-Za-z0-9_-]``, new for every call) and
``X-His-Signature``: lower-case hex HMAC-SHA256 with the caller's key over::

    timestamp + "\\n" + nonce + "\\n" + body bytes

The timestamp must lie within ``clockSkewSeconds`` (default 300) of the HIS clock; a nonce seen
from the same caller inside twice that window is a replay and refused. The answer carries
``X-His-Signature`` computed the same way over the request's timestamp and nonce and the answer
body, so a caller can tell a genuine answer to *its* request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

from simulators.his import errors as e
from simulators.his.errors import HisError

APPID = "X-His-Appid"
TIMESTAMP = "X-His-Timestamp"
NONCE = "X-His-Nonce"
SIGNATURE = "X-His-Signature"
HEADERS = (APPID, TIMESTAMP, NONCE, SIGNATURE)
_NONCE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def signature(key: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Lower-case hex HMAC-SHA256 over ``timestamp\\nnonce\\nbody``."""
    return hmac.new(key.encode("utf-8"), f"{timestamp}\n{nonce}\n".encode() + body, hashlib.sha256).hexdigest()


def verify(headers: Mapping[str, Any], body: bytes, keys: Mapping[str, str], now_ms: int, skew_s: int,
           db: sqlite3.Connection) -> tuple[str, str, str]:
    """Check one call; returns (appid, timestamp, nonce) or raises HisError (E3502-E3506).

    The nonce is recorded in ``db`` (the caller's transaction) so a replay is refused even after
    a restart.
    """
    appid, ts, nonce, sig = (headers.get(h, "").strip() for h in (APPID, TIMESTAMP, NONCE, SIGNATURE))
    missing = [h for h, v in ((APPID, appid), (TIMESTAMP, ts), (NONCE, nonce), (SIGNATURE, sig)) if not v]
    if missing:
        raise HisError(e.AUTH_MISSING, f"缺少认证信息：{'、'.join(missing)}")
    key = keys.get(appid)
    if key is None:
        raise HisError(e.UNKNOWN_APPID, f"调用方（appid）未注册：{appid[:32]}")
    if not ts.isdigit() or not _NONCE.match(nonce):
        raise HisError(e.AUTH_MISSING, f"{TIMESTAMP}应为毫秒时间戳，{NONCE}应为8-64位字母、数字、下划线或短横线")
    if not hmac.compare_digest(signature(key, ts, nonce, body), sig.lower()):
        raise HisError(e.BAD_SIGNATURE, "签名验证失败")
    if abs(now_ms - int(ts)) > skew_s * 1000:
        raise HisError(e.CLOCK_SKEW, f"请求时间戳与HIS时间相差超过{skew_s}秒，请校准时钟")
    db.execute("DELETE FROM nonces WHERE ts < ?", (now_ms - 2 * skew_s * 1000,))
    try:
        db.execute("INSERT INTO nonces (appid, nonce, ts) VALUES (?, ?, ?)", (appid, nonce, int(ts)))
    except sqlite3.IntegrityError:
        raise HisError(e.NONCE_REUSED, "请求随机串（nonce）重复，疑似重放请求") from None
    return appid, ts, nonce
