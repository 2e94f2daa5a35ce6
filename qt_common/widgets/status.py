"""Status-bar pieces: a labelled value with a state colour (ok / warn / bad)."""

from __future__ import annotations

from qt_common.qt import QLabel, QWidget

_COLORS = {"ok": "#1b5e20", "warn": "#e65100", "bad": "#b71c1c", "info": "#263238"}


class StatusPiece(QLabel):
    """``标题：值`` in the status bar; :meth:`set_value` recolours by state."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.value = ""
        self.state = "info"
        self.set_value("—")

    def set_value(self, value: str, state: str = "info") -> None:
        self.value, self.state = value, state
        self.setText(f"{self.title}：<b style='color:{_COLORS.get(state, _COLORS['info'])}'>{value}</b>")
        self.setToolTip(f"{self.title}：{value}")
