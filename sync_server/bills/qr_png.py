"""The QR PNG of bills the server issues from its own emergency stock (billQRCode of spec §3.4).

Drawn by billing_core.qr_image (zxing-cpp, direct 1-bit PNG), the same code as the platform
simulator's; scale 3 and a 2-module quiet zone keep the base64 answer small.
"""

from __future__ import annotations

from typing import Any

from billing_core import qr_image
from billing_core.money import parse_amount
from billing_core.qr_payload import BillQr

SCALE = 3
BORDER = 2


def qr_png(payload: str) -> bytes:
    """PNG bytes (1-bit greyscale) of the QR code of ``payload`` (error correction M)."""
    return qr_image.qr_png(payload, scale=SCALE, border=BORDER)


def qr_png_b64(payload: str) -> str:
    """Base64 of :func:`qr_png`."""
    return qr_image.qr_png_b64(payload, scale=SCALE, border=BORDER)


def local_qr_png(row: Any) -> str:
    """billQRCode of a bill issued here: the QR of its payload (billing_core.qr_payload)."""
    amount = parse_amount(row["total_amt"], field="totalAmt")
    text = BillQr(row["bill_batch_code"], row["bill_no"], row["random"], amount,
                  str(row["create_time"])[:8]).text()
    return qr_png_b64(text)
