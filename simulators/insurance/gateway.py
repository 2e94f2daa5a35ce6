"""The Rio/TIF gateway in front of the platform (spec §1.2): ``x-tif-*`` headers, SHA-256
signature over timestamp + passToken + nonce + timestamp (the body is not signed), clock skew.

A rejection never reaches the platform, so it is not an envelope: HTTP 500 with
``{"code": 400001, "msg": "鉴权失败…"}`` (the Rio filter), or with the knob
``gateway_format = "wrapped"`` the ``{code, type, message, data}`` body some proxies send.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from collections.abc import Mapping
from typing import Any

AUTH_FAILED = 400001
HEADERS = ("x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature")
#: Seconds a gateway timestamp may differ from the gateway's clock (spec: 180 in the Rio filter).
DEFAULT_SKEW = 180


def signature(timestamp: str, pass_token: str, nonce: str) -> str:
    """The x-tif-signature a client sends (lowercase hex; the gateway ignores case)."""
    return hashlib.sha256((timestamp + pass_token + nonce + timestamp).encode("utf-8")).hexdigest()


class GatewayRejection(Exception):
    """The gateway refused the request (never reached the platform)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def body(self, wrapped: bool) -> dict[str, Any]:
        """The gateway's answer body."""
        msg = f"鉴权失败：{self.reason}"
        if wrapped:
            return {"code": AUTH_FAILED, "type": "error", "message": msg, "data": None}
        return {"code": AUTH_FAILED, "msg": msg}


def check(db: sqlite3.Connection, headers: Mapping[str, str], now: float, skew: int,
          reject_replay: bool) -> sqlite3.Row:
    """The institution row of a correctly signed request (looked up by paasid), or GatewayRejection."""
    values = {h: (headers.get(h) or "").strip() for h in HEADERS}
    missing = [h for h, v in values.items() if not v]
    if missing:
        raise GatewayRejection(f"缺少请求头{', '.join(missing)}")
    ts = values["x-tif-timestamp"]
    if not ts.isdigit():
        raise GatewayRejection("x-tif-timestamp必须是Unix时间（秒）")
    if abs(int(ts) - now) > skew:
        raise GatewayRejection(f"x-tif-timestamp与网关时间相差超过{skew}秒")
    inst = db.execute("SELECT * FROM institutions WHERE paasid = ?", (values["x-tif-paasid"],)).fetchone()
    if inst is None:
        raise GatewayRejection("x-tif-paasid未注册")
    expected = signature(ts, inst["pass_token"], values["x-tif-nonce"])
    if not hmac.compare_digest(expected, values["x-tif-signature"].lower()):
        raise GatewayRejection("x-tif-signature签名不正确")
    if reject_replay:
        nonce = values["x-tif-nonce"]
        if db.execute("SELECT 1 FROM nonces WHERE paasid = ? AND nonce = ?",
                      (inst["paasid"], nonce)).fetchone():
            raise GatewayRejection("x-tif-nonce已使用（重放）")
        db.execute("DELETE FROM nonces WHERE seen < ?", (now - 2 * skew,))
        db.execute("INSERT INTO nonces VALUES (?, ?, ?)", (inst["paasid"], nonce, now))
    row: sqlite3.Row = inst
    return row
