"""Keyboard-wedge scanner filter: tells a scan from typing and hands the code over whole.

A wedge scanner "types" its code followed by Enter a few ms per key. The Qt-free
:class:`devices.scanner.KeyBurstDetector` decides from key times alone; this event filter feeds it
every printable key and Enter of the window and, on a scan, swallows the Enter and emits
``scanned(code)`` so the window can look the bill up instead of submitting a half-filled form.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.scanner import KeyBurstDetector
from qt_common.qt import QElapsedTimer, QEvent, QKeyEvent, QLineEdit, QObject, Qt, Signal


class WedgeScannerFilter(QObject):
    """Install on the application (or a window) with ``installEventFilter``."""

    scanned = Signal(str)

    def __init__(self, parent: QObject | None = None, max_gap_ms: float = 30.0, min_length: int = 6,
                 accept: Callable[[str], bool] | None = None) -> None:
        """:param accept: which bursts this window handles (e.g. e-bill QR texts); any other burst
            — a card number from a wedge reader, text pasted by a tool — is left to the field."""
        super().__init__(parent)
        self.detector = KeyBurstDetector(max_gap_ms, min_length)
        self._accept = accept or (lambda _code: True)
        self._timer = QElapsedTimer()
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if isinstance(watched, QLineEdit) and watched.echoMode() != QLineEdit.EchoMode.Normal:
            return False  # never look at passwords
        now = float(self._timer.elapsed())
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            code = self.detector.enter(now)
            if code and self._accept(code):
                self.scanned.emit(code)
                return True
            return False
        text = event.text()
        if text and text.isprintable():
            self.detector.key(text, now)
        return False
