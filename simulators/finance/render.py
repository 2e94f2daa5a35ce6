"""What the simulated platform draws: the QR code (fast path), the notice PNG, the layout PDF
and the H5 page.

QR codes come from billing_core.qr_image (zxing-cpp plus a direct 1-bit PNG, ~0.35 ms per bill;
docs/BENCHMARKS.md, "QR per bill"): every issuing answer carries one, so it is on the hot path.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from billing_core import qr_image
from billing_core.money import to_chinese_upper, wire

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def qr_png(text: str, scale: int = 4, border: int = 4) -> bytes:
    """A 1-bit greyscale PNG of the QR code of ``text`` (dark modules black, quiet zone white)."""
    return qr_image.qr_png(text, scale=scale, border=border)


@lru_cache(maxsize=8192)
def qr_png_b64(text: str) -> str:
    """``billQRCode``: base64 of the QR PNG (spec §3.4); cached, as lookups and batch polls
    answer the same bills again and again."""
    return base64.b64encode(qr_png(text)).decode("ascii")


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size)


def notice_lines(bill: dict[str, Any]) -> list[tuple[str, str]]:
    """Label/value pairs printed on the notice and the H5 page, in order."""
    amount = Decimal(bill["total_amt"])
    return [
        ("票据名称", bill["bill_name"] + ("（红字）" if bill["kind"] == "red" else "")),
        ("票据代码", bill["bill_batch_code"]),
        ("票据号码", bill["bill_no"]),
        ("校验码", bill["random"]),
        ("开票日期", f"{bill['create_time'][:4]}-{bill['create_time'][4:6]}-{bill['create_time'][6:8]}"),
        ("交款人", bill["payer"]),
        ("业务流水号", bill["bus_no"]),
        ("开票点", f"{bill['place_code']} {bill.get('place_name', '')}".strip()),
        ("收款人", bill.get("payee", "")),
        ("金额合计（小写）", f"¥{wire(amount)}"),
        ("金额合计（大写）", to_chinese_upper(amount)),
    ]


def notice_image(bill: dict[str, Any], items: list[dict[str, Any]], qr_text: str) -> Image.Image:
    """The notice (告知单) as an image: every field, the charge items, amounts and the QR code."""
    lines = notice_lines(bill)
    width = 900
    height = 200 + 34 * len(lines) + 34 * (len(items) + 1) + 60
    img = Image.new("L", (width, max(height, 620)), 255)
    draw = ImageDraw.Draw(img)
    draw.text((width // 2, 40), "医疗收费电子票据告知单", font=_font(34), fill=0, anchor="mm")
    y = 90
    for label, value in lines:
        draw.text((40, y), f"{label}：{value}", font=_font(22), fill=0)
        y += 34
    y += 10
    draw.text((40, y), "项目名称            数量        单价          金额", font=_font(20), fill=0)
    y += 34
    for it in items:
        row = f"{it.get('chargeName', ''):<14}{it.get('number', '')!s:>8}{it.get('std', '')!s:>12}{it.get('amt', '')!s:>14}"
        draw.text((40, y), row, font=_font(20), fill=0)
        y += 34
    qr = Image.open(io.BytesIO(qr_png(qr_text, scale=6, border=4))).convert("L")
    img.paste(qr, (width - qr.width - 30, 80))
    draw.text((width - qr.width // 2 - 30, 80 + qr.height + 14), "扫码查验", font=_font(18), fill=0, anchor="mm")
    return img


def notice_png(bill: dict[str, Any], items: list[dict[str, Any]], qr_text: str) -> bytes:
    """``pictureData``: the notice as PNG bytes."""
    buf = io.BytesIO()
    notice_image(bill, items, qr_text).save(buf, "PNG", optimize=False)
    return buf.getvalue()


def layout_pdf(bill: dict[str, Any], items: list[dict[str, Any]], qr_text: str) -> bytes:
    """The bill's layout file (版式文件) as a one-page PDF of the notice (seed 002 (7))."""
    buf = io.BytesIO()
    notice_image(bill, items, qr_text).convert("RGB").save(buf, "PDF", resolution=150.0)
    return buf.getvalue()


H5_TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>医疗收费电子票据</title>
<style>
body{font-family:"WenQuanYi Micro Hei",sans-serif;margin:16px;color:#222}
h1{font-size:22px;text-align:center;color:#b00}
table{border-collapse:collapse;width:100%;margin:8px 0}
td,th{border:1px solid #999;padding:4px 6px;font-size:14px}
th{background:#f3f3f3}
.qr{text-align:center;margin-top:12px}
.state{color:#b00;font-weight:bold;text-align:center}
</style></head><body>
<h1>{{ title }}</h1>
{% if state_text %}<p class="state" id="state">{{ state_text }}</p>{% endif %}
<table id="fields">
{% for label, value in lines %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
<table id="items"><tr><th>项目编码</th><th>项目名称</th><th>单位</th><th>数量</th><th>标准</th><th>金额</th></tr>
{% for it in items %}<tr><td>{{ it.chargeCode }}</td><td>{{ it.chargeName }}</td><td>{{ it.unit }}</td>
<td>{{ it.number }}</td><td>{{ it.std }}</td><td>{{ it.amt }}</td></tr>
{% endfor %}</table>
<div class="qr"><img alt="票据二维码" src="data:image/png;base64,{{ qr_b64 }}"><br>
<span id="qrtext">{{ qr_text }}</span></div>
</body></html>
"""
