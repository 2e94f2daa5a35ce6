"""SM2 key types and loading from hex, raw bytes and PEM.

Accepted forms (the ones hospital and platform systems hand out):

* private key: 32-byte ``d`` as bytes or hex (64 hex digits; shorter hex is left-padded, as some
  systems drop leading zeros); PEM ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (SEC1).
* public key: ``04||X||Y`` (65 bytes / 130 hex), bare ``X||Y`` (64 / 128), compressed ``02|03||X``
  (33 / 66); PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo).

Every key is validated on load (``d`` in [1, n-2], public point on the curve), so backends never see
a malformed key. Parsing the hex ourselves also avoids gmssl's ``lstrip("04")`` defect.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import textwrap
from dataclasses import dataclass, field

from billing_core.crypto import _asn1 as der
from billing_core.crypto import _ec
from billing_core.crypto.errors import KeyFormatError

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_SM2 = "1.2.156.10197.1.301"
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _algorithm_ok(items: list[tuple[int, bytes]]) -> bool:
    """AlgorithmIdentifier is id-ecPublicKey with the SM2 curve, or the SM2 OID itself."""
    ec, sm2 = der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_SM2)
    encoded = [der.tlv(tag, value) for tag, value in items]
    return encoded in ([ec, sm2], [sm2], [sm2, der.tlv(der.NULL, b"")])


def _pem_block(text: str, labels: tuple[str, ...]) -> re.Match[str] | None:
    """The first PEM block with one of ``labels`` (``openssl ecparam -genkey`` puts an
    ``EC PARAMETERS`` block before the key)."""
    return next((m for m in _PEM.finditer(text) if m.group(1) in labels), None)


def _pem_body(text: str, label: str) -> bytes:
    match = _pem_block(text, (label,))
    if match is None:
        raise KeyFormatError(f"PEM密钥类型错误，应为 {label}")
    try:
        return base64.b64decode("".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise KeyFormatError("PEM密钥的Base64内容无效") from exc


def _to_pem(label: str, body: bytes) -> str:
    lines = textwrap.wrap(base64.b64encode(body).decode("ascii"), 64)
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _unhex(text: str, what: str) -> bytes:
    cleaned = "".join(text.split())
    if cleaned[:2] in ("0x", "0X"):
        cleaned = cleaned[2:]
    try:
        return bytes.fromhex(cleaned)
    except ValueError as exc:
        raise KeyFormatError(f"{what}不是有效的十六进制字符串") from exc


@dataclass(frozen=True, slots=True)
class SM2PublicKey:
    """A point (x, y) on the SM2 curve."""

    x: int
    y: int

    def __post_init__(self) -> None:
        if not _ec.is_on_curve(self.x, self.y):
            raise KeyFormatError("SM2公钥不在曲线上")

    @classmethod
    def from_bytes(cls, raw: bytes) -> SM2PublicKey:
        """From ``04||X||Y`` (65 bytes), ``X||Y`` (64) or compressed ``02/03||X`` (33)."""
        if len(raw) == 65 and raw[0] == 4:
            raw = raw[1:]
        if len(raw) == 64:
            return cls(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        if len(raw) == 33:
            point = _ec.decompress(raw[0], int.from_bytes(raw[1:], "big"))
            if point is not None:
                return cls(*point)
        raise KeyFormatError(f"SM2公钥长度或格式错误（{len(raw)}字节）")

    @classmethod
    def from_hex(cls, text: str) -> SM2PublicKey:
        """From hex of any form :meth:`from_bytes` accepts (case and whitespace ignored)."""
        return cls.from_bytes(_unhex(text, "SM2公钥"))

    @classmethod
    def from_pem(cls, text: str) -> SM2PublicKey:
        """From a ``PUBLIC KEY`` PEM (SubjectPublicKeyInfo with the SM2 curve)."""
        body = _pem_body(text, "PUBLIC KEY")
        try:
            alg, bits = der.expect(der.read_all(der.read_single(body, der.SEQUENCE)),
                                   [der.SEQUENCE, der.BIT_STRING])
            if not _algorithm_ok(der.read_all(alg)) or bits[:1] != b"\x00":
                raise der.DerError("not an SM2 public key")
        except der.DerError as exc:
            raise KeyFormatError("PEM公钥不是SM2公钥") from exc
        return cls.from_bytes(bits[1:])

    def to_bytes(self, *, prefix: bool = True) -> bytes:
        """``04||X||Y`` (or ``X||Y`` with ``prefix=False``)."""
        raw = self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")
        return b"\x04" + raw if prefix else raw

    def to_hex(self, *, prefix: bool = True) -> str:
        """Lower-case hex of :meth:`to_bytes`."""
        return self.to_bytes(prefix=prefix).hex()

    def to_pem(self) -> str:
        """``PUBLIC KEY`` PEM (SubjectPublicKeyInfo, id-ecPublicKey + SM2 curve OID)."""
        alg = der.sequence(der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_SM2))
        return _to_pem("PUBLIC KEY", der.sequence(alg, der.tlv(der.BIT_STRING, b"\x00" + self.to_bytes())))


@dataclass(frozen=True, slots=True, repr=False)
class SM2PrivateKey:
    """An SM2 private key ``d`` with its public key. ``repr`` never shows ``d``."""

    d: int
    public_key: SM2PublicKey = field(init=False, compare=False)

    def __post_init__(self) -> None:
        # d must lie in [1, n-2]: signing needs (1 + d)^-1 mod n (GB/T 32918.1 §6.1).
        if not 1 <= self.d <= _ec.N - 2:
            raise KeyFormatError("SM2私钥超出取值范围")
        point = _ec.multiply(self.d)
        assert point is not None  # d in [1, n-2] never gives infinity
        object.__setattr__(self, "public_key", SM2PublicKey(*point))

    def __repr__(self) -> str:
        return f"SM2PrivateKey(public_key={self.public_key.to_hex()})"

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        """A fresh key from the OS CSPRNG."""
        return cls(secrets.randbelow(_ec.N - 2) + 1)

    @classmethod
    def from_bytes(cls, raw: bytes) -> SM2PrivateKey:
        """From the big-endian ``d`` (32 bytes; shorter is accepted as leading zeros dropped)."""
        if not 1 <= len(raw) <= 32:
            raise KeyFormatError(f"SM2私钥长度错误（{len(raw)}字节）")
        return cls(int.from_bytes(raw, "big"))

    @classmethod
    def from_hex(cls, text: str) -> SM2PrivateKey:
        """From hex of ``d``."""
        cleaned = "".join(text.split())
        if len(cleaned) % 2:
            cleaned = "0" + cleaned
        return cls.from_bytes(_unhex(cleaned, "SM2私钥"))

    @classmethod
    def from_pem(cls, text: str) -> SM2PrivateKey:
        """From ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (SEC1) PEM, unencrypted."""
        match = _pem_block(text, ("PRIVATE KEY", "EC PRIVATE KEY"))
        label = match.group(1) if match else ""
        try:
            if label == "PRIVATE KEY":
                items = der.read_all(der.read_single(_pem_body(text, label), der.SEQUENCE))
                version, alg, inner = der.expect(items[:3], [der.INTEGER, der.SEQUENCE, der.OCTET_STRING])
                if der.to_int(version) != 0 or not _algorithm_ok(der.read_all(alg)):
                    raise der.DerError("not an SM2 PKCS#8 key")
                return cls._from_sec1(inner)
            if label == "EC PRIVATE KEY":
                return cls._from_sec1(_pem_body(text, label))
        except der.DerError as exc:
            raise KeyFormatError("PEM私钥不是SM2私钥") from exc
        raise KeyFormatError("PEM私钥类型错误，应为 PRIVATE KEY 或 EC PRIVATE KEY（不支持加密私钥）")

    @classmethod
    def _from_sec1(cls, body: bytes) -> SM2PrivateKey:
        items = der.read_all(der.read_single(body, der.SEQUENCE))
        version, secret = der.expect(items[:2], [der.INTEGER, der.OCTET_STRING])
        if der.to_int(version) != 1:
            raise der.DerError("ECPrivateKey version")
        key = cls.from_bytes(secret)
        for tag, value in items[2:]:
            if tag == 0xA0 and value != der.oid(OID_SM2):
                raise der.DerError("curve is not SM2")
            if tag == 0xA1:
                bits = der.read_single(value, der.BIT_STRING)
                if bits[:1] != b"\x00" or SM2PublicKey.from_bytes(bits[1:]) != key.public_key:
                    raise KeyFormatError("PEM私钥中的公钥与私钥不匹配")
        return key

    def to_bytes(self) -> bytes:
        """The 32-byte big-endian ``d``."""
        return self.d.to_bytes(32, "big")

    def to_hex(self) -> str:
        """Lower-case hex of ``d`` (64 digits)."""
        return self.to_bytes().hex()

    def to_pem(self) -> str:
        """``PRIVATE KEY`` PEM (PKCS#8 wrapping SEC1 with the public key), unencrypted."""
        sec1 = der.sequence(
            der.integer(1),
            der.tlv(der.OCTET_STRING, self.to_bytes()),
            der.tlv(0xA1, der.tlv(der.BIT_STRING, b"\x00" + self.public_key.to_bytes())),
        )
        alg = der.sequence(der.oid(OID_EC_PUBLIC_KEY), der.oid(OID_SM2))
        return _to_pem("PRIVATE KEY", der.sequence(der.integer(0), alg, der.tlv(der.OCTET_STRING, sec1)))


PrivateKeyLike = SM2PrivateKey | str | bytes
PublicKeyLike = SM2PublicKey | SM2PrivateKey | str | bytes


def load_private_key(key: PrivateKeyLike) -> SM2PrivateKey:
    """An :class:`SM2PrivateKey` from a key object, hex text, PEM text/bytes or raw 32 bytes."""
    if isinstance(key, SM2PrivateKey):
        return key
    if isinstance(key, bytes) and key.lstrip().startswith(b"-----BEGIN"):
        key = key.decode("ascii", "replace")
    if isinstance(key, str):
        return SM2PrivateKey.from_pem(key) if "-----BEGIN" in key else SM2PrivateKey.from_hex(key)
    if isinstance(key, bytes):
        return SM2PrivateKey.from_bytes(key)
    raise KeyFormatError(f"不支持的SM2私钥类型：{type(key).__name__}")


def load_public_key(key: PublicKeyLike) -> SM2PublicKey:
    """An :class:`SM2PublicKey` from a key object (a private key gives its public key), hex text,
    PEM text/bytes or raw bytes."""
    if isinstance(key, SM2PublicKey):
        return key
    if isinstance(key, SM2PrivateKey):
        return key.public_key
    if isinstance(key, bytes) and key.lstrip().startswith(b"-----BEGIN"):
        key = key.decode("ascii", "replace")
    if isinstance(key, str):
        return SM2PublicKey.from_pem(key) if "-----BEGIN" in key else SM2PublicKey.from_hex(key)
    if isinstance(key, bytes):
        return SM2PublicKey.from_bytes(key)
    raise KeyFormatError(f"不支持的SM2公钥类型：{type(key).__name__}")
