"""Personal data sealed with SM4 inside the server's JSON columns (issue 14).

The ID number, phone, insurance ID, diagnosis code and contact of a payer (:data:`SEALED_KEYS`)
(and card number) are stored encrypted wherever a request or payload is kept as JSON text (``bills.request_json``,
``batches.request_json``, ``outbox.payload_json``): the column type :class:`SealedJson` replaces
each such value's JSON token by ``"sm4:<base64(iv ‖ SM4-CBC(token))>"`` on the way in and puts the
original token back on the way out, so every reader and writer of those columns is unchanged and
a number stays a number. The rest of the JSON stays searchable and readable for support.
``bills.card_no`` is sealed whole (:class:`SealedText`).

The key (16 bytes) is outside the database: ``SYNC_DATA_KEY`` (32 hex digits) or the 0600 file
``<data dir>/keys/data.key``, made on first start (:func:`load_or_create_key`). It belongs to
one engine (:func:`attach`, looked up through the engine's dialect, so two servers in one test
process keep their own keys); an engine without a key stores and reads clear text, and a
sealed value read without the right key stays sealed (never a wrong clear value).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from billing_core.crypto import sm3_digest, sm3_hex, sm4_decrypt_cbc, sm4_encrypt_cbc
from billing_core.crypto.errors import CryptoError
from sync_server.store.files import private_file, secure_data_dir, write_private

#: JSON keys whose values identify a patient or describe their illness.
SEALED_KEYS = ("idCardNo", "tel", "medicalInsuranceID", "ICD", "noticeValue", "cardNo",
               # the insurance platform's personal fields (issue 16 §3: ins_settlements, ins_transactions)
               "certno", "mdtrt_cert_no", "card_sn", "psn_name", "brdy", "dise_codg")
PREFIX = "sm4:"
_TOKEN = r'"(?:[^"\\]|\\.)*"|-?\d[\d.eE+\-]*'
_FIND = re.compile(r'("(?:' + "|".join(SEALED_KEYS) + r')"\s*:\s*)(' + _TOKEN + ")")
_SEALED = re.compile(r'"' + PREFIX + r'([A-Za-z0-9+/=]+)"')

_keys: weakref.WeakKeyDictionary[Dialect, Sealer] = weakref.WeakKeyDictionary()


class DataKeyError(ValueError):
    """The data key is malformed, or not the key the database was sealed with."""


class Sealer:
    """SM4-CBC sealing of JSON tokens with one key (a fresh random IV per value)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 16:
            raise DataKeyError("数据密钥须为 16 字节（32 位十六进制）")
        self.key = key
        #: shown in settings to detect a start with another key (never the key itself)
        self.check = hmac_sm3(key, b"sync-server data key check")[:32]

    def seal_json(self, text: str) -> str:
        """``text`` with the value of every sealed key replaced by its sealed token."""
        def one(m: re.Match[str]) -> str:
            if m.group(2).startswith('"' + PREFIX):
                return m.group(0)  # sealed already
            iv = secrets.token_bytes(16)
            body = sm4_encrypt_cbc(self.key, iv, m.group(2).encode("utf-8"))
            return f'{m.group(1)}"{PREFIX}{base64.b64encode(iv + body).decode("ascii")}"'
        return _FIND.sub(one, text)

    def open_json(self, text: str) -> str:
        """``text`` with every sealed token opened (tokens of another key stay sealed)."""
        if PREFIX not in text:
            return text

        def one(m: re.Match[str]) -> str:
            try:
                raw = base64.b64decode(m.group(1), validate=True)
                return sm4_decrypt_cbc(self.key, raw[:16], raw[16:]).decode("utf-8")
            except (CryptoError, binascii.Error, UnicodeError, ValueError):
                return m.group(0)
        return _SEALED.sub(one, text)

    def seal_value(self, value: str) -> str:
        """One text value sealed (``sm4:<base64(iv ‖ SM4-CBC(UTF-8))>``)."""
        if value.startswith(PREFIX):
            return value
        iv = secrets.token_bytes(16)
        body = sm4_encrypt_cbc(self.key, iv, value.encode("utf-8"))
        return PREFIX + base64.b64encode(iv + body).decode("ascii")

    def open_value(self, value: str) -> str:
        """A value sealed by :meth:`seal_value` opened (anything else, or another key's, as is)."""
        if not value.startswith(PREFIX):
            return value
        try:
            raw = base64.b64decode(value[len(PREFIX):], validate=True)
            return sm4_decrypt_cbc(self.key, raw[:16], raw[16:]).decode("utf-8")
        except (CryptoError, binascii.Error, UnicodeError, ValueError):
            return value

    def blind_index(self, value: str) -> str:
        """A keyed SM3 digest of a personal number, for exact lookups without decrypting."""
        return hmac_sm3(self.key, b"blind|" + value.strip().upper().encode("utf-8"))


_IPAD = int.from_bytes(b"\x36" * 64, "big")
_OPAD = int.from_bytes(b"\x5c" * 64, "big")


def hmac_sm3(key: bytes, message: bytes) -> str:
    """HMAC-SM3 (RFC 2104 over SM3, 64-byte blocks) as 64 hex digits."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else sm3_digest(key).ljust(64, b"\0")
    # the pads XORed as one integer: a per-byte generator cost ~20 µs a pad (on every bill insert)
    k = int.from_bytes(block, "big")
    inner = sm3_digest((k ^ _IPAD).to_bytes(64, "big") + message)
    return sm3_hex((k ^ _OPAD).to_bytes(64, "big") + inner)


def attach(engine: Engine, sealer: Sealer) -> None:
    """Seal this engine's JSON columns with ``sealer`` from now on."""
    _keys[engine.dialect] = sealer


def sealer_for(dialect: Dialect) -> Sealer | None:
    """The sealer of the engine owning ``dialect`` (None: clear text)."""
    return _keys.get(dialect)


class SealedJson(TypeDecorator[str]):
    """JSON text whose personal values are stored sealed (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Seal before the value reaches the database."""
        sealer = _keys.get(dialect)
        return sealer.seal_json(value) if sealer is not None and isinstance(value, str) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Open what the database returned."""
        sealer = _keys.get(dialect)
        return sealer.open_json(value) if sealer is not None and isinstance(value, str) else value


class SealedText(TypeDecorator[str]):
    """A short personal value (a card number) stored sealed whole; 120 characters hold a sealed
    value of up to 47 bytes."""

    impl = String(120)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Seal before the value reaches the database."""
        sealer = _keys.get(dialect)
        return sealer.seal_value(value) if sealer is not None and isinstance(value, str) and value else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Open what the database returned."""
        sealer = _keys.get(dialect)
        return sealer.open_value(value) if sealer is not None and isinstance(value, str) else value


def load_or_create_key(data_dir: Path, env: dict[str, str] | None = None) -> Sealer:
    """The data key: ``SYNC_DATA_KEY`` (hex), else ``<data dir>/keys/data.key`` (0600), created
    with a random key on first start."""
    env = dict(os.environ if env is None else env)
    text = env.get("SYNC_DATA_KEY", "").strip()
    if not text:
        path = Path(data_dir) / "keys" / "data.key"
        if path.exists():
            private_file(path)
            text = path.read_text(encoding="utf-8").strip()
        else:
            secure_data_dir(path.parent)
            text = secrets.token_hex(16)
            write_private(path, text + "\n")
    try:
        return Sealer(bytes.fromhex(text))
    except ValueError as err:
        raise DataKeyError(f"数据密钥格式错误：{err}") from None
