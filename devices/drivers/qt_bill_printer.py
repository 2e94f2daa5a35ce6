"""Bill (form) printer driver: QPainter on a QPrinter — a named system printer (CUPS on Linux,
the Windows spooler) or a PDF file for previews. The only devices module allowed to import PySide6.

Pre-numbered bill forms sit in a dot-matrix printer driven by the OS driver (specs/devices.md §4):

* the page is the form's exact size (``QPageSize`` in mm), full-page, zero margins;
* every item is placed at its mm position converted to device pixels
  (``x_px = x_mm * resolution / 25.4``) — never ``QPainter.scale()`` to mm while fonts are in
  points, which scales the glyphs twice;
* a per-terminal calibration offset (``offset_x_mm``/``offset_y_mm``) shifts everything, because
  each printer's tractor feeds the form a little differently;
* a CJK font must be installed (fonts-wqy-microhei), or Chinese glyphs are blank.

QPainter needs a ``QGuiApplication``; the driver creates one (offscreen-capable) when the process
has none — do that from the main thread, i.e. construct the driver there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_core.printjob import Page, PageJob, PageLine, PageQr, PageRect, PageText
from devices.errors import DeviceNotFound, PrintFailed
from devices.io_thread import assert_in_device_thread, runs_in_device_thread
from devices.printer import BillPrinter

try:
    from PySide6.QtCore import QMarginsF, QPointF, QRectF, QSizeF, Qt
    from PySide6.QtGui import (
        QColor,
        QFont,
        QFontMetricsF,
        QGuiApplication,
        QPageLayout,
        QPageSize,
        QPainter,
        QPen,
    )
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
    from PySide6.QtWidgets import QApplication
except ImportError:  # pragma: no cover - the terminal's gui extra
    QPrinter = None

try:
    import qrcode  # comes with python-escpos
except ImportError:  # pragma: no cover
    qrcode = None

FONT_FAMILY = "WenQuanYi Micro Hei"


@dataclass(frozen=True, slots=True)
class QtBillPrinterConfig:
    """``[devices.bill_printer]`` with ``driver = "qprinter"``.

    :param printer_name: the system queue (e.g. CUPS ``billpdf``); empty with ``pdf_path`` set.
    :param pdf_path: write a PDF here instead of printing (previews).
    :param offset_x_mm: calibration shift to the right (negative: left).
    :param offset_y_mm: calibration shift down (negative: up).
    """

    printer_name: str = ""
    pdf_path: str = ""
    offset_x_mm: float = 0.0
    offset_y_mm: float = 0.0
    font_family: str = FONT_FAMILY


def ensure_qt_app() -> Any:
    """Return the process's Qt application, creating one when there is none.

    A QApplication (not just a QGuiApplication), so that a GUI created later in the same process
    (the apps, pytest-qt) can still make widgets.
    """
    app = QGuiApplication.instance()
    if app is None:
        app = QApplication([])
    return app


class QtBillPrinter(BillPrinter):
    """The QPrinter bill printer driver."""

    driver = "qprinter"

    def __init__(self, name: str, config: QtBillPrinterConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._app = ensure_qt_app() if QPrinter is not None else None

    @classmethod
    def is_usable(cls) -> bool:
        """PySide6's QtPrintSupport is importable."""
        return QPrinter is not None

    def address(self) -> str:
        """The queue or the PDF path."""
        if self.config.printer_name:
            return f"printer:{self.config.printer_name}"
        return f"pdf:{self.config.pdf_path}"

    def _info(self) -> Any:
        info = QPrinterInfo.printerInfo(self.config.printer_name)
        if info.isNull():
            raise DeviceNotFound(self.label, f"系统中没有打印机“{self.config.printer_name}”")
        return info

    def _open_device(self) -> None:
        assert_in_device_thread(self)
        if self.config.printer_name:
            self._info()
        elif not self.config.pdf_path:
            raise DeviceNotFound(self.label, "未配置打印机名称或PDF路径")

    def _close_device(self) -> None:
        pass

    def _printer(self, title: str) -> Any:
        if self.config.printer_name:
            printer = QPrinter(self._info(), QPrinter.PrinterMode.HighResolution)
        else:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(self.config.pdf_path)
        printer.setDocName(title)
        printer.setFullPage(True)
        return printer

    @staticmethod
    def _set_page(printer: Any, page: Page) -> None:
        size = QPageSize(QSizeF(page.width_mm, page.height_mm), QPageSize.Unit.Millimeter, "",
                         QPageSize.SizeMatchPolicy.ExactMatch)
        printer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0),
                                          QPageLayout.Unit.Millimeter))

    @runs_in_device_thread
    def print_pages(self, job: PageJob) -> None:
        """Paint every page of ``job`` and hand it to the spooler (or the PDF file)."""
        self._require_open()
        if not job.pages:
            raise PrintFailed(self.label, "没有可打印的页面")
        printer = self._printer(job.title)
        self._set_page(printer, job.pages[0])
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintFailed(self.label, "打印机无法开始打印")
        try:
            for i, page in enumerate(job.pages):
                if i:
                    self._set_page(printer, page)
                    printer.newPage()
                self._paint(painter, page, printer.resolution() / 25.4)
        finally:
            painter.end()

    def _paint(self, p: Any, page: Page, ppm: float) -> None:
        ox, oy = self.config.offset_x_mm, self.config.offset_y_mm
        for item in page.items:
            if isinstance(item, PageText):
                self._text(p, item, ppm, ox, oy)
            elif isinstance(item, PageLine):
                pen = QPen(QColor("black"), max(1.0, item.width_mm * ppm))
                if item.dashed:
                    pen.setStyle(Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawLine(QPointF((item.x1_mm + ox) * ppm, (item.y1_mm + oy) * ppm),
                           QPointF((item.x2_mm + ox) * ppm, (item.y2_mm + oy) * ppm))
            elif isinstance(item, PageRect):
                rect = QRectF((item.x_mm + ox) * ppm, (item.y_mm + oy) * ppm, item.width_mm * ppm,
                              item.height_mm * ppm)
                if item.filled:
                    p.fillRect(rect, QColor(220, 220, 220))
                p.setPen(QPen(QColor("black"), max(1.0, item.line_mm * ppm)))
                p.drawRect(rect)
            elif isinstance(item, PageQr):
                self._qr(p, item, ppm, ox, oy)

    def _text(self, p: Any, item: PageText, ppm: float, ox: float, oy: float) -> None:
        font = QFont(self.config.font_family)
        font.setPointSizeF(item.size_pt)
        font.setBold(item.bold)
        p.setPen(QColor("black"))
        x, y = (item.x_mm + ox) * ppm, (item.y_mm + oy) * ppm
        flags = {"left": Qt.AlignmentFlag.AlignLeft, "center": Qt.AlignmentFlag.AlignHCenter,
                 "right": Qt.AlignmentFlag.AlignRight}[item.align] | Qt.AlignmentFlag.AlignTop
        if item.width_mm > 0:
            box_w = item.width_mm * ppm
            box_h = (item.height_mm or 1000) * ppm
            if item.fit == "wrap":
                flags |= Qt.TextFlag.TextWordWrap
            else:
                # shrink until the line fits the box, but not below half the size (PageText doc)
                size = item.size_pt
                while size > item.size_pt / 2 and QFontMetricsF(font, p.device()).horizontalAdvance(
                        item.text) > box_w:
                    size -= 0.5
                    font.setPointSizeF(size)
            p.setFont(font)
            p.drawText(QRectF(x, y, box_w, box_h), int(flags), item.text)
            return
        p.setFont(font)
        metrics = QFontMetricsF(font, p.device())
        p.drawText(QPointF(x, y + metrics.ascent()), item.text)

    def _qr(self, p: Any, item: PageQr, ppm: float, ox: float, oy: float) -> None:
        if qrcode is None:  # pragma: no cover
            raise PrintFailed(self.label, "缺少二维码组件")
        qr = qrcode.QRCode(border=0)
        qr.add_data(item.data)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        n = len(matrix)
        cell = item.size_mm * ppm / n
        x0, y0 = (item.x_mm + ox) * ppm, (item.y_mm + oy) * ppm
        black = QColor("black")
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    p.fillRect(QRectF(x0 + c * cell, y0 + r * cell, cell, cell), black)

    @runs_in_device_thread
    def check(self) -> str:
        """Doctor probe: the queue exists (and is not in an error state)."""
        self._require_open()
        if not self.config.printer_name:
            return f"输出为PDF：{self.config.pdf_path}"
        info = self._info()
        state = info.state()
        if state == QPrinter.PrinterState.Error:
            raise PrintFailed(self.label, "打印队列处于错误状态")
        return f"打印队列“{self.config.printer_name}”可用"
