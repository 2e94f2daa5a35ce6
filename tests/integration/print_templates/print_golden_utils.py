"""Helpers of the print golden tests: image comparison and ``pdftotext -bbox`` parsing."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.rigs.qr import decode_qr

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "print" / "golden"
PT_PER_MM = 72 / 25.4

#: A pixel differs when its grey level moves by more than this (anti-aliasing noise stays below).
PIXEL_THRESHOLD = 64
#: Limit on differing pixels: 0.5 % of the image AND of every 64x64-pixel tile. The tile rule is
#: what makes a 1 mm move of one field fail: on an A4 page a field is far less than 0.5 % of the
#: whole image, but it is most of its tile.
MAX_FRACTION = 0.005
TILE = 64


@dataclass(frozen=True)
class Diff:
    """Result of comparing a render with its reference."""

    same_size: bool
    overall: float
    worst_tile: float

    @property
    def ok(self) -> bool:
        return self.same_size and self.overall <= MAX_FRACTION and self.worst_tile <= MAX_FRACTION


def grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None, f"cannot read {path}"
    return image


def compare(actual: np.ndarray, reference: np.ndarray) -> Diff:
    if actual.shape != reference.shape:
        return Diff(False, 1.0, 1.0)
    differs = np.abs(actual.astype(np.int16) - reference.astype(np.int16)) > PIXEL_THRESHOLD
    worst = 0.0
    h, w = differs.shape
    for y in range(0, h, TILE):
        for x in range(0, w, TILE):
            tile = differs[y : y + TILE, x : x + TILE]
            worst = max(worst, float(tile.mean()))
    return Diff(True, float(differs.mean()), worst)


@dataclass(frozen=True)
class Word:
    """One word of ``pdftotext -bbox`` in millimetres from the page's top-left corner."""

    page: int
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def pdf_words(pdf: Path) -> list[Word]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    words = []
    for index, page in enumerate(_PAGE.findall(out), 1):
        for x0, y0, x1, y1, text in _WORD.findall(page):
            words.append(Word(index, html.unescape(text), float(x0) / PT_PER_MM, float(y0) / PT_PER_MM,
                              float(x1) / PT_PER_MM, float(y1) / PT_PER_MM))
    return words


def pdf_lines(words: list[Word], page: int = 1, tolerance_mm: float = 0.8) -> list[tuple[float, str, float]]:
    """Words grouped into lines (y top, text without spaces, x of the first word)."""
    lines: list[list[Word]] = []
    for w in sorted((w for w in words if w.page == page), key=lambda w: (w.y0, w.x0)):
        if lines and abs(lines[-1][0].y0 - w.y0) <= tolerance_mm:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [(ln[0].y0, "".join(w.text for w in sorted(ln, key=lambda w: w.x0)), min(w.x0 for w in ln))
            for ln in lines]


def scan_qr(png: Path) -> str:
    """The text of the QR code in ``png`` read with OpenCV ("" when none is found)."""
    image = cv2.imread(str(png))
    assert image is not None, f"cannot read {png}"
    return decode_qr(image)
