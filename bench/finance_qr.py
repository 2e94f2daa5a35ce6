"""QR generation per bill in the finance simulator: the fast path against the alternatives.

Run: ``PYTHONPATH=. .venv/bin/python bench/finance_qr.py [N]`` — prints CPU ms per bill for each
variant (the same payload shape, a different bill number each time, PNG bytes out; thread CPU time,
so a loaded machine does not inflate it) and checks with OpenCV that the fast path's PNG decodes
to its payload.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from decimal import Decimal

import cv2
import numpy as np
import segno

from billing_core.qr_image import modules_png
from billing_core.qr_payload import BillQr
from simulators.finance import render


def payload(i: int) -> str:
    return BillQr("44060226", f"{1000000 + i:010d}", f"{i * 7919 % 16**6:06x}", Decimal("128.50"), "20261123").text()


def qrcode_default(text: str) -> bytes:
    import qrcode  # the package's default path: mask scoring + PIL image + PIL PNG encoder

    buf = io.BytesIO()
    qrcode.make(text).save(buf)
    return buf.getvalue()


def segno_auto(text: str) -> bytes:
    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=4, border=4)
    return buf.getvalue()


def segno_fixed_mask(text: str) -> bytes:
    buf = io.BytesIO()
    segno.make_qr(text, error="m", mask=2).save(buf, kind="png", scale=4, border=4)
    return buf.getvalue()


def segno_fixed_mask_direct_png(text: str) -> bytes:
    """The previous fast path: segno with a fixed mask (no mask scoring), the same direct PNG writer."""
    matrix = segno.make_qr(text, error="m", mask=2).matrix
    return modules_png([bytes(0 if v else 0xFF for v in row) for row in matrix], scale=4, border=4)


def measure(fn: Callable[[str], bytes], n: int) -> float:
    fn(payload(0))  # warm up imports
    started = time.thread_time()  # CPU time of this thread: robust on a shared, loaded machine
    for i in range(1, n + 1):
        fn(payload(i))
    return (time.thread_time() - started) / n * 1000


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    variants = [("qrcode default PNG", qrcode_default), ("segno, automatic mask", segno_auto),
                ("segno, fixed mask, segno PNG", segno_fixed_mask),
                ("segno, fixed mask + direct 1-bit PNG (previous fast path)", segno_fixed_mask_direct_png),
                ("fast path: zxing-cpp + direct 1-bit PNG (render.qr_png)", render.qr_png)]
    for name, fn in variants:
        print(f"{measure(fn, n):7.2f} ms/bill  {name}")
    png = render.qr_png(payload(42))
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imdecode(np.frombuffer(png, np.uint8), 0))
    print(f"fast path PNG: {len(png)} bytes, decodes: {text == payload(42)}")
    return 0 if text == payload(42) else 1


if __name__ == "__main__":
    raise SystemExit(main())
