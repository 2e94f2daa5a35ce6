"""Keyboard-wedge scanner: Qt key events through an event filter into the Qt-free KeyBurstDetector.

The production event filter will live in qt_common; this test-only filter shows the detector
tells a scanner burst (keys ms apart + Enter) from a person typing (80 ms between keys).
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLineEdit

from devices.scanner import KeyBurstDetector

pytestmark = pytest.mark.gui


class WedgeFilter(QObject):
    """Feeds key presses to the detector; swallows the Enter that ends a scan."""

    def __init__(self) -> None:
        super().__init__()
        self.detector = KeyBurstDetector(max_gap_ms=50, min_length=6)
        self.scans: list[str] = []

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress:
            now = time.monotonic() * 1000
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                code = self.detector.enter(now)
                if code is not None:
                    self.scans.append(code)
                    return True
            elif event.text():
                self.detector.key(event.text(), now)
        return False


def test_scanner_burst_is_a_scan_human_typing_is_not(qtbot) -> None:  # type: ignore[no-untyped-def]
    edit = QLineEdit()
    qtbot.addWidget(edit)
    filt = WedgeFilter()
    edit.installEventFilter(filt)

    qtbot.keyClicks(edit, "EC1234567890ABCDEF")  # scanner speed: no delay between keys
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert filt.scans == ["EC1234567890ABCDEF"]

    edit.clear()
    qtbot.keyClicks(edit, "1234567", delay=80)  # a person typing
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert filt.scans == ["EC1234567890ABCDEF"]
    assert edit.text() == "1234567"  # the typed text stays in the field
