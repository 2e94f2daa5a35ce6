"""Touch widgets of the kiosk: big buttons, choice lists, a menu grid, the on-screen keypad, a QR view.

Sizes and colours come from the theme's stylesheet through the dynamic ``role`` property
(kiosk_app.theme); nothing here sets a font size or a colour of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from billing_core.qr_image import qr_png
from qt_common.qt import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPixmap,
    QPushButton,
    QSizePolicy,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)


def with_role(w: QWidget, role: str) -> QWidget:
    """Give ``w`` a stylesheet role (re-polished so a later change of role shows)."""
    w.setProperty("role", role)
    w.style().unpolish(w)
    w.style().polish(w)
    return w


def label(text: str = "", role: str = "", *, wrap: bool = True, name: str = "") -> QLabel:
    """A label with a role; word-wrapped by default (Chinese lines break anywhere)."""
    lab = QLabel(text)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    if role:
        lab.setProperty("role", role)
    if name:
        lab.setObjectName(name)
    return lab


def button(text: str, on_click: Callable[[], None] | None = None, *, role: str = "",
           name: str = "") -> QPushButton:
    """A big touch button."""
    b = QPushButton(text)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # touch screen: no focus frames
    b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    if role:
        b.setProperty("role", role)
    if name:
        b.setObjectName(name)
    if on_click is not None:
        b.clicked.connect(lambda _checked=False: on_click())
    return b


def card(role: str = "card") -> tuple[QFrame, QVBoxLayout]:
    """A framed white panel and its layout."""
    f = QFrame()
    f.setProperty("role", role)
    lay = QVBoxLayout(f)
    lay.setContentsMargins(24, 16, 24, 16)
    lay.setSpacing(12)
    return f, lay


@dataclass(frozen=True, slots=True)
class Choice:
    """One tappable row: ``key`` is handed back, ``reason`` explains a disabled row."""

    key: str
    text: str
    detail: str = ""
    enabled: bool = True
    reason: str = ""


class ChoiceList(QWidget):
    """A column of big buttons, one per choice; a disabled one shows its reason beneath."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, columns: int = 1, role: str = "") -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(16)
        self._columns = columns
        self._role = role
        self.buttons: dict[str, QPushButton] = {}

    def set_choices(self, choices: Sequence[Choice]) -> None:
        """Replace the rows."""
        self.clear()
        for n, c in enumerate(choices):
            text = c.text + (f"\n{c.detail}" if c.detail else "")
            if not c.enabled and c.reason:
                # a reason is a sentence: one clause per line so a tile never grows past its column
                text += "\n" + c.reason.replace("，", "，\n")
            b = button(text, lambda k=c.key: self.chosen.emit(k), role=self._role, name=f"choice_{c.key}")
            b.setEnabled(c.enabled)
            self._grid.addWidget(b, n // self._columns, n % self._columns)
            self.buttons[c.key] = b
        for col in range(self._columns):
            self._grid.setColumnStretch(col, 1)  # equal columns whatever the texts

    def clear(self) -> None:
        """Remove every row (no patient data stays behind in hidden buttons)."""
        for b in self.buttons.values():
            self._grid.removeWidget(b)
            b.setParent(None)
            b.deleteLater()
        self.buttons = {}


class Keypad(QWidget):
    """Digits for phone numbers, ID numbers (with X) and amounts (with a point), typing into ``target``."""

    def __init__(self, target: QLineEdit, *, extra: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = target
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", extra or "清空", "0", "退格"]
        self.keys: dict[str, QPushButton] = {}
        for n, k in enumerate(keys):
            b = button(k, lambda k=k: self.press(k), role="key", name=f"key_{k}")
            grid.addWidget(b, n // 3, n % 3)
            self.keys[k] = b

    def set_target(self, target: QLineEdit) -> None:
        """Type into another field from now on."""
        self.target = target

    def press(self, key: str) -> None:
        """One key press (tests call it as a tap would)."""
        t = self.target
        if key == "退格":
            t.backspace()
        elif key == "清空":
            t.clear()
        elif t.maxLength() <= 0 or len(t.text()) < t.maxLength():
            t.insert(key)


def entry(placeholder: str, max_len: int, name: str) -> QLineEdit:
    """A read-only-for-keyboards field filled by the keypad (a kiosk has no keyboard)."""
    e = QLineEdit()
    e.setPlaceholderText(placeholder)
    e.setMaxLength(max_len)
    e.setObjectName(name)
    e.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return e


class QrView(QLabel):
    """A QR code drawn from its text (billing_core.qr_image), big enough to scan from a phone."""

    def __init__(self, side: int = 420, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._side = side
        self.payload = ""
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(side, side)

    def show_text(self, payload: str) -> None:
        """Draw ``payload``; an empty text clears the picture."""
        self.payload = payload
        if not payload:
            self.clear()
            return
        pix = QPixmap()
        pix.loadFromData(qr_png(payload, scale=8, border=4))
        self.setPixmap(pix.scaled(self._side, self._side, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.FastTransformation))


def row(*widgets: QWidget, spacing: int = 16) -> QWidget:
    """Widgets side by side in one line."""
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(spacing)
    for x in widgets:
        lay.addWidget(x)
    return w
