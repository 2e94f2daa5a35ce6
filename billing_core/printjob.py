"""The printer-neutral print job: what to print, not how.

print_templates builds jobs; the QPainter renderer (paper, PDF, PNG) and the receipt-printer
driver (ESC/POS via python-escpos) each render them. It lives in billing_core because both
sides need it and, by the dependency rule, devices may import nothing but billing_core.

Thermal widths are counted in half-width columns: a CJK character takes two columns.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]

#: Half-width columns of font A on common thermal paper widths.
COLUMNS_BY_WIDTH_MM = {58: 32, 80: 48}


def char_width(ch: str) -> int:
    """Columns one character takes on a thermal printer: 2 for wide/fullwidth (CJK), else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Columns a string takes, counting CJK as double width."""
    return sum(char_width(c) for c in text)


def wrap(text: str, columns: int) -> list[str]:
    """Break ``text`` into lines of at most ``columns`` half-width columns (never overflow).

    Breaks at any character (Chinese has no spaces); an existing newline always breaks.
    """
    if columns < 2:
        raise ValueError("columns must be at least 2")
    lines: list[str] = []
    for para in text.split("\n"):
        line, used = "", 0
        for ch in para:
            w = char_width(ch)
            if used + w > columns:
                lines.append(line)
                line, used = "", 0
            line += ch
            used += w
        lines.append(line)
    return lines


def pad(text: str, columns: int, align: Align = "left") -> str:
    """Pad ``text`` with spaces to exactly ``columns`` (text must already fit)."""
    gap = max(0, columns - text_width(text))
    if align == "right":
        return " " * gap + text
    if align == "center":
        left = gap // 2
        return " " * left + text + " " * (gap - left)
    return text + " " * gap


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph; wrapped to the paper width. ``scale`` 2 doubles width and height."""

    text: str
    align: Align = "left"
    bold: bool = False
    scale: int = 1


@dataclass(frozen=True, slots=True)
class Column:
    """One cell of a :class:`Row`; ``weight`` shares the width, ``align`` places the text."""

    text: str
    weight: int = 1
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class Row:
    """Cells side by side (e.g. item name | quantity | amount); each cell wraps within its share."""

    cells: tuple[Column, ...]
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    """A horizontal separator line."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code of ``data`` about ``size_mm`` wide, centred."""

    data: str
    size_mm: int = 30
    caption: str = ""


@dataclass(frozen=True, slots=True)
class Image:
    """A raster image (PNG bytes), centred, scaled to at most ``width_mm``."""

    png: bytes
    width_mm: int = 40


@dataclass(frozen=True, slots=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Cut the paper (partial cut where the printer has one)."""


@dataclass(frozen=True, slots=True)
class OpenDrawer:
    """Kick the cash drawer connected to the receipt printer."""


Element = Text | Row | Rule | QrCode | Image | Feed | Cut | OpenDrawer


@dataclass(slots=True)
class PrintJob:
    """A document as a list of elements for a roll of ``width_mm`` paper (58 or 80)."""

    title: str
    width_mm: int = 80
    elements: list[Element] = field(default_factory=list)

    @property
    def columns(self) -> int:
        """Half-width columns per line at scale 1."""
        return COLUMNS_BY_WIDTH_MM.get(self.width_mm, 48)

    def add(self, *elements: Element) -> PrintJob:
        """Append elements; returns self for chaining."""
        self.elements.extend(elements)
        return self


def row_lines(row: Row, columns: int) -> list[str]:
    """Lay a :class:`Row` out into fixed-width text lines (cells wrap inside their share).

    Shared by every text renderer so that a 58 mm receipt never exceeds 32 columns.
    """
    total = sum(c.weight for c in row.cells) or 1
    widths = [max(2, columns * c.weight // total) for c in row.cells]
    widths[-1] = max(2, columns - sum(widths[:-1]))
    wrapped = [wrap(c.text, w) for c, w in zip(row.cells, widths, strict=True)]
    height = max(len(w) for w in wrapped)
    out = []
    for i in range(height):
        parts = []
        for cell, width, lines in zip(row.cells, widths, wrapped, strict=True):
            parts.append(pad(lines[i] if i < len(lines) else "", width, cell.align))
        out.append("".join(parts).rstrip())
    return out


# --- Page layout --------------------------------------------------------------------------
# Sheet printers (A4 bill lists, pre-numbered paper bill forms, notices on office printers) place
# items at absolute positions in millimetres from the top-left corner of the sheet. The QPainter
# renderer in print_templates draws them; the bill-printer driver (devices) may reuse the model.

Fit = Literal["none", "shrink", "wrap"]


@dataclass(frozen=True, slots=True)
class PageText:
    """Text whose box starts at (``x_mm``, ``y_mm``) (top-left; ``align`` places it in the box).

    With ``width_mm`` > 0 the text must stay inside the box: ``fit="shrink"`` lowers the font
    size (not below half), ``fit="wrap"`` breaks it into lines of ``size_pt`` inside
    ``height_mm`` (shrinking when the lines still do not fit). ``name`` identifies a form field.
    """

    x_mm: float
    y_mm: float
    text: str
    size_pt: float = 10.0
    bold: bool = False
    align: Align = "left"
    width_mm: float = 0.0
    height_mm: float = 0.0
    fit: Fit = "shrink"
    name: str = ""


@dataclass(frozen=True, slots=True)
class PageLine:
    """A straight line between two points, ``width_mm`` thick."""

    x1_mm: float
    y1_mm: float
    x2_mm: float
    y2_mm: float
    width_mm: float = 0.2
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class PageRect:
    """A rectangle outline (``filled`` paints it light grey, for banners)."""

    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float
    line_mm: float = 0.3
    filled: bool = False


@dataclass(frozen=True, slots=True)
class PageQr:
    """A QR code of ``data`` with its top-left corner at (``x_mm``, ``y_mm``)."""

    x_mm: float
    y_mm: float
    data: str
    size_mm: float = 30.0


PageItem = PageText | PageLine | PageRect | PageQr


@dataclass(slots=True)
class Page:
    """One sheet of ``width_mm`` x ``height_mm`` with absolutely placed items."""

    width_mm: float
    height_mm: float
    items: list[PageItem] = field(default_factory=list)

    def add(self, *items: PageItem) -> Page:
        """Append items; returns self for chaining."""
        self.items.extend(items)
        return self


@dataclass(slots=True)
class PageJob:
    """A document of sheets (e.g. three A4 list pages or one paper bill form)."""

    title: str
    pages: list[Page] = field(default_factory=list)
