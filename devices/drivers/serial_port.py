"""What every pyserial-based driver shares: the guarded import, the errors a vanishing port
raises, and opening/closing the configured port on the device's own thread."""

from __future__ import annotations

from typing import Any

from devices.errors import DeviceDisconnected, DeviceNotFound
from devices.io_thread import assert_in_device_thread

try:
    import termios  # pyserial lets termios.error (not an OSError) escape when a pty vanishes

    _TERMIOS_ERRORS: tuple[type[BaseException], ...] = (termios.error,)
except ImportError:  # Windows
    _TERMIOS_ERRORS = ()

try:
    import serial
except ImportError:  # pragma: no cover
    serial = None

#: Everything a serial read, write or open raises when the port is missing or goes away.
SERIAL_ERRORS: tuple[type[BaseException], ...] = (
    ((serial.SerialException,) if serial is not None else ()) + (OSError,) + _TERMIOS_ERRORS
)


class SerialPortMixin:
    """Open ``config.port`` at ``config.baudrate`` (short read timeout; drivers poll with deadlines).

    Mixed in before the role class; the driver's config needs ``port`` and ``baudrate``.
    """

    config: Any
    label: str
    _ser: Any = None
    _open: bool

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
        except SERIAL_ERRORS as exc:
            raise DeviceNotFound(self.label, self.config.port) from exc

    def _close_device(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            ser.close()

    def _lost(self, exc: BaseException) -> DeviceDisconnected:
        """The port vanished mid-operation: mark the device closed, release the port, and say so
        (the next open works once the port is back)."""
        self._open = False
        try:
            self._close_device()
        except OSError:
            pass
        return DeviceDisconnected(self.label, self.config.port)
