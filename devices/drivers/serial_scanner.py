"""Serial QR / barcode scanner driver (USB-CDC /dev/ttyACM* or RS-232), pyserial.

The scanner sends each decoded code as one line ending in CR, LF or CRLF (specs/devices.md §6).
Serial mode does not depend on window focus, so it is the robust choice for kiosks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from devices.errors import DeviceDisconnected, DeviceNotFound, DeviceTimeout
from devices.io_thread import assert_in_device_thread, runs_in_device_thread
from devices.scanner import Scanner

try:
    import termios  # pyserial lets termios.error (not an OSError) escape when a pty vanishes

    _TERMIOS_ERRORS: tuple[type[BaseException], ...] = (termios.error,)
except ImportError:  # Windows
    _TERMIOS_ERRORS = ()

try:
    import serial
except ImportError:  # pragma: no cover
    serial = None


@dataclass(frozen=True, slots=True)
class SerialScannerConfig:
    """``[devices.scanner]`` with ``driver = "serial"``."""

    port: str
    baudrate: int = 9600
    encoding: str = "utf-8"


class SerialScanner(Scanner):
    """Reads CR/LF-terminated codes from a serial port."""

    driver = "serial"

    def __init__(self, name: str, config: SerialScannerConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._ser: Any = None
        self._pending = b""

    @classmethod
    def is_usable(cls) -> bool:
        """pyserial is importable."""
        return serial is not None

    def address(self) -> str:
        """The serial port."""
        return f"serial:{self.config.port}"

    def _open_device(self) -> None:
        assert_in_device_thread(self)
        try:
            self._ser = serial.Serial(self.config.port, self.config.baudrate, timeout=0.05)
        except (serial.SerialException, OSError, *_TERMIOS_ERRORS) as exc:
            raise DeviceNotFound(self.label, self.config.port) from exc
        self._pending = b""

    def _close_device(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            ser.close()

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
            except (serial.SerialException, OSError, *_TERMIOS_ERRORS) as exc:
                self._open = False
                self._close_device()
                raise DeviceDisconnected(self.label, self.config.port) from exc
