"""SM2 on pure-Python gmssl 3.2.2: the portable fallback (no C extension needed), ~10x slower.

gmssl has three defects this backend guards against (each has a test in test_gmssl_defects.py):

1. Its default nonce (``sign_with_sm3`` without ``random_hex_str``, and every ``encrypt``) comes from
   ``random.choice`` — a non-cryptographic PRNG, so k and hence the private key can be recovered.
   We always pass k from :mod:`secrets` and do the encryption ourselves with its point arithmetic.
2. ``CryptSM2.__init__`` normalises a ``04||X||Y`` key with ``lstrip("04")``, which strips every
   leading '0' and '4' character, mangling keys whose X starts with those digits (and a bare X||Y
   whose X starts with "04" too). We set the 128-digit ``X||Y`` of our validated key object on the
   instance after construction, so its constructor never sees it.
3. ``decrypt`` computes C3 but never compares it, so altered ciphertexts decrypt to garbage. We
   decrypt ourselves and compare C3 in constant time.

Its ``_sm3_z`` also hard-codes the default user id; Z_A comes from billing_core instead.
"""

from __future__ import annotations

import secrets
from typing import Any

from billing_core.crypto import _ec
from billing_core.crypto.backends.base import SM2Backend, c3_matches
from billing_core.crypto.errors import DecryptionError
from billing_core.crypto.keys import SM2PrivateKey, SM2PublicKey
from billing_core.crypto.sm2 import Ciphertext
from billing_core.crypto.sm3 import sm3_digest, sm3_kdf

_G_HEX = f"{_ec.GX:064x}{_ec.GY:064x}"


def _nonce() -> int:
    """k uniformly in [1, n-1] from the OS CSPRNG."""
    return secrets.randbelow(_ec.N - 1) + 1


class GmsslBackend(SM2Backend):
    """SM2 through pure-Python gmssl's curve arithmetic, with its defects guarded."""

    name = "gmssl"

    def __init__(self) -> None:
        from gmssl import sm2

        self._sm2 = sm2

    def _crypt(self, public: SM2PublicKey, private: SM2PrivateKey | None = None) -> Any:
        crypt = self._sm2.CryptSM2(private_key=private.to_hex() if private else "", public_key="")
        # Defect 2: set the key after construction. Even bare X||Y is mangled by the constructor
        # when X itself starts with "04" (it tests startswith("04"), then lstrips all 0s and 4s).
        crypt.public_key = public.to_hex(prefix=False)
        return crypt

    def sign_digest(self, key: SM2PrivateKey, digest: bytes) -> tuple[int, int]:
        crypt = self._crypt(key.public_key, key)
        while True:  # gmssl returns None for the rare r = 0 / r + k = n / s = 0 cases: draw again
            signature = crypt.sign(digest, f"{_nonce():064x}")  # defect 1
            if signature:
                return int(signature[:64], 16), int(signature[64:], 16)

    def verify_digest(self, key: SM2PublicKey, digest: bytes, r: int, s: int) -> bool:
        return bool(self._crypt(key).verify(f"{r:064x}{s:064x}", digest))

    def encrypt_parts(self, key: SM2PublicKey, plaintext: bytes) -> Ciphertext:
        crypt = self._crypt(key)
        while True:  # GB/T 32918.4 §6.1 A1-A5, with k from secrets (defect 1)
            k = _nonce()
            c1 = crypt._kg(k, _G_HEX)
            shared = bytes.fromhex(crypt._kg(k, key.to_hex(prefix=False)))
            t = sm3_kdf(shared, len(plaintext))
            if any(t):
                break
        c2 = bytes(m ^ x for m, x in zip(plaintext, t, strict=True))
        c3 = sm3_digest(shared[:32] + plaintext + shared[32:])
        return Ciphertext(int(c1[:64], 16), int(c1[64:], 16), c3, c2)

    def decrypt_parts(self, key: SM2PrivateKey, parts: Ciphertext) -> bytes:
        crypt = self._crypt(key.public_key, key)
        shared = bytes.fromhex(crypt._kg(key.d, f"{parts.x1:064x}{parts.y1:064x}"))
        t = sm3_kdf(shared, len(parts.c2))
        if not any(t):
            raise DecryptionError()
        plaintext = bytes(c ^ x for c, x in zip(parts.c2, t, strict=True))
        # Defect 3: gmssl's decrypt never compares C3; GB/T 32918.4 §7.1 B7 requires it.
        if not c3_matches(sm3_digest(shared[:32] + plaintext + shared[32:]), parts.c3):
            raise DecryptionError()
        return plaintext
