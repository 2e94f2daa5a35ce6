"""Virtual printers for demo mode: receipts become PNG files, bill forms become PDF files.

Rendering uses Pillow and the project's CJK font (fonts-wqy-microhei). It is a preview of the
layout, not a pixel copy of a thermal head: one half-width column is 12 px (a 24 px CJK glyph is
two), so an 80 mm roll (48 columns) is 576 px wide, like the 72 mm printable width at 8 dots/mm.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from billing_core.printjob import (
    Cut,
    Feed,
    OpenDrawer,
    PageJob,
    PageLine,
    PageQr,
    PageRect,
    PageText,
    PrintJob,
    QrCode,
    Row,
    Rule,
    Text,
    row_lines,
    text_width,
    wrap,
)
from billing_core.printjob import Image as JobImage
from devices.errors import DeviceNotFound, PrintFailed
from devices.io_thread import runs_in_device_thread
from devices.printer import BillPrinter, PaperState, PrinterStatus, ReceiptPrinter

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "C:/Windows/Fonts/msyh.ttc")
COL_PX = 12

try:
    import qrcode  # comes with python-escpos; without it the QR code is drawn as a labelled box
except ImportError:  # pragma: no cover
    qrcode = None


def _font(size: int) -> Any:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _qr_image(data: str, px: int) -> Image.Image:
    if qrcode is None:  # pragma: no cover
        img = Image.new("L", (px, px), 255)
        ImageDraw.Draw(img).rectangle((0, 0, px - 1, px - 1), outline=0, width=3)
        return img
    qr = qrcode.QRCode(border=1)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image().get_image().convert("L").resize((px, px), Image.Resampling.NEAREST)


@dataclass(frozen=True, slots=True)
class VirtualPrinterConfig:
    """``[devices.receipt_printer]`` / ``[devices.bill_printer]`` with ``driver = "virtual"``."""

    out_dir: str = "demo-prints"


class _FileOutput:
    def __init__(self, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self._seq = itertools.count(1)
        self.files: list[Path] = []

    def path(self, title: str, suffix: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in title) or "job"
        p = self.out_dir / f"{next(self._seq):04d}-{safe}{suffix}"
        self.files.append(p)
        return p

    def check(self, label: str) -> None:
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeviceNotFound(label, f"无法写入目录 {self.out_dir}") from exc


def render_receipt(job: PrintJob) -> Image.Image:
    """A PNG-able picture of a receipt job."""
    cols = job.columns
    width = cols * COL_PX
    parts: list[Image.Image] = []

    def text_line(s: str, scale: int = 1, align: str = "left") -> None:
        img = Image.new("L", (width, 30 * scale), 255)
        w = text_width(s) * COL_PX * scale
        x = {"left": 0, "center": (width - w) // 2, "right": width - w}.get(align, 0)
        ImageDraw.Draw(img).text((max(0, x), 2), s, font=_font(24 * scale), fill=0)
        parts.append(img)

    for el in job.elements:
        if isinstance(el, Text):
            scale = 2 if el.scale >= 2 else 1
            for ln in wrap(el.text, cols // scale):
                text_line(ln, scale, el.align)
        elif isinstance(el, Row):
            for ln in row_lines(el, cols):
                text_line(ln)
        elif isinstance(el, Rule):
            text_line((el.char or "-") * cols)
        elif isinstance(el, QrCode):
            px = min(width, el.size_mm * 8)
            img = Image.new("L", (width, px + 8), 255)
            img.paste(_qr_image(el.data, px), ((width - px) // 2, 4))
            parts.append(img)
            if el.caption:
                for ln in wrap(el.caption, cols):
                    text_line(ln, align="center")
        elif isinstance(el, JobImage):
            try:
                src = Image.open(io.BytesIO(el.png)).convert("L")
            except OSError as exc:
                raise PrintFailed(ReceiptPrinter.label, "图片无法解码") from exc
            px = min(width, el.width_mm * 8)
            src = src.resize((px, max(1, src.height * px // src.width)))
            img = Image.new("L", (width, src.height), 255)
            img.paste(src, ((width - px) // 2, 0))
            parts.append(img)
        elif isinstance(el, Feed):
            parts.append(Image.new("L", (width, 30 * max(0, el.lines)), 255))
        elif isinstance(el, Cut):
            text_line("- " * (cols // 2))
        elif isinstance(el, OpenDrawer):
            pass  # nothing to show
    height = sum(p.height for p in parts) or 1
    out = Image.new("L", (width, height), 255)
    y = 0
    for p in parts:
        out.paste(p, (0, y))
        y += p.height
    return out


def render_pages(job: PageJob, dpi: int = 150, offset: tuple[float, float] = (0.0, 0.0)) -> list[Image.Image]:
    """Pictures of the sheets of a page job."""
    ppm = dpi / 25.4
    ox, oy = offset
    out = []
    for page in job.pages:
        img = Image.new("L", (round(page.width_mm * ppm), round(page.height_mm * ppm)), 255)
        d = ImageDraw.Draw(img)
        for it in page.items:
            if isinstance(it, PageText):
                font = _font(max(6, round(it.size_pt * dpi / 72)))
                x, y = (it.x_mm + ox) * ppm, (it.y_mm + oy) * ppm
                if it.width_mm > 0 and it.align != "left":
                    tw = d.textlength(it.text, font=font)
                    box = it.width_mm * ppm
                    x += (box - tw) if it.align == "right" else (box - tw) / 2
                d.text((x, y), it.text, font=font, fill=0)
            elif isinstance(it, PageLine):
                d.line(((it.x1_mm + ox) * ppm, (it.y1_mm + oy) * ppm, (it.x2_mm + ox) * ppm,
                        (it.y2_mm + oy) * ppm), fill=0, width=max(1, round(it.width_mm * ppm)))
            elif isinstance(it, PageRect):
                box = ((it.x_mm + ox) * ppm, (it.y_mm + oy) * ppm, (it.x_mm + ox + it.width_mm) * ppm,
                       (it.y_mm + oy + it.height_mm) * ppm)
                d.rectangle(box, fill=220 if it.filled else None, outline=0,
                            width=max(1, round(it.line_mm * ppm)))
            elif isinstance(it, PageQr):
                px = round(it.size_mm * ppm)
                img.paste(_qr_image(it.data, px), (round((it.x_mm + ox) * ppm), round((it.y_mm + oy) * ppm)))
        out.append(img)
    return out


class VirtualReceiptPrinter(ReceiptPrinter):
    """Writes each receipt as a PNG file; can simulate paper out for demos."""

    driver = "virtual"

    def __init__(self, name: str, config: VirtualPrinterConfig | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config or VirtualPrinterConfig()
        self.output = _FileOutput(self.config.out_dir)
        self.paper = PaperState.OK
        self.drawer_kicks = 0
        self.jobs: list[PrintJob] = []  # what was printed, in order (tests and the demo read the text back)

    def address(self) -> str:
        """The output folder."""
        return f"dir:{self.config.out_dir}"

    def _open_device(self) -> None:
        self.output.check(self.label)

    def _close_device(self) -> None:
        pass

    @runs_in_device_thread
    def status(self) -> PrinterStatus:
        """The simulated paper state (set ``paper`` from the demo menu)."""
        self._require_open()
        return PrinterStatus(online=True, paper=self.paper)

    @runs_in_device_thread
    def print_job(self, job: PrintJob) -> None:
        """Write ``<seq>-<title>.png``."""
        self._require_open()
        from devices.errors import PaperOut

        if self.paper is PaperState.OUT:
            raise PaperOut(self.label)
        if any(isinstance(e, OpenDrawer) for e in job.elements):
            self.drawer_kicks += 1
        render_receipt(job).save(self.output.path(job.title, ".png"))
        self.jobs.append(job)

    @runs_in_device_thread
    def open_drawer(self) -> None:
        """Count the kick."""
        self._require_open()
        self.drawer_kicks += 1


class VirtualBillPrinter(BillPrinter):
    """Writes each page job as a PDF file (raster pages, 150 dpi)."""

    driver = "virtual"

    def __init__(self, name: str, config: VirtualPrinterConfig | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config or VirtualPrinterConfig()
        self.output = _FileOutput(self.config.out_dir)

    def address(self) -> str:
        """The output folder."""
        return f"dir:{self.config.out_dir}"

    def _open_device(self) -> None:
        self.output.check(self.label)

    def _close_device(self) -> None:
        pass

    @runs_in_device_thread
    def print_pages(self, job: PageJob) -> None:
        """Write ``<seq>-<title>.pdf``."""
        self._require_open()
        pages = render_pages(job)
        if not pages:
            raise PrintFailed(self.label, "没有可打印的页面")
        pages[0].save(self.output.path(job.title, ".pdf"), "PDF", resolution=150, save_all=True,
                      append_images=pages[1:])
