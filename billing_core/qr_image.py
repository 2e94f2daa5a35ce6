"""QR code images of bill payloads (``billQRCode``, spec §3.4) as small 1-bit PNGs.

Every issuing answer carries the bill's QR code as a base64 PNG, so the platform simulator draws one
per bill and the sync server one per bill it issues from emergency stock. Encoding is done by
zxing-cpp (C++; error correction M, the standard's mask selection) — ~0.2 ms per code here against
~1-2 ms for segno even with its mask scoring skipped (docs/BENCHMARKS.md, "QR per bill"). The PNG is
written directly: one 1-bit greyscale row per pixel row, deflated with zlib, no imaging library.
"""

from __future__ import annotations

import base64
import struct
import zlib

import zxingcpp

_QR = zxingcpp.BarcodeFormat.QRCode


def qr_modules(text: str) -> list[bytes]:
    """The module matrix of ``text`` (error level M), one ``bytes`` per row: 0x00 dark, 0xFF light."""
    # zxingcpp.Image implements the buffer protocol, but its stub (zxingcpp.pyi) does not declare
    # __buffer__, so mypy does not see it as a Buffer
    image = memoryview(zxingcpp.create_barcode(text, _QR, ec_level="M").to_image(  # type: ignore[arg-type]
        scale=1, add_quiet_zones=False))
    shape = image.shape
    assert shape is not None  # a 2-D image buffer always has a shape (None only for shapeless buffers)
    size = shape[1]
    raw = image.tobytes()
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def qr_png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """PNG bytes of the QR code of ``text``: ``scale`` pixels per module, a ``border``-module quiet zone."""
    return modules_png(qr_modules(text), scale=scale, border=border)


def modules_png(rows: list[bytes], *, scale: int = 4, border: int = 4) -> bytes:
    """A 1-bit greyscale PNG of a square module matrix given as :func:`qr_modules` returns it."""
    if scale < 1 or border < 0:
        raise ValueError("scale must be >= 1 and border >= 0")
    width = (len(rows) + 2 * border) * scale
    pad = (-width) % 8
    nbytes = (width + pad) // 8
    edge = "1" * (border * scale)
    white = b"\x00" + ((1 << (width + pad)) - 1).to_bytes(nbytes, "big")
    # zxing-cpp draws dark modules as 0x00 and light ones as 0xFF; in a 1-bit greyscale PNG 0 is
    # black, and each module becomes ``scale`` bits (the row padded with white to a whole byte)
    bits_of = {0x00: "0" * scale, 0xFF: "1" * scale}
    out = bytearray(white * (border * scale))
    for row in rows:
        bits = row.decode("latin-1").translate(bits_of)
        line = b"\x00" + int(edge + bits + edge + "1" * pad, 2).to_bytes(nbytes, "big")
        out += line * scale
    out += white * (border * scale)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1-bit greyscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(bytes(out), 6))
            + _chunk(b"IEND", b""))


def qr_png_b64(text: str, *, scale: int = 4, border: int = 4) -> str:
    """Base64 of :func:`qr_png` (the wire form of ``billQRCode``)."""
    return base64.b64encode(qr_png(text, scale=scale, border=border)).decode("ascii")
