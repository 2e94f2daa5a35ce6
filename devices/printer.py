"""Printer roles: the thermal receipt printer and the pre-numbered bill (form) printer.

The receipt printer renders the printer-neutral :class:`billing_core.printjob.PrintJob` built by
print_templates. The bill printer prints a :class:`FormPage`: text at millimetre positions on a
pre-printed, pre-numbered form, shifted by a per-terminal calibration offset from config.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from enum import Enum

from billing_core.printjob import PrintJob
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


@dataclass(frozen=True, slots=True)
class FormField:
    """One value printed at a position on a form (millimetres from the top-left corner)."""

    x_mm: float
    y_mm: float
    text: str
    size_pt: float = 10.0
    bold: bool = False


@dataclass(slots=True)
class FormPage:
    """One pre-printed form (e.g. a 241 x 93 mm outpatient bill) and the values to print on it."""

    title: str
    width_mm: float
    height_mm: float
    fields: list[FormField] = field(default_factory=list)

    def add(self, x_mm: float, y_mm: float, text: str, size_pt: float = 10.0, bold: bool = False) -> FormPage:
        """Append a field; returns self for chaining."""
        self.fields.append(FormField(x_mm, y_mm, text, size_pt, bold))
        return self


class BillPrinter(Device):
    """Role: the bill (form) printer, usually a dot-matrix printer behind the OS spooler."""

    role = "bill_printer"
    label = "票据打印机"

    @abstractmethod
    def print_forms(self, pages: list[FormPage]) -> None:
        """Print the pages as one job (one sheet each)."""
