"""A scanner fed from outside: keyboard-wedge codes pushed by the GUI's event filter, or codes
"scanned" from the demo menu. ``read_code`` blocks on a queue, so workflows treat it like the
serial scanner.
"""

from __future__ import annotations

import queue
from typing import Any

from devices.errors import DeviceTimeout
from devices.scanner import Scanner


class QueueScanner(Scanner):
    """Keyboard-wedge scanner: qt_common's event filter calls :meth:`push` with each detected burst."""

    driver = "wedge"

    def __init__(self, name: str, config: Any = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self._codes: queue.Queue[str] = queue.Queue()

    def address(self) -> str:
        """Keyboard input of the terminal's window."""
        return "keyboard"

    def _open_device(self) -> None:
        pass

    def _close_device(self) -> None:
        pass

    def push(self, code: str) -> None:
        """Deliver a scanned code (any thread)."""
        self._codes.put(code)

    def read_code(self, timeout: float) -> str:
        """Wait for the next pushed code. Not on the device thread: nothing physical to serialise."""
        self._require_open()
        try:
            return self._codes.get(timeout=timeout)
        except queue.Empty as exc:
            raise DeviceTimeout(self.label, "未扫描到条码") from exc
