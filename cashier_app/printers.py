"""The window's printers: notices on the receipt printer, paper bills to PDF (and previews).

The receipt printer is the devices layer's python-escpos driver (TCP / serial / file); every call
into it runs on its device thread and is started from a task thread, never the GUI thread. Paper
bills are drawn with QPainter on the 241 x 93 mm form (QPdfWriter for the PDF "printer", QImage for
the on-screen preview). print_templates' paper-bill template will replace the field layout of
workflows.cashier.documents when it lands.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from billing_core.printjob import PrintJob
from qt_common.qt import QImage, QMarginsF, QPageLayout, QPageSize, QPainter, QPdfWriter, QSizeF, Qt
from workflows.cashier.documents import paper_form_fields
from workflows.cashier.records import BillRecord

FORM_W_MM, FORM_H_MM = 241.0, 93.0


class WindowPrinters:
    """Printers of one window.

    :param receipt: a devices ReceiptPrinter (opened lazily), or None when the window has none.
    :param pdf_dir: where paper bills are written as PDF.
    """

    def __init__(self, receipt: Any | None, pdf_dir: str | Path, hospital: str) -> None:
        self.receipt = receipt
        self.pdf_dir = Path(pdf_dir)
        self.hospital = hospital
        self.printed: list[str] = []  # titles of jobs sent, for the status line and tests

    @property
    def receipt_label(self) -> str:
        return self.receipt.address() if self.receipt is not None else "未配置"

    def print_job(self, job: PrintJob) -> None:
        """Print on the receipt printer (call from a worker thread)."""
        if self.receipt is None:
            from workflows.cashier.errors import CashierError

            raise CashierError("本窗口未配置收据打印机", code="E5800")
        if not self.receipt.is_open:
            self.receipt.open()
        self.receipt.print_job(job)
        self.printed.append(job.title)

    def printer_state(self) -> tuple[str, str]:
        """``(text, state)`` for the status bar (call from a worker thread)."""
        if self.receipt is None:
            return "未配置", "warn"
        try:
            if not self.receipt.is_open:
                self.receipt.open()
            st = self.receipt.status()
        except Exception as exc:  # any device error means "not ready"; its message is shown
            return getattr(exc, "message", "离线"), "bad"
        if not st.online:
            return "离线", "bad"
        if st.paper.value == "out":
            return "缺纸", "bad"
        if st.paper.value == "near_end":
            return "纸将尽", "warn"
        return "就绪", "ok"

    def shutdown(self) -> None:
        """Close the receipt printer and stop its device thread — from a helper thread, since
        closing talks to the device and the caller may be the GUI thread (qt_common.guard)."""
        if self.receipt is None:
            return
        t = threading.Thread(target=self.receipt.shutdown, name="printer-shutdown")
        t.start()
        t.join(10)

    def paper_pdf(self, rec: BillRecord) -> Path:
        """Render the paper bill of ``rec`` to ``<pdf_dir>/<paper no>.pdf``."""
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        path = self.pdf_dir / f"paper_{rec.paper_batch_code}_{rec.paper_no}.pdf"
        writer = QPdfWriter(str(path))
        writer.setResolution(300)
        writer.setPageLayout(QPageLayout(QPageSize(QSizeF(FORM_W_MM, FORM_H_MM), QPageSize.Unit.Millimeter),
                                         QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
        writer.setTitle(f"纸质票据 {rec.paper_no}")
        painter = QPainter(writer)
        try:
            self._draw(painter, rec, writer.resolution() / 25.4)
        finally:
            painter.end()
        return path

    def paper_preview(self, rec: BillRecord, dpmm: float = 4.0) -> QImage:
        """The paper bill as an image (preview before printing)."""
        img = QImage(int(FORM_W_MM * dpmm), int(FORM_H_MM * dpmm), QImage.Format.Format_RGB32)
        img.fill(Qt.GlobalColor.white)
        painter = QPainter(img)
        try:
            painter.setPen(Qt.GlobalColor.lightGray)
            painter.drawRect(0, 0, img.width() - 1, img.height() - 1)
            self._draw(painter, rec, dpmm)
        finally:
            painter.end()
        return img

    def _draw(self, painter: QPainter, rec: BillRecord, dpmm: float) -> None:
        painter.setPen(Qt.GlobalColor.black)
        font = painter.font()
        for x, y, text, pt in paper_form_fields(rec, self.hospital):
            # Point size in device pixels: 1 pt = 0.3528 mm.
            font.setPixelSize(max(6, int(pt * 0.3528 * dpmm)))
            painter.setFont(font)
            painter.drawText(int(x * dpmm), int(y * dpmm), text)
