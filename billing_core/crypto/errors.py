"""Crypto error types. All are :class:`billing_core.errors.CryptoError` (E9101) subclasses with their
own code from E9102-E9199, each listed in the "billing_core: crypto" section of docs/ERRORS.md."""

from __future__ import annotations

from billing_core.errors import CryptoError as CryptoError  # re-exported: the base of every class here


class BackendUnavailableError(CryptoError):
    """The requested SM2 backend is unknown or its library is not installed."""

    code = "E9102"
    default_message = "国密算法实现不可用"


class KeyFormatError(CryptoError):
    """A key could not be parsed or is not a valid SM2 key (bad hex/PEM, out of range, off the curve)."""

    code = "E9103"
    default_message = "SM2密钥格式错误"


class DecryptionError(CryptoError):
    """A ciphertext is malformed or fails its integrity check (SM2 C3, SM4 padding)."""

    code = "E9104"
    default_message = "密文无效或已被篡改，解密失败"


class CipherInputError(CryptoError):
    """Bad input to an encryption: wrong SM4 key/IV length, empty or too long SM2 plaintext."""

    code = "E9105"
    default_message = "加密输入参数错误"
