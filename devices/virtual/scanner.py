"""Virtual scanner: the demo menu "scans" a code."""

from __future__ import annotations

from devices.queue_scanner import QueueScanner


class VirtualScanner(QueueScanner):
    """Codes come from :meth:`scan` (demo menu)."""

    driver = "virtual"

    def address(self) -> str:
        """Nothing physical."""
        return "virtual"

    def scan(self, code: str) -> None:
        """Deliver ``code`` as if it had been scanned."""
        self.push(code)
