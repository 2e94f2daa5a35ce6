"""A strict, minimal DER reader/writer: just the types SM2 needs (INTEGER, OCTET STRING, BIT STRING,
OBJECT IDENTIFIER, SEQUENCE and context tags) for signatures (GM/T 0009 SM2Signature), ciphertexts
(GM/T 0009 SM2Cipher) and keys (PKCS#8, SEC1, SubjectPublicKeyInfo).

Strict on purpose: non-minimal lengths, negative or padded integers and trailing bytes are refused,
so one value has exactly one encoding and a re-encoded signature cannot slip past a check.
"""

from __future__ import annotations

INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
SEQUENCE = 0x30


class DerError(ValueError):
    """The bytes are not the DER structure that was expected."""


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, value: bytes) -> bytes:
    """Encode one tag-length-value."""
    return bytes([tag]) + _length(len(value)) + value


def integer(value: int) -> bytes:
    """Encode a non-negative INTEGER in its minimal two's-complement form."""
    if value < 0:
        raise DerError("negative INTEGER")
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # always room for a 0 sign bit
    if len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return tlv(INTEGER, raw)


def sequence(*items: bytes) -> bytes:
    """Encode a SEQUENCE of already encoded items."""
    return tlv(SEQUENCE, b"".join(items))


def oid(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER given as ``"1.2.156.10197.1.301"``."""
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Read one TLV at ``offset``; return (tag, value, offset after it)."""
    if offset + 2 > len(data):
        raise DerError("truncated")
    tag = data[offset]
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DerError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        if length < 0x80 or data[pos] == 0:
            raise DerError("non-minimal length")
        pos += count
    end = pos + length
    if end > len(data):
        raise DerError("truncated")
    return tag, data[pos:end], end


def read_all(data: bytes) -> list[tuple[int, bytes]]:
    """Split the content of a constructed value into its (tag, value) items."""
    items: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        tag, value, offset = read(data, offset)
        items.append((tag, value))
    return items


def read_single(data: bytes, tag: int) -> bytes:
    """The value of the one TLV that ``data`` must consist of, with the given tag."""
    got, value, end = read(data)
    if got != tag or end != len(data):
        raise DerError("unexpected tag or trailing bytes")
    return value


def to_int(value: bytes) -> int:
    """Decode the content of an INTEGER that must be non-negative and minimally encoded."""
    if not value or value[0] & 0x80:
        raise DerError("empty or negative INTEGER")
    if len(value) > 1 and value[0] == 0 and value[1] < 0x80:
        raise DerError("non-minimal INTEGER")
    return int.from_bytes(value, "big")


def expect(items: list[tuple[int, bytes]], tags: list[int]) -> list[bytes]:
    """Check that ``items`` has exactly the given tags in order; return their values."""
    if [t for t, _ in items] != tags:
        raise DerError("unexpected structure")
    return [v for _, v in items]
