"""The QPainter renderer: page jobs and thermal jobs to PDF (QPdfWriter) and PNG (QImage).

Sheets are drawn at their millimetre positions; a thermal job becomes one long strip as wide
as the roll, each character placed on the printer's column grid (:mod:`print_templates.strip`)
so that the preview looks like the printed receipt. Only this module and
:mod:`print_templates.fonts` import PySide6 (DESIGN §2; an import-linter contract holds it).
"""

from __future__ import annotations

from pathlib import Path

import segno
from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QImage,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
)

from billing_core.printjob import Page, PageJob, PageLine, PageQr, PageRect, PageText, PrintJob, char_width
from print_templates.errors import RenderError
from print_templates.fonts import ensure_app, pinned_font
from print_templates.strip import (
    CELL_MM,
    LINE_MM,
    PRINTABLE_MM,
    StripCut,
    StripImage,
    StripQr,
    StripText,
    layout,
)

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH
#: Font size of a thermal line: the CJK glyph fills 2 cells minus a hair of spacing.
STRIP_EM_MM = 2.8
PDF_DPI = 600
#: White space above and below a QR code on the strip: 3 mm is 4 modules of a 33-module symbol
#: of 25-30 mm, the quiet zone ISO/IEC 18004 asks for (scanners miss codes without it).
QR_QUIET_MM = 3.0


def _mm(value: float, ppm: float) -> float:
    return value * ppm


def _draw_qr(p: QPainter, data: str, x: float, y: float, size: float, snap: bool) -> None:
    """Draw the QR modules (no quiet zone: callers leave white space) in device units."""
    matrix = segno.make(data, error="l", boost_error=False, micro=False).matrix
    n = len(matrix)
    module = max(1.0, float(int(size / n))) if snap else size / n
    if snap:
        x, y = float(round(x)), float(round(y))
    # One path for all dark modules: a single fill, compact in the PDF.
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    for r, row in enumerate(matrix):
        for c, bit in enumerate(row):
            if bit:
                path.addRect(x + c * module, y + r * module, module, module)
    p.fillPath(path, QBrush(QColor(0, 0, 0)))


def _fit_lines(p: QPainter, item: PageText, ppm: float) -> tuple[list[str], float, QFontMetricsF]:
    """Lines and font size that keep ``item`` inside its box (shrinking to half at most)."""
    size = item.size_pt
    box_w = _mm(item.width_mm, ppm)
    box_h = _mm(item.height_mm, ppm)
    while True:
        font = pinned_font(size, item.bold)
        p.setFont(font)
        fm = QFontMetricsF(font, p.device())
        if item.width_mm <= 0:
            return item.text.split("\n"), size, fm
        if item.fit == "wrap":
            lines: list[str] = []
            for para in item.text.split("\n"):
                line = ""
                for ch in para:
                    if line and fm.horizontalAdvance(line + ch) > box_w:
                        lines.append(line)
                        line = ""
                    line += ch
                lines.append(line)
            fits = box_h <= 0 or len(lines) * fm.lineSpacing() <= box_h + 0.01
        else:
            lines = item.text.split("\n")
            fits = item.fit == "none" or max(fm.horizontalAdvance(ln) for ln in lines) <= box_w
        if fits or size <= item.size_pt / 2:
            return lines, size, fm
        size = max(item.size_pt / 2, size * 0.92)


def _draw_text(p: QPainter, item: PageText, ppm: float) -> None:
    lines, _size, fm = _fit_lines(p, item, ppm)
    x = _mm(item.x_mm, ppm)
    y = _mm(item.y_mm, ppm)
    w = _mm(item.width_mm, ppm)
    for i, line in enumerate(lines):
        adv = fm.horizontalAdvance(line)
        if item.align == "left":
            lx = x
        elif item.align == "center":
            lx = x + (w - adv) / 2 if w else x - adv / 2
        else:
            lx = x + w - adv if w else x - adv
        p.drawText(QPointF(lx, y + fm.ascent() + i * fm.lineSpacing()), line)


def _draw_page(p: QPainter, page: Page, ppm: float, snap: bool) -> None:
    for item in page.items:
        if isinstance(item, PageText):
            _draw_text(p, item, ppm)
        elif isinstance(item, PageLine):
            pen = QPen(QColor(0, 0, 0), max(1.0, _mm(item.width_mm, ppm)))
            if item.dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawLine(QPointF(_mm(item.x1_mm, ppm), _mm(item.y1_mm, ppm)),
                       QPointF(_mm(item.x2_mm, ppm), _mm(item.y2_mm, ppm)))
            p.setPen(QColor(0, 0, 0))
        elif isinstance(item, PageRect):
            rect = QRectF(_mm(item.x_mm, ppm), _mm(item.y_mm, ppm), _mm(item.width_mm, ppm),
                          _mm(item.height_mm, ppm))
            if item.filled:
                p.fillRect(rect, QColor(225, 225, 225))
            p.setPen(QPen(QColor(0, 0, 0), max(1.0, _mm(item.line_mm, ppm))))
            p.drawRect(rect)
            p.setPen(QColor(0, 0, 0))
        elif isinstance(item, PageQr):
            _draw_qr(p, item.data, _mm(item.x_mm, ppm), _mm(item.y_mm, ppm), _mm(item.size_mm, ppm), snap)


# --- thermal strips ---------------------------------------------------------------------------

def strip_page(job: PrintJob) -> tuple[float, float]:
    """Width and height in mm of the strip a thermal job prints."""
    height = 4.0
    for line in layout(job):
        if isinstance(line, StripText):
            height += LINE_MM * line.scale
        elif isinstance(line, StripQr):
            height += line.size_mm + 2 * QR_QUIET_MM
        elif isinstance(line, StripImage):
            height += line.width_mm + 2.0
        elif isinstance(line, StripCut):
            height += 3.0
    return float(job.width_mm), height


