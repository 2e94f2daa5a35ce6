"""Lay a thermal :class:`PrintJob` out as the lines a receipt printer would print (no Qt).

The same grid rules as the ESC/POS driver: ``columns`` half-width cells per line (32 on 58 mm,
48 on 80 mm), CJK counted double, double-size text on half as many cells. The QPainter renderer
draws these lines as a long strip; tests read them to prove that nothing overflows.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing_core.printjob import (
    Cut,
    Feed,
    Image,
    OpenDrawer,
    PrintJob,
    QrCode,
    Row,
    Rule,
    Text,
    pad,
    row_lines,
    text_width,
    wrap,
)

#: Geometry of the emulated printer head (font A 12x24 dots at 203 dpi is ~1.5 x 3 mm).
CELL_MM = 1.5
LINE_MM = 4.0
PRINTABLE_MM = {58: 48.0, 80: 72.0}


@dataclass(frozen=True, slots=True)
class StripText:
    """One printed text line, already padded to the grid (``scale`` 2 = double size)."""

    text: str
    bold: bool = False
    scale: int = 1


@dataclass(frozen=True, slots=True)
class StripQr:
    """A centred QR code of ``size_mm``."""

    data: str
    size_mm: float


@dataclass(frozen=True, slots=True)
class StripImage:
    """A centred PNG image at most ``width_mm`` wide."""

    png: bytes
    width_mm: float


@dataclass(frozen=True, slots=True)
class StripCut:
    """Where the cutter cuts."""


StripLine = StripText | StripQr | StripImage | StripCut


def layout(job: PrintJob) -> list[StripLine]:
    """The job as printed lines, in order."""
    cols = job.columns
    out: list[StripLine] = []
    for el in job.elements:
        if isinstance(el, Text):
            scale = max(1, min(2, el.scale))
            width = cols // scale
            for line in wrap(el.text, width):
                out.append(StripText(pad(line, width, el.align).rstrip(), el.bold, scale))
        elif isinstance(el, Row):
            out.extend(StripText(line, el.bold) for line in row_lines(el, cols))
        elif isinstance(el, Rule):
            out.append(StripText(el.char * (cols // max(1, text_width(el.char)))))
        elif isinstance(el, QrCode):
            out.append(StripQr(el.data, float(el.size_mm)))
            if el.caption:
                out.extend(StripText(pad(line, cols, "center").rstrip()) for line in wrap(el.caption, cols))
        elif isinstance(el, Image):
            out.append(StripImage(el.png, float(el.width_mm)))
        elif isinstance(el, Feed):
            out.extend(StripText("") for _ in range(el.lines))
        elif isinstance(el, Cut):
            out.append(StripCut())
        elif isinstance(el, OpenDrawer):
            continue
    return out


def text_lines(job: PrintJob) -> list[str]:
    """Only the text lines of :func:`layout` (what a decoder of the printed bytes reads back)."""
    return [line.text for line in layout(job) if isinstance(line, StripText)]
