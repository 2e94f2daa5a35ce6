"""billing_core.qr_image: the billQRCode PNG decodes to its payload with an independent reader
(OpenCV), at the sizes the simulator and the server draw, and bad sizes are refused."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from billing_core.qr_image import modules_png, qr_modules, qr_png, qr_png_b64

pytestmark = pytest.mark.unit

PAYLOADS = ["01,44060226,0001900001,e91753,386.50,20261124",
            "01,44060126,0005900200,0a0b0c,12345678.90,20261231",
            "01,44060126,0000000001,000000,-0.01,20260101"]


def _pixels(png: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None, "not a PNG OpenCV can read"
    return img


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(("scale", "border"), [(4, 4), (3, 2), (6, 4)])
def test_png_decodes_to_its_payload(payload: str, scale: int, border: int) -> None:
    png = qr_png(payload, scale=scale, border=border)
    img = _pixels(png)
    side = (len(qr_modules(payload)) + 2 * border) * scale
    assert img.shape == (side, side)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert text == payload


def test_png_is_one_bit_greyscale_with_a_white_quiet_zone() -> None:
    png = qr_png(PAYLOADS[0], scale=4, border=4)
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour) == (1, 0) and width == height
    img = _pixels(png)
    assert (img[:16, :] == 255).all() and (img[:, -16:] == 255).all()  # 4 modules x 4 px
    assert (img[16:44, 16:44] == 0).sum() > 0  # the finder pattern starts right after the quiet zone
    idat = png[png.index(b"IDAT") + 4:png.index(b"IEND") - 8]
    assert len(zlib.decompress(idat)) == height * (1 + (width + 7) // 8)


def test_modules_are_square_and_binary() -> None:
    rows = qr_modules(PAYLOADS[1])
    assert len(rows) >= 21 and all(len(r) == len(rows) for r in rows)
    assert set(b"".join(rows)) == {0x00, 0xFF}


def test_b64_is_the_png() -> None:
    import base64

    assert base64.b64decode(qr_png_b64(PAYLOADS[2], scale=3, border=2)) == qr_png(PAYLOADS[2], scale=3, border=2)


@pytest.mark.parametrize(("scale", "border"), [(0, 4), (4, -1)])
def test_bad_sizes_are_refused(scale: int, border: int) -> None:
    with pytest.raises(ValueError):
        modules_png(qr_modules(PAYLOADS[0]), scale=scale, border=border)
