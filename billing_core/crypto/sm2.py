"""SM2 pieces every backend shares: the user id and Z_A (GB/T 32918.2 §5.5), the message digest
e = SM3(Z_A || M), signature encodings (raw r||s and DER), and ciphertext layouts (C1C3C2 / C1C2C3,
raw or GM/T 0009 DER).

Z_A is computed here, once, for every backend, so a non-default user id (the insurance SDKs disagree
on it, specs/insurance_platform.md §5) behaves identically whichever library does the curve work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from billing_core.crypto import _asn1 as der
from billing_core.crypto import _ec
from billing_core.crypto.errors import CipherInputError, DecryptionError
from billing_core.crypto.keys import SM2PublicKey
from billing_core.crypto.sm3 import sm3_digest

#: The default user id (distinguishing identifier) of GM/T 0009-2012 §10.
DEFAULT_USER_ID = b"1234567812345678"

SignatureFormat = Literal["rs", "der"]

_CURVE_BYTES = b"".join(v.to_bytes(32, "big") for v in (_ec.A, _ec.B, _ec.GX, _ec.GY))


class CipherOrder(StrEnum):
    """Order of the SM2 ciphertext parts. C1C3C2 is GB/T 32918.4-2016 and GM/T 0009; C1C2C3 is the
    2010 draft order many older Java/C# systems still send. Always stated explicitly."""

    C1C3C2 = "C1C3C2"
    C1C2C3 = "C1C2C3"


def z_a(public_key: SM2PublicKey, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), ENTL_A = bit length of ID_A."""
    bits = len(user_id) * 8
    if bits > 0xFFFF:
        raise CipherInputError("SM2用户标识过长（最多8191字节）")
    return sm3_digest(bits.to_bytes(2, "big") + user_id + _CURVE_BYTES + public_key.to_bytes(prefix=False))


def message_digest(public_key: SM2PublicKey, data: bytes, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """e = SM3(Z_A || M), the 32 bytes that are actually signed (GB/T 32918.2 §6.1 steps A1-A2)."""
    return sm3_digest(z_a(public_key, user_id) + data)


def encode_signature(r: int, s: int, fmt: SignatureFormat = "rs") -> bytes:
    """``rs``: 64 bytes r||s (what the platforms send, hex or base64); ``der``: SEQUENCE {r, s}."""
    if fmt == "rs":
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return der.sequence(der.integer(r), der.integer(s))


def decode_signature(signature: bytes, fmt: SignatureFormat = "rs") -> tuple[int, int] | None:
    """(r, s) when the signature is well formed with both in [1, n-1]; else None (never valid)."""
    try:
        if fmt == "rs":
            if len(signature) != 64:
                return None
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        else:
            items = der.read_all(der.read_single(signature, der.SEQUENCE))
            r, s = (der.to_int(v) for v in der.expect(items, [der.INTEGER, der.INTEGER]))
    except der.DerError:
        return None
    # GB/T 32918.2 §7.1 B1-B2: reject r, s outside [1, n-1] before any curve work (gmssl does not).
    if not (1 <= r < _ec.N and 1 <= s < _ec.N):
        return None
    return r, s


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """The three parts of an SM2 ciphertext: C1 = kG (x1, y1), C3 = SM3(x2||M||y2), C2 = M xor t."""

    x1: int
    y1: int
    c3: bytes
    c2: bytes

    def __post_init__(self) -> None:
        # GB/T 32918.4 §7.1 B1: C1 must be a point of the curve (this also blocks invalid-curve attacks).
        if not _ec.is_on_curve(self.x1, self.y1):
            raise DecryptionError("SM2密文的C1不在曲线上")
        if len(self.c3) != 32 or not self.c2:
            raise DecryptionError("SM2密文的C3或C2长度错误")

    @property
    def c1(self) -> bytes:
        """C1 as ``04||x1||y1``."""
        return b"\x04" + self.x1.to_bytes(32, "big") + self.y1.to_bytes(32, "big")

    def to_bytes(self, order: CipherOrder = CipherOrder.C1C3C2, *, c1_prefix: bool = True) -> bytes:
        """Raw concatenation in ``order``; C1 carries the 04 prefix unless ``c1_prefix=False``."""
        c1 = self.c1 if c1_prefix else self.c1[1:]
        if CipherOrder(order) is CipherOrder.C1C3C2:
            return c1 + self.c3 + self.c2
        return c1 + self.c2 + self.c3

    @classmethod
    def from_bytes(cls, raw: bytes, order: CipherOrder = CipherOrder.C1C3C2) -> Ciphertext:
        """Parse a raw ciphertext in ``order``; C1 may come with or without the 04 prefix."""
        order = CipherOrder(order)
        for offset in (1, 0):
            if offset and raw[:1] != b"\x04":
                continue
            body = raw[offset + 64:]
            if len(body) < 33:
                continue
            x1 = int.from_bytes(raw[offset:offset + 32], "big")
            y1 = int.from_bytes(raw[offset + 32:offset + 64], "big")
            if not _ec.is_on_curve(x1, y1):
                continue
            if order is CipherOrder.C1C3C2:
                return cls(x1, y1, body[:32], body[32:])
            return cls(x1, y1, body[-32:], body[:-32])
        raise DecryptionError("SM2密文格式错误（长度不足或C1不是曲线上的点）")

    def to_der(self) -> bytes:
        """GM/T 0009 SM2Cipher: SEQUENCE {x INTEGER, y INTEGER, hash OCTET STRING, cipher OCTET STRING}."""
        return der.sequence(der.integer(self.x1), der.integer(self.y1),
                            der.tlv(der.OCTET_STRING, self.c3), der.tlv(der.OCTET_STRING, self.c2))

    @classmethod
    def from_der(cls, data: bytes) -> Ciphertext:
        """Parse GM/T 0009 SM2Cipher DER (the C1C3C2 order is fixed by the structure)."""
        try:
            items = der.read_all(der.read_single(data, der.SEQUENCE))
            x, y, c3, c2 = der.expect(items, [der.INTEGER, der.INTEGER, der.OCTET_STRING, der.OCTET_STRING])
            return cls(der.to_int(x), der.to_int(y), c3, c2)
        except der.DerError as exc:
            raise DecryptionError("SM2密文的ASN.1结构错误") from exc
