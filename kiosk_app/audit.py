"""Walk the window's widget tree and check what a patient meets: the three numbers of 长辈模式
(text >= 18 pt, touch targets >= 60x60 px, text contrast >= 4.5:1), nothing cut off, and no
patient data left behind after a reset (:func:`all_texts`).

Used by ``python -m kiosk_app.screenshots`` and tests/gui/kiosk; reads widgets only.
"""

from __future__ import annotations

from kiosk_app.theme import ELDERLY_MIN_PT, ELDERLY_MIN_TARGET, MIN_CONTRAST, contrast
from qt_common.qt import (
    QAbstractItemView,
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPalette,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QWidget,
)

TOUCH = (QPushButton, QCheckBox, QLineEdit)


def shown(win: QWidget) -> list[QWidget]:
    """Widgets the patient can see now (visible up to the window, with a size)."""
    return [w for w in win.findChildren(QWidget) if w.isVisibleTo(win) and w.width() > 0 and w.height() > 0]


def _text(w: QWidget) -> str:
    if isinstance(w, QLabel | QPushButton | QCheckBox | QLineEdit):
        return w.text()
    return ""


def _rgb(w: QWidget, role: QPalette.ColorRole) -> tuple[tuple[int, int, int], int]:
    group = QPalette.ColorGroup.Active if w.isEnabled() else QPalette.ColorGroup.Disabled
    c = w.palette().color(group, role)
    return (c.red(), c.green(), c.blue()), c.alpha()


def colours(w: QWidget) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(text colour, the colour behind it): a transparent background is the nearest opaque
    ancestor's (a label on a card shows the card)."""
    fg, _ = _rgb(w, w.foregroundRole())
    node: QWidget | None = w
    while node is not None:
        bg, alpha = _rgb(node, node.backgroundRole())
        if alpha == 255:
            return fg, bg
        node = node.parentWidget()
    return fg, (255, 255, 255)


def elderly_problems(win: QWidget) -> list[str]:
    """Every visible text below 18 pt, touch target below 60x60 px or contrast below 4.5:1."""
    problems = []
    for w in shown(win):
        text = _text(w).replace("\n", " ")[:24]
        if not text and not isinstance(w, QLineEdit):
            continue
        name = f"{type(w).__name__} {w.objectName() or text!r}"
        pt = w.font().pointSizeF()
        if pt < ELDERLY_MIN_PT:
            problems.append(f"{name}: {pt:g} pt < {ELDERLY_MIN_PT} pt")
        if isinstance(w, TOUCH) and (w.width() < ELDERLY_MIN_TARGET or w.height() < ELDERLY_MIN_TARGET):
            problems.append(f"{name}: touch target {w.width()}x{w.height()} < {ELDERLY_MIN_TARGET}x{ELDERLY_MIN_TARGET}")
        fg, bg = colours(w)
        ratio = contrast(fg, bg)
        if ratio < MIN_CONTRAST:
            problems.append(f"{name}: contrast {ratio:.2f}:1 ({fg} on {bg}) < {MIN_CONTRAST}:1")
    return problems


def _in_scroll(w: QWidget) -> bool:
    p = w.parentWidget()
    while p is not None:
        if isinstance(p, QScrollArea | QAbstractItemView):
            return True
        p = p.parentWidget()
    return False


def layout_problems(win: QWidget) -> list[str]:
    """Buttons and unwrapped labels squeezed below their size hint, widgets outside the window."""
    problems = []
    bounds = win.rect()
    for w in shown(win):
        rect = w.rect().translated(w.mapTo(win, w.rect().topLeft()))
        if not bounds.contains(rect) and not _in_scroll(w):
            problems.append(f"{type(w).__name__} {w.objectName() or _text(w)[:20]!r} outside the window: {rect}")
        if isinstance(w, QPushButton | QCheckBox) or (isinstance(w, QLabel) and not w.wordWrap()):
            hint = w.sizeHint()
            if w.width() + 1 < hint.width() or w.height() + 1 < min(hint.height(), 40):
                problems.append(f"{type(w).__name__} {_text(w)[:20]!r} cut: {w.width()}x{w.height()} "
                                f"< {hint.width()}x{hint.height()}")
    return problems


def all_texts(win: QWidget) -> list[str]:
    """Every text the widget tree holds, visible or not: labels, buttons, fields (and their
    placeholders), list and table items, window titles, tooltips."""
    out = [win.windowTitle()]
    for w in win.findChildren(QWidget):
        out += [_text(w), w.toolTip(), w.accessibleName()]
        if isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        if isinstance(w, QListWidget):
            out += [w.item(i).text() for i in range(w.count())]
        if isinstance(w, QTableWidget):
            out += [w.item(r, c).text() for r in range(w.rowCount()) for c in range(w.columnCount())
                    if w.item(r, c) is not None]
        if isinstance(w, QLabel) and w.pixmap() is not None and not w.pixmap().isNull():
            out.append(f"<pixmap {w.objectName()}>")
    return [t for t in out if t]
