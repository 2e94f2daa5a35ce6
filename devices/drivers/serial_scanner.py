"""Serial QR / barcode scanner driver (USB-CDC /dev/ttyACM* or RS-232), pyserial.

The scanner sends each decoded code as one line ending in CR, LF or CRLF (specs/devices.md §6).
Serial mode does not depend on window focus, so it is the robust choice for kiosks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from devices.drivers.serial_port import SERIAL_ERRORS, SerialPortMixin
from devices.errors import DeviceTimeout
from devices.io_thread import runs_in_device_thread
from devices.scanner import Scanner


@dataclass(frozen=True, slots=True)
class SerialScannerConfig:
    """``[devices.scanner]`` with ``driver = "serial"``."""

    port: str
    baudrate: int = 9600
    encoding: str = "utf-8"


class SerialScanner(SerialPortMixin, Scanner):
    """Reads CR/LF-terminated codes from a serial port."""

    driver = "serial"

    def __init__(self, name: str, config: SerialScannerConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._ser: Any = None
        self._pending = b""

    def _open_device(self) -> None:
        super()._open_device()
        self._pending = b""

    @runs_in_device_thread
    def read_code(self, timeout: float) -> str:
        """Return the next non-empty line (without its terminator)."""
        self._require_open()
        deadline = time.monotonic() + timeout
        while True:
            self._pending = self._pending.lstrip(b"\r\n")  # CRLF leaves an empty line behind
            idx = min((i for i in (self._pending.find(b"\r"), self._pending.find(b"\n")) if i >= 0),
                      default=-1)
            if idx > 0:
                line, self._pending = self._pending[:idx], self._pending[idx + 1:]
                return line.decode(self.config.encoding, errors="replace").strip()
            if time.monotonic() > deadline:
                raise DeviceTimeout(self.label, "未扫描到条码")
            try:
                self._pending += self._ser.read(256)
            except SERIAL_ERRORS as exc:
                raise self._lost(exc) from exc
