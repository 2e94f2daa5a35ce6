"""The QR PNG of bills the server issues from its own emergency stock (billQRCode of spec §3.4).

Drawn by billing_core.qr_image (zxing-cpp, direct 1-bit PNG), the same code as the platform
simulator's; scale 3 and a 2-module quiet zone keep the base64 answer small.
"""

from __future__ import annotations

from billing_core import qr_image

SCALE = 3
BORDER = 2


def qr_png(payload: str) -> bytes:
    """PNG bytes (1-bit greyscale) of the QR code of ``payload`` (error correction M)."""
    return qr_image.qr_png(payload, scale=SCALE, border=BORDER)


def qr_png_b64(payload: str) -> str:
    """Base64 of :func:`qr_png`."""
    return qr_image.qr_png_b64(payload, scale=SCALE, border=BORDER)
