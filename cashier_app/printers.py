"""The window's printers: notices on the receipt printer, paper bills on the bill printer (and previews).

The receipt printer is the devices layer's python-escpos driver (TCP / serial / file); every call
into it runs on its device thread and is started from a task thread, never the GUI thread. Paper
bills are print_templates' paper-bill template: on the bill printer when the window has one
(``[devices.bill_printer] driver = "qprinter"``: the devices layer's QPrinter driver on the CUPS /
Windows queue, with the printer's calibration offset; the pre-printed form's background is not
printed), otherwise — or when the cashier asks for it — rendered to PDF by the QPainter renderer;
an image for the on-screen preview.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from billing_core.printjob import PrintJob
from print_templates.render_qt import render_images, write_pdf
from qt_common.qt import QImage
from workflows.documents import paper_job
from workflows.records import BillRecord


class WindowPrinters:
    """Printers of one window.

    :param receipt: a devices ReceiptPrinter (opened lazily), or None when the window has none.
    :param pdf_dir: where paper bills are written as PDF.
    """

    def __init__(self, receipt: Any | None, pdf_dir: str | Path, hospital: str, place_name: str = "",
                 bill: Any | None = None) -> None:
        self.receipt = receipt
        #: a devices BillPrinter (QtBillPrinter on a system queue), or None: paper bills go to PDF
        self.bill = bill
        self.pdf_dir = Path(pdf_dir)
        self.hospital = hospital
        self.place_name = place_name
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
        """Close the printers and stop their device threads — from a helper thread, since closing
        talks to the device and the caller may be the GUI thread (qt_common.guard)."""
        for device in (self.receipt, self.bill):
            if device is None:
                continue
            t = threading.Thread(target=device.shutdown, name="printer-shutdown")
            t.start()
            t.join(10)

    @property
    def bill_label(self) -> str:
        return self.bill.address() if self.bill is not None else "PDF"

    def paper_out(self, rec: BillRecord, *, pdf: bool = False) -> tuple[str, str]:
        """Print the paper bill of ``rec`` (call from a worker thread, after the platform accepted the
        number: write before print): on the bill printer, and also to PDF when ``pdf`` is set or the
        window has no bill printer. ``(printer address or "", PDF path or "")``."""
        printer = path = ""
        if self.bill is not None:
            if not self.bill.is_open:
                self.bill.open()
            job = paper_job(rec, self.hospital, place_name=self.place_name, background=False)
            job.title = f"paper_{rec.paper_batch_code}_{rec.paper_no}"
            self.bill.print_pages(job)
            self.printed.append(job.title)
            printer = str(self.bill.address())
        if pdf or self.bill is None:
            path = str(self.paper_pdf(rec))
        return printer, path

    def paper_pdf(self, rec: BillRecord) -> Path:
        """Render the paper bill of ``rec`` to ``<pdf_dir>/paper_<batch>_<no>.pdf`` (print_templates)."""
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        path = self.pdf_dir / f"paper_{rec.paper_batch_code}_{rec.paper_no}.pdf"
        return write_pdf(paper_job(rec, self.hospital, place_name=self.place_name), path)

    def paper_preview(self, rec: BillRecord, paper_no: str, paper_batch_code: str, dpi: int = 96) -> QImage:
        """The paper bill as it will print on ``paper_no`` (preview before printing)."""
        job = paper_job(rec, self.hospital, place_name=self.place_name, paper_no=paper_no,
                        paper_batch_code=paper_batch_code)
        return render_images(job, dpi)[0]
