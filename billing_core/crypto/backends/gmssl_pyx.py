"""SM2 on gmssl-pyx: CPython bindings of GmSSL 3 (C); GmSSL checks C3 itself. The default ``fast``
backend takes its signing and its fast [k]G from here (docs/BENCHMARKS.md).

Only the digest-level calls are used (``sm2_sign_sm3_digest`` / ``sm2_verify_sm3_digest``): Z_A is
computed by billing_core for every backend alike. They are also ~15x faster than gmssl-pyx's
message-level ``sm2_sign`` on this machine. GmSSL limits SM2 plaintexts to 255 bytes
(SM2_MAX_PLAINTEXT_SIZE) — enough for the SM4 keys SM2 wraps in practice.
"""

from __future__ import annotations

from billing_core.crypto.backends.base import SM2Backend
from billing_core.crypto.errors import DecryptionError
from billing_core.crypto.keys import SM2PrivateKey, SM2PublicKey
from billing_core.crypto.sm2 import Ciphertext, decode_signature, encode_signature


class GmsslPyxBackend(SM2Backend):
    """SM2 through GmSSL 3's C code (package ``gmssl-pyx``, import ``gmssl_pyx``)."""

    name = "gmssl_pyx"
    max_plaintext = 255

    def __init__(self) -> None:
        import gmssl_pyx

        self._g = gmssl_pyx

    def sign_digest(self, key: SM2PrivateKey, digest: bytes) -> tuple[int, int]:
        # GmSSL draws the nonce from its own CSPRNG (rand_bytes -> getrandom/urandom).
        rs = decode_signature(self._g.sm2_sign_sm3_digest(key.to_bytes(), digest), "der")
        if rs is None:  # pragma: no cover - GmSSL never emits an out-of-range signature
            raise ValueError("GmSSL returned a malformed signature")
        return rs

    def verify_digest(self, key: SM2PublicKey, digest: bytes, r: int, s: int) -> bool:
        try:
            return bool(self._g.sm2_verify_sm3_digest(key.to_bytes(prefix=False), digest,
                                                      encode_signature(r, s, "der")))
        except self._g.GmsslInnerError:
            return False

    def encrypt_parts(self, key: SM2PublicKey, plaintext: bytes) -> Ciphertext:
        return Ciphertext.from_der(self._g.sm2_encrypt(key.to_bytes(prefix=False), plaintext))

    def decrypt_parts(self, key: SM2PrivateKey, parts: Ciphertext) -> bytes:
        try:
            return bytes(self._g.sm2_decrypt(key.to_bytes(), parts.to_der()))
        except self._g.GmsslInnerError as exc:  # GmSSL's C3 check failed, or C1 was refused
            raise DecryptionError() from exc
