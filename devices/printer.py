"""Printer roles: the thermal receipt printer and the pre-numbered bill (form) printer.

The receipt printer renders the printer-neutral :class:`billing_core.printjob.PrintJob` built by
print_templates. The bill printer prints a :class:`billing_core.printjob.PageJob`: items at
millimetre positions on pre-printed, pre-numbered forms, shifted by a per-terminal calibration
offset from config.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from enum import Enum

from billing_core.printjob import PageJob, PrintJob
from devices.base import Device


class PaperState(Enum):
    """Paper sensor reading (DLE EOT 4)."""

    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"  # the printer does not answer status queries


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the receipt printer says about itself."""

    online: bool
    paper: PaperState
    cover_open: bool = False


class ReceiptPrinter(Device):
    """Role: a thermal receipt printer."""

    role = "receipt_printer"
    label = "收据打印机"

    @abstractmethod
    def print_job(self, job: PrintJob) -> None:
        """Print a job; raises PaperOut / CoverOpen / DeviceDisconnected ..."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer for its status (``PaperState.UNKNOWN`` when it cannot answer)."""

    @abstractmethod
    def open_drawer(self) -> None:
        """Kick the cash drawer wired to the printer."""


class BillPrinter(Device):
    """Role: the bill (form) printer, usually a dot-matrix printer behind the OS spooler."""

    role = "bill_printer"
    label = "票据打印机"

    @abstractmethod
    def print_pages(self, job: PageJob) -> None:
        """Print the sheets of ``job`` as one spooler job, shifted by the calibration offset."""
