"""A fast QR PNG for bills issued locally (billQRCode of spec §3.4).

segno's generic PNG writer took ~12 ms per code here; building the 1-bit PNG directly from the
module matrix (scale 3, quiet zone 2) with zlib takes a small fraction of that, which matters when
every bill of an outage is issued from emergency stock.
"""

from __future__ import annotations

import base64
import struct
import zlib

import segno

SCALE = 3
BORDER = 2


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def qr_png(payload: str) -> bytes:
    """PNG bytes (1-bit greyscale) of the QR code of ``payload`` (error correction M)."""
    # a fixed mask skips segno's evaluation of all eight masks (most of its time); any mask is valid
    qr = segno.make(payload, error="m", micro=False, boost_error=False, mask=4)
    matrix = [list(row) for row in qr.matrix]
    n = len(matrix) + 2 * BORDER
    size = n * SCALE
    rows = bytearray()
    blank = [0] * BORDER
    for src in [[0] * len(matrix)] * BORDER + matrix + [[0] * len(matrix)] * BORDER:
        cells = blank + [1 if v else 0 for v in src] + blank
        bits = []
        for v in cells:
            bits.extend([0 if v else 1] * SCALE)  # 1 = white in greyscale
        line = bytearray()
        for i in range(0, size, 8):
            byte = 0
            for j, bit in enumerate(bits[i:i + 8]):
                byte |= bit << (7 - j)
            if size - i < 8:
                byte |= (1 << (8 - (size - i))) - 1  # pad with white
            line.append(byte)
        for _ in range(SCALE):
            rows.append(0)
            rows.extend(line)
    ihdr = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + \
        _chunk(b"IEND", b"")


def qr_png_b64(payload: str) -> str:
    """Base64 of :func:`qr_png`."""
    return base64.b64encode(qr_png(payload)).decode("ascii")
