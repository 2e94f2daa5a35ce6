"""Signing of the unified payment platform's messages (docs/PAYMENT.md, "Signing").

The scheme is the one Chinese payment platforms share (WeChat Pay v2 with ``sign_type=HMAC-SHA256``,
most hospitals' unified payment platforms in front of it):

1. take every parameter except ``sign`` whose value is not empty (``None`` or ``""``);
2. sort them by name (byte order of the ASCII names);
3. join them as ``name=value`` with ``&`` and append ``&key=KEY``;
4. HMAC-SHA256 of that UTF-8 string with ``KEY`` as the HMAC key, upper-case hex.

Values are written as text: integers in decimal, booleans ``true``/``false``, and a nested list or
object as its compact JSON with sorted keys (the way Alipay signs ``biz_content``), so an answer
carrying a list of refunds is covered by its signature too. Requests and answers are signed alike.
Pure functions: the platform simulator and the terminal's client both use them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from billing_core.errors import BillingError

#: The only sign type spoken (MD5, the older WeChat default, is refused: docs/PAYMENT.md).
SIGN_TYPE = "HMAC-SHA256"
#: Seconds a request's ``timestamp`` may differ from the platform's clock.
SKEW_SECONDS = 300


class PaySignatureError(BillingError):
    """A payment message's signature is missing or does not match its content."""

    code = "E3702"
    default_message = "支付平台报文签名验证失败"


def value_text(value: Any) -> str:
    """The text a parameter value is signed as (see the module docstring)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return str(value)


def sign_string(params: Mapping[str, Any], key: str) -> str:
    """The string that is signed: sorted non-empty ``k=v`` joined by ``&``, then ``&key=KEY``."""
    parts = [f"{k}={value_text(v)}" for k, v in sorted(params.items())
             if k != "sign" and v is not None and v != ""]
    return "&".join(parts) + f"&key={key}"


def sign(params: Mapping[str, Any], key: str) -> str:
    """HMAC-SHA256 (upper-case hex) of :func:`sign_string`."""
    data = sign_string(params, key).encode("utf-8")
    return hmac.new(key.encode("utf-8"), data, hashlib.sha256).hexdigest().upper()


def signed(params: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A copy of ``params`` with its ``sign`` added (``sign_type`` set when absent)."""
    out = dict(params)
    out.setdefault("sign_type", SIGN_TYPE)
    out["sign"] = sign(out, key)
    return out


def verify(params: Mapping[str, Any], key: str) -> None:
    """Check a message's ``sign``; raises :class:`PaySignatureError` (E3702) when it does not match."""
    given = params.get("sign")
    if not isinstance(given, str) or not given:
        raise PaySignatureError("报文缺少签名sign")
    if params.get("sign_type", SIGN_TYPE) != SIGN_TYPE:
        raise PaySignatureError(f"签名类型sign_type必须是{SIGN_TYPE}")
    if not hmac.compare_digest(given.upper(), sign(params, key)):
        raise PaySignatureError()


def nonce() -> str:
    """A 32-character random ``nonce_str``."""
    return secrets.token_hex(16)
