"""SM2 / SM3 / SM4 for the whole product, behind one small interface with pluggable backends.

The two calls most code needs::

    from billing_core.crypto import sm2_sign, sm2_verify, sm3_hex

    # sign an emergency bill with the terminal's key (hex of d, or PEM); 64-byte r||s
    signature = sm2_sign(terminal_private_key_pem, canonical_bill_bytes)
    sign_value = signature.hex()                       # what uploadEmergencyEBill carries
    ok = sm2_verify(terminal_public_key_hex, canonical_bill_bytes, bytes.fromhex(sign_value))

    # one link of an SM3 hash chain
    link = sm3_hex(previous_link.encode() + record_bytes)   # 64 lower-case hex digits

Keys are :class:`SM2PrivateKey` / :class:`SM2PublicKey`, or anything :func:`load_private_key` /
:func:`load_public_key` accept (hex, PEM, raw bytes). The user id defaults to
``1234567812345678`` (:data:`DEFAULT_USER_ID`) and can be given per call (``user_id=b"..."``).
Ciphertexts are raw ``C1||C3||C2`` (:attr:`CipherOrder.C1C3C2`, C1 with its 04 prefix) unless
``order=CipherOrder.C1C2C3`` is passed; :class:`Ciphertext` converts to/from GM/T 0009 DER.

Backends (:func:`get_backend`), in order of preference: ``fast`` (the default: gmssl-pyx and
tongsuopy combined, each doing the operations it does fastest), ``gmssl_pyx`` (GmSSL 3, C;
plaintexts up to 255 bytes), ``tongsuo`` (Tongsuo, C), ``gmssl`` (pure Python; the portable
fallback, its known defects guarded). All accept and reject the same inputs; every backend's
signatures and ciphertexts are accepted by every other.

Errors are :class:`billing_core.errors.CryptoError` (E9101) and its subclasses in
:mod:`billing_core.crypto.errors` (E9102-E9105).
"""

from __future__ import annotations

from billing_core.crypto.backends import available_backends, get_backend
from billing_core.crypto.backends.base import SM2Backend
from billing_core.crypto.keys import (
    PrivateKeyLike,
    PublicKeyLike,
    SM2PrivateKey,
    SM2PublicKey,
    load_private_key,
    load_public_key,
)
from billing_core.crypto.sm2 import (
    DEFAULT_USER_ID,
    CipherOrder,
    Ciphertext,
    SignatureFormat,
    message_digest,
    z_a,
)
from billing_core.crypto.sm3 import sm3_digest, sm3_hex, sm3_kdf
from billing_core.crypto.sm4 import sm4_decrypt_cbc, sm4_decrypt_ecb, sm4_encrypt_cbc, sm4_encrypt_ecb

__all__ = [
    "DEFAULT_USER_ID", "CipherOrder", "Ciphertext", "PrivateKeyLike", "PublicKeyLike", "SM2Backend",
    "SM2PrivateKey", "SM2PublicKey", "SignatureFormat", "available_backends", "get_backend",
    "load_private_key", "load_public_key", "message_digest", "sm2_decrypt", "sm2_encrypt", "sm2_sign",
    "sm2_verify", "sm3_digest", "sm3_hex", "sm3_kdf", "sm4_decrypt_cbc", "sm4_decrypt_ecb", "sm4_encrypt_cbc",
    "sm4_encrypt_ecb", "z_a",
]


def sm2_sign(private_key: PrivateKeyLike, data: bytes, *, user_id: bytes = DEFAULT_USER_ID,
             fmt: SignatureFormat = "rs", backend: str | None = None) -> bytes:
    """SM3withSM2 signature of ``data`` (64 bytes r||s, or DER with ``fmt="der"``)."""
    return get_backend(backend).sign(private_key, data, user_id=user_id, fmt=fmt)


def sm2_verify(public_key: PublicKeyLike, data: bytes, signature: bytes, *,
               user_id: bytes = DEFAULT_USER_ID, fmt: SignatureFormat = "rs",
               backend: str | None = None) -> bool:
    """True when ``signature`` is a valid SM3withSM2 signature of ``data``; False otherwise."""
    return get_backend(backend).verify(public_key, data, signature, user_id=user_id, fmt=fmt)


def sm2_encrypt(public_key: PublicKeyLike, plaintext: bytes, *, order: CipherOrder = CipherOrder.C1C3C2,
                backend: str | None = None) -> bytes:
    """SM2-encrypt ``plaintext``: raw ciphertext in ``order``, C1 with its 04 prefix."""
    return get_backend(backend).encrypt(public_key, plaintext, order=order)


def sm2_decrypt(private_key: PrivateKeyLike, ciphertext: bytes, *, order: CipherOrder = CipherOrder.C1C3C2,
                backend: str | None = None) -> bytes:
    """Decrypt a raw SM2 ciphertext in ``order``; DecryptionError (E9104) if altered or malformed."""
    return get_backend(backend).decrypt(private_key, ciphertext, order=order)
