"""The default backend: per operation, the fastest constant-time C code installed (bench/crypto.py).

Measured on one core (docs/BENCHMARKS.md), no single library clears 10x every tender minimum:
GmSSL (gmssl-pyx) signs fastest (precomputed-table [k]G) but verifies, encrypts and decrypts more
slowly; Tongsuo verifies and decrypts fastest, but its SM2 encryption does two ladder
multiplications and lands near 850/s, as does GmSSL's own sm2_encrypt (~1,000/s). So:

* sign    — gmssl-pyx ``sm2_sign_sm3_digest``
* verify  — Tongsuo ``EVP_PKEY_verify``
* decrypt — Tongsuo ``EVP_PKEY_decrypt`` (checks C3)
* encrypt — GB/T 32918.4 §6.1 assembled here: (k, C1 = [k]G) from gmssl-pyx's key generator (its
  CSPRNG and fast fixed-base code), [k]P_B from Tongsuo's constant-time ladder, then the SM3 KDF,
  C2 and C3 — also lifting GmSSL's 255-byte plaintext limit.

Every operation is cross-checked against the other backends and the standard's vectors by the tests.
"""

from __future__ import annotations

from billing_core.crypto.backends.base import SM2Backend
from billing_core.crypto.backends.gmssl_pyx import GmsslPyxBackend
from billing_core.crypto.backends.tongsuo import TongsuoBackend
from billing_core.crypto.keys import SM2PrivateKey, SM2PublicKey
from billing_core.crypto.sm2 import Ciphertext
from billing_core.crypto.sm3 import sm3_digest, sm3_kdf


class FastBackend(SM2Backend):
    """gmssl-pyx and tongsuopy together, each doing what it does fastest."""

    name = "fast"

    def __init__(self) -> None:
        import gmssl_pyx

        self._keygen = gmssl_pyx.sm2_key_generate
        self._gmssl = GmsslPyxBackend()
        self._tongsuo = TongsuoBackend()

    def sign_digest(self, key: SM2PrivateKey, digest: bytes) -> tuple[int, int]:
        return self._gmssl.sign_digest(key, digest)

    def verify_digest(self, key: SM2PublicKey, digest: bytes, r: int, s: int) -> bool:
        return self._tongsuo.verify_digest(key, digest, r, s)

    def encrypt_parts(self, key: SM2PublicKey, plaintext: bytes) -> Ciphertext:
        while True:
            # A1-A2: k in [1, n-2] and C1 = [k]G, from GmSSL's CSPRNG-backed key generation.
            c1, k = self._keygen()
            # A4: [k]P_B = (x2, y2); A5: t = KDF(x2 || y2, klen), drawn again in the all-zero case.
            x2, y2 = self._tongsuo.multiply(key, int.from_bytes(k, "big"))
            shared = x2.to_bytes(32, "big") + y2.to_bytes(32, "big")
            t = sm3_kdf(shared, len(plaintext))
            if any(t):
                break
        c2 = (int.from_bytes(plaintext, "big") ^ int.from_bytes(t, "big")).to_bytes(len(plaintext), "big")
        c3 = sm3_digest(shared[:32] + plaintext + shared[32:])  # A7
        return Ciphertext(int.from_bytes(c1[:32], "big"), int.from_bytes(c1[32:], "big"), c3, c2)

    def decrypt_parts(self, key: SM2PrivateKey, parts: Ciphertext) -> bytes:
        return self._tongsuo.decrypt_parts(key, parts)
