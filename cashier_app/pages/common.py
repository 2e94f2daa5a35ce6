"""Small helpers shared by the pages: keyboard-first field chains, labelled rows, message lines."""

from __future__ import annotations

from collections.abc import Sequence

from qt_common.qt import QComboBox, QEvent, QLabel, QLineEdit, QObject, Qt, QWidget


class _EnterMovesOn(QObject):
    """Enter in a non-line-edit field (a combo box) moves focus on, like the line edits."""

    def __init__(self, target: QWidget | None, last: object) -> None:
        super().__init__()
        self._target, self._last = target, last

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._target is not None:
                self._target.setFocus()
            elif callable(self._last):
                self._last()
            return True
        return False


def chain_enter(fields: Sequence[QWidget], last: object = None) -> None:
    """Enter in each line edit moves focus to the next field (keyboard-first entry, issue 8 §2).

    :param last: called when Enter is pressed in the last field (e.g. jump to the item entry).
    """
    for i, w in enumerate(fields):
        nxt = fields[i + 1] if i + 1 < len(fields) else None
        if isinstance(w, QLineEdit):
            if nxt is not None:
                w.returnPressed.connect(lambda n=nxt: n.setFocus())
            elif callable(last):
                w.returnPressed.connect(last)
        else:
            filt = _EnterMovesOn(nxt, last)
            filt.setParent(w)
            w.installEventFilter(filt)


def line(placeholder: str = "", name: str = "") -> QLineEdit:
    """A line edit with a placeholder and object name (tests find widgets by name)."""
    w = QLineEdit()
    w.setPlaceholderText(placeholder)
    if name:
        w.setObjectName(name)
    return w


def combo(items: Sequence[tuple[str, str]], name: str = "") -> QComboBox:
    """A combo of ``(data, label)`` pairs."""
    w = QComboBox()
    for data, label in items:
        w.addItem(label, data)
    if name:
        w.setObjectName(name)
    return w


class MessageLine(QLabel):
    """A one-line result / hint under a form: green for done, red for problems."""

    def __init__(self, name: str = "") -> None:
        super().__init__()
        self.setWordWrap(True)
        if name:
            self.setObjectName(name)

    def ok(self, text: str) -> None:
        self.setText(f"<span style='color:#1b5e20'>✔ {text}</span>")

    def bad(self, text: str) -> None:
        self.setText(f"<span style='color:#b71c1c'>✘ {text}</span>")

    def info(self, text: str) -> None:
        self.setText(text)
