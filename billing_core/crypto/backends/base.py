"""The one interface every SM2 backend offers, and the work they share.

A backend only implements four curve operations on already-validated inputs (sign/verify a 32-byte
digest, encrypt/decrypt to/from :class:`Ciphertext` parts). Everything a caller can get wrong —
key parsing, Z_A with the user id, signature and ciphertext encodings, r/s range checks, C1 on the
curve — happens once, here, so all backends accept and reject exactly the same inputs.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, TypeVar

from billing_core.crypto.errors import CipherInputError, CryptoError, DecryptionError
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
    decode_signature,
    encode_signature,
    message_digest,
)

_T = TypeVar("_T")


def c3_matches(expected: bytes, received: bytes) -> bool:
    """Constant-time C3 comparison (GB/T 32918.4 §7.1 B7)."""
    return hmac.compare_digest(expected, received)


class SM2Backend(ABC):
    """SM2 sign / verify / encrypt / decrypt over bytes, with keys given as objects, hex or PEM."""

    #: Registry name, e.g. ``"gmssl_pyx"``.
    name: ClassVar[str]
    #: Largest plaintext :meth:`encrypt` takes, or None for no limit.
    max_plaintext: ClassVar[int | None] = None

    # -- the public interface --------------------------------------------------------------------

    def sign(self, private_key: PrivateKeyLike, data: bytes, *, user_id: bytes = DEFAULT_USER_ID,
             fmt: SignatureFormat = "rs") -> bytes:
        """SM3withSM2 signature of ``data``: 64 bytes r||s (``fmt="rs"``) or DER (``fmt="der"``).

        :param private_key: key object, hex of d, PEM, or raw 32 bytes
        :param user_id: the signer's distinguishing id that goes into Z_A
        """
        key = load_private_key(private_key)
        digest = message_digest(key.public_key, bytes(data), user_id)
        r, s = self._guard(lambda: self.sign_digest(key, digest))
        return encode_signature(r, s, fmt)

    def verify(self, public_key: PublicKeyLike, data: bytes, signature: bytes, *,
               user_id: bytes = DEFAULT_USER_ID, fmt: SignatureFormat = "rs") -> bool:
        """True when ``signature`` is a valid SM3withSM2 signature of ``data`` under ``public_key``.

        A malformed or wrong signature gives False; only an unusable key raises (KeyFormatError).
        """
        key = load_public_key(public_key)
        rs = decode_signature(bytes(signature), fmt)
        if rs is None:
            return False
        digest = message_digest(key, bytes(data), user_id)
        return bool(self._guard(lambda: self.verify_digest(key, digest, rs[0], rs[1])))

    def encrypt(self, public_key: PublicKeyLike, plaintext: bytes, *,
                order: CipherOrder = CipherOrder.C1C3C2, c1_prefix: bool = True) -> bytes:
        """SM2-encrypt ``plaintext``; raw ciphertext in ``order`` (C1 with its 04 prefix by default)."""
        key = load_public_key(public_key)
        plaintext = bytes(plaintext)
        if not plaintext:
            raise CipherInputError("SM2明文不能为空")
        if self.max_plaintext is not None and len(plaintext) > self.max_plaintext:
            raise CipherInputError(f"SM2明文过长：{self.name} 最多{self.max_plaintext}字节")
        parts = self._guard(lambda: self.encrypt_parts(key, plaintext))
        return parts.to_bytes(CipherOrder(order), c1_prefix=c1_prefix)

    def decrypt(self, private_key: PrivateKeyLike, ciphertext: bytes, *,
                order: CipherOrder = CipherOrder.C1C3C2) -> bytes:
        """Decrypt a raw ciphertext in ``order`` (C1 with or without 04); DecryptionError when it is
        malformed, was made for another key, or was altered (C3 mismatch)."""
        key = load_private_key(private_key)
        parts = Ciphertext.from_bytes(bytes(ciphertext), CipherOrder(order))
        if self.max_plaintext is not None and len(parts.c2) > self.max_plaintext:
            raise DecryptionError(f"SM2密文过长：{self.name} 最多解密{self.max_plaintext}字节明文")
        return self._guard(lambda: self.decrypt_parts(key, parts))

    # -- what a backend implements ----------------------------------------------------------------

    @abstractmethod
    def sign_digest(self, key: SM2PrivateKey, digest: bytes) -> tuple[int, int]:
        """Sign the 32-byte e = SM3(Z_A || M) with a fresh CSPRNG nonce; return (r, s)."""

    @abstractmethod
    def verify_digest(self, key: SM2PublicKey, digest: bytes, r: int, s: int) -> bool:
        """Check (r, s), both already in [1, n-1], against the 32-byte digest."""

    @abstractmethod
    def encrypt_parts(self, key: SM2PublicKey, plaintext: bytes) -> Ciphertext:
        """Encrypt non-empty ``plaintext`` with a fresh CSPRNG k."""

    @abstractmethod
    def decrypt_parts(self, key: SM2PrivateKey, parts: Ciphertext) -> bytes:
        """Decrypt; MUST raise DecryptionError when C3 does not match."""

    # -- helpers ----------------------------------------------------------------------------------

    def _guard(self, op: Callable[[], _T]) -> _T:
        try:
            return op()
        except CryptoError:
            raise
        except Exception as exc:  # a library failure must not leak a stack trace to a user
            raise CryptoError(f"SM2运算失败（{self.name}）：{type(exc).__name__}") from exc

    def __repr__(self) -> str:
        return f"<SM2 backend {self.name}>"
