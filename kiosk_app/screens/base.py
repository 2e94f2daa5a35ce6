"""What every kiosk screen shares: a title, a scrolling body, an inline message line, and
``clear()`` that forgets everything about the patient (the idle reset calls it on every screen).

Screens never call workflows: they show what they are given and emit signals for taps; the
controller (kiosk_app.controller) does the rest off the GUI thread.
"""

from __future__ import annotations

from kiosk_app.widgets import label
from qt_common.qt import QFrame, QLabel, QScrollArea, Qt, QVBoxLayout, QWidget


class Screen(QWidget):
    """Base of every screen.

    :cvar key: the screen's name in the window's stack.
    :cvar title: shown in the window header.
    :cvar idle_reset: the idle countdown may send the patient back from here.
    :cvar with_patient: the screen serves an identified patient (header greets, footer has 首页).
    """

    key = ""
    title = ""
    idle_reset = True
    with_patient = True

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName(f"screen_{self.key}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 16)
        outer.setSpacing(16)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(0, 0, 8, 0)
        self.body.setSpacing(20)
        self.scroll.setWidget(inner)
        outer.addWidget(self.scroll, 1)
        self.message: QLabel = label("", "warn", name="screenMessage")
        self.message.hide()
        outer.addWidget(self.message)

    def say(self, text: str, role: str = "warn") -> None:
        """Show a line under the body (a refusal, a hint); empty hides it."""
        self.message.setText(text)
        self.message.setProperty("role", role)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setVisible(bool(text))

    def clear(self) -> None:
        """Forget the patient's data shown here (override and call super())."""
        self.say("")

    def entered(self) -> None:
        """Called when the screen becomes current (override to reset scrolling, focus ...)."""
        self.scroll.verticalScrollBar().setValue(0)
