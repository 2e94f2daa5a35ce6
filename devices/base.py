"""The Device base class: explicit open/close, context manager, ``is_usable()``, one worker thread.

Every role (card reader, printer, camera ...) subclasses :class:`Device`; every driver subclasses
a role. Unlike python-escpos' ``device`` property, nothing opens implicitly on first access and
nothing closes in ``__del__``: callers ``open()`` and ``close()`` (or use ``with``), and an
operation on a closed device raises :class:`~devices.errors.DeviceNotOpen`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Self

from devices.errors import DeviceError, DeviceNotOpen, DeviceNotUsable
from devices.io_thread import DeviceWorker, runs_in_device_thread
from devices.prompter import NullPrompter, Prompter


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What the doctor and the IT screen show about one configured device."""

    name: str  # config key, e.g. "receipt_printer"
    role: str  # role id, e.g. "receipt_printer"
    label: str  # Chinese role label, e.g. "收据打印机"
    driver: str  # driver id, e.g. "escpos"
    address: str  # physical address, e.g. "tcp://127.0.0.1:9100"


class Device(ABC):
    """Base of every peripheral.

    :param name: the config key of this device (also names its worker thread).
    :param worker: the worker of the *physical* device; devices sharing hardware share one.
        A new worker is created when omitted.
    :param prompter: how to reach the person at the terminal.
    """

    #: Role id and Chinese label, set by each role class.
    role: ClassVar[str] = "device"
    label: ClassVar[str] = "设备"
    #: Driver id, set by each driver class (the ``driver`` key in config).
    driver: ClassVar[str] = "abstract"

    def __init__(
        self, name: str, *, worker: DeviceWorker | None = None, prompter: Prompter | None = None
    ) -> None:
        self.name = name
        self.worker = worker or DeviceWorker(name)
        self.prompter: Prompter = prompter or NullPrompter()
        self._open = False

    # --- capability ----------------------------------------------------------------------

    @classmethod
    def is_usable(cls) -> bool:
        """True when the driver's library and OS components are present (no hardware needed)."""
        return True

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True between a successful :meth:`open` and :meth:`close`."""
        return self._open

    @runs_in_device_thread
    def open(self) -> None:
        """Connect to the device; raises a :class:`DeviceError` (not found, not usable ...)."""
        if self._open:
            return
        if not self.is_usable():
            raise DeviceNotUsable(self.label)
        self._open_device()
        self._open = True

    @runs_in_device_thread
    def close(self) -> None:
        """Release the device; safe to call twice and after a failure."""
        if not self._open:
            return
        self._open = False
        try:
            self._close_device()
        except (OSError, DeviceError):
            pass  # the device may already be gone; closing must never fail

    def shutdown(self) -> None:
        """Close and stop the worker thread (at application exit)."""
        self.close()
        self.worker.shutdown()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _require_open(self) -> None:
        if not self._open:
            raise DeviceNotOpen(self.label)

    # --- what drivers implement ---------------------------------------------------------

    @abstractmethod
    def _open_device(self) -> None:
        """Open the underlying handle (runs on the device thread)."""

    @abstractmethod
    def _close_device(self) -> None:
        """Close the underlying handle (runs on the device thread)."""

    @abstractmethod
    def address(self) -> str:
        """Where the physical device is, for reports (e.g. ``serial:/dev/ttyUSB0``)."""

    def check(self) -> str:
        """Probe an open device for the doctor; returns a short Chinese status or raises.

        Drivers override this with a real probe (status query, SAM status ...).
        """
        self._require_open()
        return "正常"

    def info(self) -> DeviceInfo:
        """A :class:`DeviceInfo` describing this device."""
        return DeviceInfo(self.name, self.role, self.label, self.driver, self.address())
