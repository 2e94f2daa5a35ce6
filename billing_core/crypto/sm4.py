"""SM4 block cipher (GB/T 32907-2016) in ECB and CBC modes with PKCS#7 padding.

The insurance platform's application-level scheme uses SM4-ECB-PKCS7 (specs/insurance_platform.md
§"NHSA application-level SM scheme"); CBC is offered for everything else. The block cipher comes from
gmssl-pyx's C code (GmSSL) when installed, else tongsuopy's (Tongsuo/OpenSSL EVP), else pure-Python
gmssl; the modes' padding is always done here, strictly, so all behave the same on bad input.
gmssl-pyx comes first: one call per value (~1.3 us) where an EVP cipher object costs ~55 us to
build, which the sync server pays for every personal field it seals (store/sealing.py).
"""

from __future__ import annotations

import hmac
from typing import Protocol

from billing_core.crypto.errors import CipherInputError, DecryptionError

BLOCK = 16


class _Sm4Impl(Protocol):
    def ecb(self, key: bytes, data: bytes, encrypt: bool) -> bytes: ...

    def cbc(self, key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes: ...


class _Tongsuo:
    """SM4 from tongsuopy (C, Tongsuo/OpenSSL EVP)."""

    def __init__(self) -> None:
        from tongsuopy.crypto.ciphers import Cipher, algorithms, modes

        self._cipher, self._alg, self._modes = Cipher, algorithms.SM4, modes

    def _run(self, key: bytes, mode: object, data: bytes, encrypt: bool) -> bytes:
        cipher = self._cipher(self._alg(key), mode)
        ctx = cipher.encryptor() if encrypt else cipher.decryptor()
        return bytes(ctx.update(data) + ctx.finalize())

    def ecb(self, key: bytes, data: bytes, encrypt: bool) -> bytes:
        return self._run(key, self._modes.ECB(), data, encrypt)

    def cbc(self, key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
        return self._run(key, self._modes.CBC(iv), data, encrypt)


class _GmsslPyx:
    """SM4 from gmssl-pyx (C, GmSSL). It offers CBC only with its own PKCS#7 padding, so the
    unpadded modes are derived: CBC encryption of ``n`` whole blocks is the first ``n`` blocks of
    the padded encryption; decryption appends one block that decrypts to a whole pad block
    (``E(pad xor last)``), which the library then strips; ECB is CBC one block at a time from a
    zero IV."""

    _PAD = bytes([BLOCK]) * BLOCK
    _ZERO = bytes(BLOCK)

    def __init__(self) -> None:
        import gmssl_pyx

        self._enc = gmssl_pyx.sm4_cbc_padding_encrypt
        self._dec = gmssl_pyx.sm4_cbc_padding_decrypt

    def _block(self, key: bytes, block: bytes) -> bytes:
        return bytes(self._enc(key, self._ZERO, block)[:BLOCK])

    def cbc(self, key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
        if not data:
            return b""
        if encrypt:
            return bytes(self._enc(key, iv, data)[:len(data)])
        last = data[-BLOCK:]
        tail = bytes(self._enc(key, last, self._PAD)[:BLOCK])  # E(pad xor last): decrypts to pad
        return bytes(self._dec(key, iv, data + tail))

    def ecb(self, key: bytes, data: bytes, encrypt: bool) -> bytes:
        if encrypt:
            return b"".join(self._block(key, data[i:i + BLOCK]) for i in range(0, len(data), BLOCK))
        return b"".join(self.cbc(key, self._ZERO, data[i:i + BLOCK], False) for i in range(0, len(data), BLOCK))


class _BlockCipher(Protocol):
    """What is used of gmssl's ``CryptSM4`` (gmssl ships no types): its one-block function."""

    def one_round(self, sk: list[int], in_put: list[int]) -> list[int]: ...


class _Gmssl:
    """SM4 from pure-Python gmssl; only its block function is used (its own padding is lax)."""

    def __init__(self) -> None:
        from gmssl import sm4 as gm_sm4

        self._mod = gm_sm4

    def _keyed(self, key: bytes, encrypt: bool) -> tuple[_BlockCipher, list[int]]:
        mode = self._mod.SM4_ENCRYPT if encrypt else self._mod.SM4_DECRYPT
        crypt = self._mod.CryptSM4(mode)
        crypt.set_key(key, mode)
        return crypt, crypt.sk

    def ecb(self, key: bytes, data: bytes, encrypt: bool) -> bytes:
        crypt, sk = self._keyed(key, encrypt)
        return b"".join(
            bytes(crypt.one_round(sk, list(data[i:i + BLOCK])))
            for i in range(0, len(data), BLOCK)
        )

    def cbc(self, key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
        crypt, sk = self._keyed(key, encrypt)
        out = bytearray()
        prev = iv
        for i in range(0, len(data), BLOCK):
            block = data[i:i + BLOCK]
            if encrypt:
                prev = bytes(crypt.one_round(sk, list(_xor(block, prev))))
                out += prev
            else:
                out += _xor(bytes(crypt.one_round(sk, list(block))), prev)
                prev = block
        return bytes(out)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def _load() -> dict[str, _Sm4Impl]:
    found: dict[str, _Sm4Impl] = {}
    for name, cls in (("gmssl_pyx", _GmsslPyx), ("tongsuo", _Tongsuo), ("gmssl", _Gmssl)):
        try:
            found[name] = cls()
        except ImportError:
            continue
    return found


#: Every SM4 implementation present, fastest first (tests run the vectors through each).
IMPLEMENTATIONS: dict[str, _Sm4Impl] = _load()
if not IMPLEMENTATIONS:  # pragma: no cover - gmssl is a hard dependency
    raise ImportError("no SM4 implementation: install gmssl")
IMPLEMENTATION: str = next(iter(IMPLEMENTATIONS))


def pkcs7_pad(data: bytes) -> bytes:
    """Append PKCS#7 padding: always 1..16 bytes, each equal to the pad length."""
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def pkcs7_unpad(data: bytes) -> bytes:
    """Remove PKCS#7 padding, refusing anything but a well-formed pad (DecryptionError)."""
    if not data or len(data) % BLOCK:
        raise DecryptionError("SM4密文长度不是16字节的整数倍")
    n = data[-1]
    if not 1 <= n <= BLOCK or not hmac.compare_digest(data[-n:], bytes([n]) * n):
        raise DecryptionError("SM4解密后的填充无效（密钥错误或密文被篡改）")
    return data[:-n]


def _impl(name: str | None) -> _Sm4Impl:
    try:
        return IMPLEMENTATIONS[name or IMPLEMENTATION]
    except KeyError as exc:
        raise CipherInputError(f"SM4实现不可用：{name}") from exc


def _check(key: bytes, iv: bytes | None, data: bytes, padding: bool, decrypting: bool) -> None:
    if len(key) != BLOCK:
        raise CipherInputError(f"SM4密钥必须为16字节，实际为{len(key)}字节")
    if iv is not None and len(iv) != BLOCK:
        raise CipherInputError(f"SM4 CBC初始向量必须为16字节，实际为{len(iv)}字节")
    if (decrypting or not padding) and len(data) % BLOCK:
        err = DecryptionError if decrypting else CipherInputError
        raise err(f"数据长度{len(data)}不是16字节的整数倍")


def sm4_encrypt_ecb(key: bytes, data: bytes, *, padding: bool = True, implementation: str | None = None
                    ) -> bytes:
    """SM4-ECB encrypt; PKCS#7 pads unless ``padding=False`` (then ``data`` must be whole blocks)."""
    _check(key, None, data, padding, False)
    return _impl(implementation).ecb(key, pkcs7_pad(data) if padding else data, True)


def sm4_decrypt_ecb(key: bytes, data: bytes, *, padding: bool = True, implementation: str | None = None
                    ) -> bytes:
    """SM4-ECB decrypt and strictly remove PKCS#7 padding (unless ``padding=False``)."""
    _check(key, None, data, padding, True)
    plain = _impl(implementation).ecb(key, data, False)
    return pkcs7_unpad(plain) if padding else plain


def sm4_encrypt_cbc(key: bytes, iv: bytes, data: bytes, *, padding: bool = True,
                    implementation: str | None = None) -> bytes:
    """SM4-CBC encrypt with a 16-byte IV; PKCS#7 pads unless ``padding=False``."""
    _check(key, iv, data, padding, False)
    return _impl(implementation).cbc(key, iv, pkcs7_pad(data) if padding else data, True)


def sm4_decrypt_cbc(key: bytes, iv: bytes, data: bytes, *, padding: bool = True,
                    implementation: str | None = None) -> bytes:
    """SM4-CBC decrypt and strictly remove PKCS#7 padding (unless ``padding=False``)."""
    _check(key, iv, data, padding, True)
    plain = _impl(implementation).cbc(key, iv, data, False)
    return pkcs7_unpad(plain) if padding else plain
