"""SM2 on tongsuopy: Python bindings of Tongsuo (the OpenSSL 1.1.1 fork with SM2/SM3/SM4), in C.

tongsuopy exposes SM2 signing only through EVP_DigestSign with the library's built-in user id, and
no SM2 encryption at all, so this backend calls the EVP_PKEY primitives through tongsuopy's own
cffi binding: EVP_PKEY_sign/verify on the digest e (Z_A computed by billing_core, so any user id
works) and EVP_PKEY_encrypt/decrypt, whose SM2 method speaks GM/T 0009 DER and checks C3.
The binding and a few backend helpers (``_int_to_bn``, ``_tmp_bn_ctx``) are tongsuopy internals,
which is why constraints.txt pins tongsuopy exactly; the tests exercise every one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from billing_core.crypto.backends.base import SM2Backend
from billing_core.crypto.errors import DecryptionError
from billing_core.crypto.keys import SM2PrivateKey, SM2PublicKey
from billing_core.crypto.sm2 import Ciphertext, decode_signature, encode_signature


class TongsuoBackend(SM2Backend):
    """SM2 through Tongsuo's C code (package ``tongsuopy``)."""

    name = "tongsuo"

    def __init__(self) -> None:
        from tongsuopy.backends.tongsuo.backend import backend
        from tongsuopy.crypto.asymciphers import ec

        self._b, self._lib, self._ffi = backend, backend._lib, backend._ffi
        self._ec = ec
        # Building an EVP_PKEY costs a scalar multiplication; terminals reuse one key all day.
        self._private = lru_cache(maxsize=32)(self._make_private)
        self._public = lru_cache(maxsize=128)(self._make_public)

    def _make_private(self, key: SM2PrivateKey) -> Any:
        return self._ec.derive_private_key(key.d, self._ec.SM2())._evp_pkey

    def _make_public(self, key: SM2PublicKey) -> Any:
        return self._ec.EllipticCurvePublicNumbers(key.x, key.y, self._ec.SM2()).public_key()

    def multiply(self, key: SM2PublicKey, scalar: int) -> tuple[int, int]:
        """[scalar]P for the public point P, as affine (x, y).

        EC_POINT_mul with only a point scalar takes OpenSSL 1.1.1's constant-time Montgomery ladder
        (ec_scalar_mul_ladder), so a secret scalar (an encryption's k) does not leak through timing.
        """
        ec_key = self._public(key)._ec_key
        lib, ffi = self._lib, self._ffi
        group = lib.EC_KEY_get0_group(ec_key)
        result = ffi.gc(lib.EC_POINT_new(group), lib.EC_POINT_free)
        bn_scalar = ffi.gc(self._b._int_to_bn(scalar), lib.BN_clear_free)
        with self._b._tmp_bn_ctx() as bn_ctx:
            if lib.EC_POINT_mul(group, result, ffi.NULL, lib.EC_KEY_get0_public_key(ec_key), bn_scalar,
                                bn_ctx) != 1:
                self._b._consume_errors()
                raise ValueError("EC_POINT_mul failed")
            bn_x, bn_y = lib.BN_CTX_get(bn_ctx), lib.BN_CTX_get(bn_ctx)
            if lib.EC_POINT_get_affine_coordinates_GFp(group, result, bn_x, bn_y, bn_ctx) != 1:
                self._b._consume_errors()
                raise ValueError("point at infinity")
            return self._b._bn_to_int(bn_x), self._b._bn_to_int(bn_y)

    def _ctx(self, pkey: Any, init: Callable[[Any], int]) -> Any:
        ctx = self._ffi.gc(self._lib.EVP_PKEY_CTX_new(pkey, self._ffi.NULL), self._lib.EVP_PKEY_CTX_free)
        if ctx == self._ffi.NULL or init(ctx) != 1:
            self._b._consume_errors()
            raise ValueError("EVP_PKEY_CTX init failed")
        return ctx

    def _run(self, pkey: Any, init: Callable[[Any], int], op: Callable[..., int], data: bytes) -> bytes:
        """The usual two-call EVP pattern: ask for the size, then fill the buffer."""
        ctx = self._ctx(pkey, init)
        size = self._ffi.new("size_t *")
        if op(ctx, self._ffi.NULL, size, data, len(data)) != 1:
            self._b._consume_errors()
            raise ValueError("EVP size query failed")
        buf = self._ffi.new("unsigned char[]", size[0])
        if op(ctx, buf, size, data, len(data)) != 1:
            self._b._consume_errors()
            raise DecryptionError()
        return bytes(self._ffi.buffer(buf)[: size[0]])

    def sign_digest(self, key: SM2PrivateKey, digest: bytes) -> tuple[int, int]:
        # Tongsuo's SM2 pkey method draws k from its DRBG (RAND_priv_bytes).
        signature = self._run(self._private(key), self._lib.EVP_PKEY_sign_init, self._lib.EVP_PKEY_sign, digest)
        rs = decode_signature(signature, "der")
        if rs is None:  # pragma: no cover - Tongsuo never emits an out-of-range signature
            raise ValueError("Tongsuo returned a malformed signature")
        return rs

    def verify_digest(self, key: SM2PublicKey, digest: bytes, r: int, s: int) -> bool:
        ctx = self._ctx(self._public(key)._evp_pkey, self._lib.EVP_PKEY_verify_init)
        signature = encode_signature(r, s, "der")
        result = self._lib.EVP_PKEY_verify(ctx, signature, len(signature), digest, len(digest))
        if result != 1:
            self._b._consume_errors()
        return bool(result == 1)

    def encrypt_parts(self, key: SM2PublicKey, plaintext: bytes) -> Ciphertext:
        der_ct = self._run(self._public(key)._evp_pkey, self._lib.EVP_PKEY_encrypt_init, self._lib.EVP_PKEY_encrypt,
                           plaintext)
        return Ciphertext.from_der(der_ct)

    def decrypt_parts(self, key: SM2PrivateKey, parts: Ciphertext) -> bytes:
        return self._run(self._private(key), self._lib.EVP_PKEY_decrypt_init, self._lib.EVP_PKEY_decrypt,
                         parts.to_der())
