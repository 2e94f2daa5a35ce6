"""The insurance platform's optional encrypted modes (spec §4), over billing_core.crypto.

* :class:`EnvelopeCipher` — §4.4, the SM4 + SM2 envelope: a fresh SM4 key per request encrypts the
  ``input`` JSON (``input`` becomes uppercase hex of SM4-ECB-PKCS7), the key travels SM2-encrypted
  with the platform's public key in ``cainfo`` (hex, C1C3C2). The answer's ``output`` is encrypted
  the same way with a key SM2-encrypted to the hospital's public key in the answer's ``cainfo``.
  The spec has this from one (commented-out) client only, so the text encodings are our choice,
  stated here and in docs/INSURANCE.md.
* §4.5, the NHSA application-level scheme (appId / appSecret): :func:`app_data_key`,
  :func:`app_encrypt`, :func:`app_decrypt`, :func:`app_sign_text`, :func:`app_sign`,
  :func:`app_verify` — the key derivation, sign text and SM3withSM2 signature exactly as §4.5
  describes, the SM2 user id configurable (the sources disagree: appSecret bytes or the default).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from typing import Any

from billing_core.crypto import (
    DEFAULT_USER_ID,
    sm2_decrypt,
    sm2_encrypt,
    sm2_sign,
    sm2_verify,
    sm4_decrypt_ecb,
    sm4_encrypt_ecb,
)
from billing_core.crypto.errors import CryptoError
from sync_server.connectors.insurance_errors import InsuranceBadResponse


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class EnvelopeCipher:
    """§4.4 SM4 + SM2 envelope for one hospital.

    :param platform_public_key: hex of the platform's SM2 public key (encrypts our SM4 keys).
    :param hospital_private_key: hex of our SM2 private key (opens the answer's SM4 key).
    """

    signtype = "SM2"

    def __init__(self, platform_public_key: str, hospital_private_key: str) -> None:
        self._platform = platform_public_key
        self._ours = hospital_private_key

    def seal_input(self, input_: Mapping[str, Any]) -> tuple[str, str]:
        """(encrypted input text, cainfo) of one request."""
        key = secrets.token_bytes(16)
        body = sm4_encrypt_ecb(key, _dumps(dict(input_)).encode("utf-8")).hex().upper()
        return body, sm2_encrypt(self._platform, key).hex()

    def open_output(self, output: Any, cainfo: str, infno: str = "") -> Any:
        """The answer's output in clear (an object output is returned as it is: a plain answer,
        e.g. a gateway failure or an infcode -1 without output).

        :raises InsuranceBadResponse: the output or its key cannot be decrypted.
        """
        if not isinstance(output, str):
            return output
        try:
            key = sm2_decrypt(self._ours, bytes.fromhex(cainfo))
            return json.loads(sm4_decrypt_ecb(key, bytes.fromhex(output)).decode("utf-8"))
        except (CryptoError, ValueError, UnicodeDecodeError):
            raise InsuranceBadResponse(f"医保平台应答无法解密：{infno}", method=infno) from None


# ----------------------------------------------------------------------------- §4.5 app scheme

def app_data_key(app_id: str, app_secret: str) -> bytes:
    """k1 = SM4-ECB-PKCS7(UTF8(appId[0:16]), UTF8(appSecret)); the data key is the UTF-8 of the
    first 16 characters of uppercase hex(k1)."""
    k1 = sm4_encrypt_ecb(app_id[:16].encode("utf-8"), app_secret.encode("utf-8"))
    return k1.hex().upper()[:16].encode("utf-8")


def app_encrypt(app_id: str, app_secret: str, plain: Any) -> str:
    """encData: uppercase hex of SM4-ECB-PKCS7(data key, UTF8(JSON))."""
    text = plain if isinstance(plain, str) else _dumps(plain)
    return sm4_encrypt_ecb(app_data_key(app_id, app_secret), text.encode("utf-8")).hex().upper()


def app_decrypt(app_id: str, app_secret: str, enc_data: str) -> Any:
    """The JSON value of an encData."""
    return json.loads(sm4_decrypt_ecb(app_data_key(app_id, app_secret), bytes.fromhex(enc_data)).decode("utf-8"))


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(value)


def app_sign_text(params: Mapping[str, Any], app_secret: str, *, case_insensitive: bool = True) -> str:
    """The sign text: every top-level parameter but ``signData``, ``encData`` and ``extra``, null
    or empty values dropped, sorted by key (case-insensitively as the Java/C# SDKs do, or by the
    default order as the JS portal), ``k=v`` joined by ``&``, then ``&key=<appSecret>``."""
    items = [(k, v) for k, v in params.items()
             if k not in ("signData", "encData", "extra") and v is not None and v != ""]
    items.sort(key=(lambda kv: (kv[0].lower(), kv[0])) if case_insensitive else (lambda kv: (kv[0], kv[0])))
    return "&".join(f"{k}={_value_text(v)}" for k, v in items) + f"&key={app_secret}"


def app_user_id(app_secret: str, use_secret: bool) -> bytes:
    """The SM2 user id: appSecret bytes (Java SDK) or the default 1234567812345678 (C#, JS)."""
    return app_secret.encode("utf-8") if use_secret else DEFAULT_USER_ID


def app_sign(private_key_b64: str, params: Mapping[str, Any], app_secret: str, *,
             user_id_is_secret: bool = False) -> str:
    """signData: Base64 of the raw 64-byte r‖s SM3withSM2 signature of the sign text.

    :param private_key_b64: Base64 of the raw 32-byte private scalar d (the SDKs' format).
    """
    d = base64.b64decode(private_key_b64).hex()
    sig = sm2_sign(d, app_sign_text(params, app_secret).encode("utf-8"),
                   user_id=app_user_id(app_secret, user_id_is_secret))
    return base64.b64encode(sig).decode("ascii")


def app_verify(public_key_b64: str, params: Mapping[str, Any], app_secret: str, sign_data: str, *,
               user_id_is_secret: bool = False) -> bool:
    """True when ``sign_data`` signs ``params`` (public key: Base64 of 04‖X‖Y)."""
    try:
        sig = base64.b64decode(sign_data)
    except ValueError:
        return False
    return sm2_verify(base64.b64decode(public_key_b64).hex(), app_sign_text(params, app_secret).encode("utf-8"),
                      sig, user_id=app_user_id(app_secret, user_id_is_secret))
