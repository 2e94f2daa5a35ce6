"""Scanner role (QR / barcode), the payload parsers and the Qt-free keyboard-wedge burst detector.

Scanners come in two kinds (specs/devices.md §6): serial (USB-CDC / RS-232, lines ending in CR or
CRLF; ``devices.drivers.serial_scanner``) and keyboard wedge (the scanner "types" the code and
Enter). For the wedge kind the Qt event filter lives in qt_common; it feeds key presses to
:class:`KeyBurstDetector`, which tells a scan (keys a few ms apart, ending in Enter) from a
person typing.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from dataclasses import dataclass

from billing_core.errors import BillingError
from billing_core.qr_payload import BillQr
from billing_core.qr_payload import parse as parse_bill_qr
from devices.base import Device
from devices.errors import UnknownScanPayload


class Scanner(Device):
    """Role: a QR / barcode scanner delivering decoded text."""

    role = "scanner"
    label = "扫码器"

    @abstractmethod
    def read_code(self, timeout: float) -> str:
        """Block until a code is scanned; raises DeviceTimeout after ``timeout`` seconds."""


# --- payload parsers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InsuranceVoucher:
    """A scanned medical-insurance e-voucher (医保电子凭证) QR code.

    The text is opaque to us: it is handed to the insurance e-voucher service, which resolves the
    person (``mdtrt_cert_type`` = ``"01"``, specs/devices.md §6).
    """

    code: str
    mdtrt_cert_type: str = "01"


@dataclass(frozen=True, slots=True)
class EBillCode:
    """A scanned e-bill QR code (billing_core.qr_payload format)."""

    bill: BillQr


# The e-voucher QR is a token of URL-safe / base64 characters; real ones are 20-300 chars long
# (public HIS code). Anything shorter or with other characters is not a voucher.
_VOUCHER = re.compile(r"^[0-9A-Za-z+/=:._\-]{16,512}$")


def parse_scan(text: str) -> InsuranceVoucher | EBillCode:
    """Classify a scanned text.

    :raises UnknownScanPayload: (E6201) when it is neither an e-bill QR nor an e-voucher.
    """
    text = text.strip()
    if text.startswith("01,"):
        try:
            return EBillCode(parse_bill_qr(text))
        except BillingError as exc:
            raise UnknownScanPayload(Scanner.label, "电子票据二维码内容不完整") from exc
    if _VOUCHER.match(text):
        return InsuranceVoucher(text)
    raise UnknownScanPayload(Scanner.label)


# --- keyboard wedge ---------------------------------------------------------------------------


class KeyBurstDetector:
    """Tells a keyboard-wedge scan from human typing, from key times alone (no Qt).

    A scan is at least ``min_length`` characters, each no more than ``max_gap_ms`` after the
    previous one, followed by Enter (also within ``max_gap_ms``). Scanners send a key every few
    ms; people rarely type faster than 50 ms per key (specs/devices.md §6).

    :param max_gap_ms: largest gap between keys of one scan.
    :param min_length: shortest code accepted as a scan.
    """

    def __init__(self, max_gap_ms: float = 30.0, min_length: int = 6) -> None:
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self._chars: list[str] = []
        self._last_ms: float | None = None
        self._fast = True

    def reset(self) -> None:
        """Forget the keys seen so far."""
        self._chars.clear()
        self._last_ms = None
        self._fast = True

    def key(self, char: str, t_ms: float) -> None:
        """Record a printable key pressed at time ``t_ms`` (milliseconds, monotonic)."""
        if self._last_ms is not None and t_ms - self._last_ms > self.max_gap_ms:
            # A slow gap: whatever came before was typed by hand; start a new candidate burst.
            self._chars.clear()
            self._fast = True
        self._chars.append(char)
        self._last_ms = t_ms

    def enter(self, t_ms: float) -> str | None:
        """Record Enter at ``t_ms``; returns the scanned code if the keys were a scan, else None.

        The caller swallows the Enter (and may remove the typed text) only when a code is returned.
        """
        chars, last = "".join(self._chars), self._last_ms
        self.reset()
        if last is None or t_ms - last > self.max_gap_ms or len(chars) < self.min_length:
            return None
        return chars

    @property
    def pending(self) -> str:
        """Keys of the current candidate burst."""
        return "".join(self._chars)