def _draw_strip(p: QPainter, job: PrintJob, ppm: float, snap: bool) -> None:
    width_mm = float(job.width_mm)
    left = (width_mm - PRINTABLE_MM[job.width_mm]) / 2
    y = 2.0
    for line in layout(job):
        if isinstance(line, StripText):
            scale = line.scale
            font = pinned_font(STRIP_EM_MM * scale * PT_PER_MM, line.bold)
            p.setFont(font)
            fm = QFontMetricsF(font, p.device())
            cell = CELL_MM * scale * ppm
            baseline = _mm(y, ppm) + (LINE_MM * scale * ppm + fm.ascent() - fm.descent()) / 2
            col = 0
            for ch in line.text:
                w = char_width(ch)
                if ch != " ":
                    slot = cell * w
                    adv = fm.horizontalAdvance(ch)
                    cx = _mm(left, ppm) + col * cell
                    if adv > slot:  # wide Latin glyphs (W, M, @) squeeze into their cell
                        p.save()
                        p.translate(cx, baseline)
                        p.scale(slot / adv, 1.0)
                        p.drawText(QPointF(0, 0), ch)
                        p.restore()
                    else:
                        p.drawText(QPointF(cx + (slot - adv) / 2, baseline), ch)
                col += w
            y += LINE_MM * scale
        elif isinstance(line, StripQr):
            x = (width_mm - line.size_mm) / 2
            _draw_qr(p, line.data, _mm(x, ppm), _mm(y + QR_QUIET_MM, ppm), _mm(line.size_mm, ppm), snap)
            y += line.size_mm + 2 * QR_QUIET_MM
        elif isinstance(line, StripImage):
            img = QImage.fromData(line.png)
            if not img.isNull():
                w = line.width_mm
                h = w * img.height() / max(1, img.width())
                p.drawImage(QRectF(_mm((width_mm - w) / 2, ppm), _mm(y + 1, ppm), _mm(w, ppm), _mm(h, ppm)), img)
            y += line.width_mm + 2.0
        elif isinstance(line, StripCut):
            pen = QPen(QColor(0, 0, 0), max(1.0, 0.2 * ppm))
            pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawLine(QPointF(0, _mm(y + 1.5, ppm)), QPointF(_mm(width_mm, ppm), _mm(y + 1.5, ppm)))
            p.setPen(QColor(0, 0, 0))
            y += 3.0


# --- public API -------------------------------------------------------------------------------

Job = PageJob | PrintJob


def _sheets(job: Job) -> list[tuple[float, float]]:
    if isinstance(job, PrintJob):
        return [strip_page(job)]
    return [(pg.width_mm, pg.height_mm) for pg in job.pages]


def _paint(p: QPainter, job: Job, index: int, ppm: float, snap: bool) -> None:
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    p.setPen(QColor(0, 0, 0))
    if isinstance(job, PrintJob):
        _draw_strip(p, job, ppm, snap)
    else:
        _draw_page(p, job.pages[index], ppm, snap)


def render_images(job: Job, dpi: int = 100) -> list[QImage]:
    """One white RGB image per sheet (one long strip for a thermal job) at ``dpi``."""
    ensure_app()
    ppm = dpi / MM_PER_INCH
    images = []
    for index, (w_mm, h_mm) in enumerate(_sheets(job)):
        img = QImage(max(1, round(w_mm * ppm)), max(1, round(h_mm * ppm)), QImage.Format.Format_RGB32)
        dpm = round(dpi / 0.0254)
        img.setDotsPerMeterX(dpm)
        img.setDotsPerMeterY(dpm)
        img.fill(QColor(255, 255, 255))
        p = QPainter(img)
        try:
            _paint(p, job, index, ppm, snap=True)
        finally:
            p.end()
        images.append(img)
    return images


def write_png(job: Job, path_stem: Path, dpi: int = 100) -> list[Path]:
    """Write ``<stem>.png`` (or ``<stem>-p1.png`` ... for several sheets); returns the paths."""
    images = render_images(job, dpi)
    paths = []
    for i, img in enumerate(images, 1):
        path = path_stem.with_name(path_stem.name + (f"-p{i}" if len(images) > 1 else "") + ".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not img.save(str(path), "PNG"):
            raise RenderError(f"无法写入PNG文件：{path}")
        paths.append(path)
    return paths


def write_pdf(job: Job, path: Path) -> Path:
    """Write every sheet of ``job`` to one PDF (vector text with the pinned font embedded)."""
    ensure_app()
    path.parent.mkdir(parents=True, exist_ok=True)
    sheets = _sheets(job)
    writer = QPdfWriter(str(path))
    writer.setResolution(PDF_DPI)
    writer.setTitle(job.title)
    writer.setCreator("hospital-ebill print_templates")
    ppm = PDF_DPI / MM_PER_INCH
    p: QPainter | None = None
    for index, (w_mm, h_mm) in enumerate(sheets):
        writer.setPageSize(QPageSize(QSizeF(w_mm, h_mm), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.ExactMatch))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0))
        if p is None:
            p = QPainter(writer)
            if not p.isActive():
                raise RenderError(f"无法写入PDF文件：{path}")
        else:
            writer.newPage()
        _paint(p, job, index, ppm, snap=False)
    if p is not None:
        p.end()
    if not path.is_file():
        raise RenderError(f"无法写入PDF文件：{path}")
    return path
