"""The finance platform's wire envelope (spec §1.2-1.4), for requests and responses.

Request: ``{"appid", "data", "noise", "version", "sign"}``, every value a string; ``data`` is
base64 (standard alphabet, padded, no line breaks) of the UTF-8 JSON business object; ``sign``
is the upper-case MD5 of ``appid=..&data=..&noise=..&key=..&version=..`` — a fixed order with
the secret key inserted *before* version, not an alphabetical sort.

Response: ``{"data", "noise", "sign"}`` where ``data`` is base64 of
``{"result": "S0000" | "EXXXX", "message": base64(...)}`` and the sign uses the same rule with
the caller's appid and version "1.0" (how real clients verify it, spec §1.4). ``message`` is
always base64: of the method's JSON object, of a success text such as ``成功``, or of the
Chinese error text.

Signatures are computed over the base64 text exactly as received, never over a re-encoding,
and compared in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_core.errors import EnvelopeError, PlatformError, SignatureError

VERSION = "1.0"
SUCCESS = "S0000"
REQUEST_KEYS = ("appid", "data", "noise", "version", "sign")
RESPONSE_KEYS = ("data", "noise", "sign")


class UnknownCallerError(EnvelopeError):
    """The appid is not a registered caller."""

    code = "E2003"
    default_message = "调用方（appid）未注册"


def sign(appid: str, data_b64: str, noise: str, key: str, version: str = VERSION) -> str:
    """The platform's MD5 signature: upper-case hex over the fixed-order plain text (§1.3)."""
    plain = f"appid={appid}&data={data_b64}&noise={noise}&key={key}&version={version}"
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Amounts travel as numeric strings ("12.50"), which every platform version accepts
        # (spec §2); a float would lose the trailing zero and risk binary rounding.
        return f"{value:f}"
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: object) -> str:
    """Compact UTF-8 JSON (Chinese kept as is), Decimals as numeric strings."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def loads(text: str | bytes) -> Any:
    """JSON with every non-integer number parsed as Decimal, never float."""
    return json.loads(text, parse_float=Decimal)


def b64encode_text(text: str) -> str:
    """Base64 of the UTF-8 bytes of ``text``."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def b64decode_text(value: str, what: str = "data") -> str:
    """Strict base64 -> UTF-8 text; raises EnvelopeError naming the field."""
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise EnvelopeError(f"{what}不是有效的Base64编码的UTF-8文本") from None


@dataclass(frozen=True, slots=True)
class Request:
    """A decoded, verified request envelope."""

    appid: str
    data: Any
    noise: str
    data_b64: str


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded, verified response: ``result`` and the decoded ``message``."""

    result: str
    message: Any  # dict/list for JSON payloads, str for plain texts

    @property
    def ok(self) -> bool:
        return self.result == SUCCESS

    def payload(self) -> Any:
        """The success payload; raises PlatformError carrying the failure code and text."""
        if not self.ok:
            raise PlatformError(self.result, str(self.message))
        return self.message


def encode_request(
    appid: str, key: str, data: Mapping[str, Any] | str, *, noise: str, version: str = VERSION
) -> dict[str, str]:
    """Build a signed request envelope for ``data`` (a business object or its JSON text)."""
    text = data if isinstance(data, str) else dumps(data)
    data_b64 = b64encode_text(text)
    return {"appid": appid, "data": data_b64, "noise": noise, "version": version,
            "sign": sign(appid, data_b64, noise, key, version)}


def parse_envelope(body: bytes | str | Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    """Parse raw body text into an envelope dict whose ``keys`` are all strings."""
    if isinstance(body, bytes | str):
        try:
            obj = json.loads(body)
        except (ValueError, UnicodeError):
            raise EnvelopeError("报文不是有效的JSON") from None
    else:
        obj = dict(body)
    if not isinstance(obj, dict):
        raise EnvelopeError("报文必须是JSON对象")
    missing = [k for k in keys if k not in obj]
    if missing:
        raise EnvelopeError(f"报文缺少字段：{'、'.join(missing)}")
    bad = [k for k in keys if not isinstance(obj[k], str)]
    if bad:
        raise EnvelopeError(f"报文字段必须是字符串：{'、'.join(bad)}")
    return {k: obj[k] for k in keys}


def decode_request(
    body: bytes | str | Mapping[str, Any], key_for: Callable[[str], str | None]
) -> Request:
    """Parse, verify and decode a request envelope.

    :param key_for: returns the secret key of an appid, or None for an unknown caller.
    :raises EnvelopeError: malformed envelope or data; :raises UnknownCallerError: unknown
        appid; :raises SignatureError: signature mismatch (checked before ``data`` is decoded).
    """
    env = parse_envelope(body, REQUEST_KEYS)
    if env["version"] != VERSION:
        raise EnvelopeError(f"不支持的报文版本：{env['version']}")
    key = key_for(env["appid"])
    if key is None:
        raise UnknownCallerError(f"调用方（appid）未注册：{env['appid']}")
    expected = sign(env["appid"], env["data"], env["noise"], key, env["version"])
    if not hmac.compare_digest(expected.encode(), env["sign"].encode()):
        raise SignatureError()
    text = b64decode_text(env["data"])
    try:
        data = loads(text)
    except ValueError:
        raise EnvelopeError("data解码后不是有效的JSON") from None
    if not isinstance(data, dict):
        raise EnvelopeError("data必须是JSON对象")
    return Request(env["appid"], data, env["noise"], env["data"])


def encode_response(
    appid: str, key: str, result: str, message: Any, *, noise: str
) -> dict[str, str]:
    """Build a signed response envelope. ``message``: dict/list (JSON payload) or text."""
    text = message if isinstance(message, str) else dumps(message)
    inner = dumps({"result": result, "message": b64encode_text(text)})
    data_b64 = b64encode_text(inner)
    return {"data": data_b64, "noise": noise, "sign": sign(appid, data_b64, noise, key)}


def decode_response(body: bytes | str | Mapping[str, Any], appid: str, key: str) -> Response:
    """Parse, verify and decode a response envelope (signed with the caller's appid/key)."""
    env = parse_envelope(body, RESPONSE_KEYS)
    expected = sign(appid, env["data"], env["noise"], key)
    if not hmac.compare_digest(expected.encode(), env["sign"].encode()):
        raise SignatureError("应答签名验证失败")
    try:
        inner = json.loads(b64decode_text(env["data"]))
    except ValueError:
        raise EnvelopeError("应答data不是有效的JSON") from None
    if not isinstance(inner, dict) or not isinstance(inner.get("result"), str):
        raise EnvelopeError("应答缺少result")
    message_b64 = inner.get("message", "")
    if not isinstance(message_b64, str):
        raise EnvelopeError("应答message必须是Base64字符串")
    text = b64decode_text(message_b64, "message") if message_b64 else ""
    message: Any = text
    if text[:1] in ("{", "["):
        try:
            message = loads(text)
        except ValueError:
            message = text
    return Response(inner["result"], message)
