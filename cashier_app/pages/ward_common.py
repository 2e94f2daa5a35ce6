"""Pieces shared by the ward pages: the context they receive, a QR label, a plain table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from billing_core.qr_image import qr_png
from qt_common.bridge import EventBridge
from qt_common.errors import ErrorPresenter
from qt_common.qt import (
    QAbstractItemView,
    QColor,
    QHeaderView,
    QLabel,
    QPixmap,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)
from qt_common.tasks import TaskRunner
from workflows.ward.builder import Ward


@dataclass(slots=True)
class WardContext:
    """What every ward page receives: the station, the task runner, errors, the event bridge."""

    ward: Ward
    tasks: TaskRunner
    errors: ErrorPresenter
    bridge: EventBridge


class QrLabel(QLabel):
    """A QR code drawn from its text (主扫: the patient scans it with the phone)."""

    def __init__(self, side: int = 220, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side, self.payload = side, ""
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(side, side)

    def show_text(self, payload: str) -> None:
        """Draw ``payload``; empty clears it."""
        self.payload = payload
        if not payload:
            self.clear()
            return
        pix = QPixmap()
        pix.loadFromData(qr_png(payload, scale=6, border=4))
        self.setPixmap(pix.scaled(self.side, self.side, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.FastTransformation))


def table(headers: Sequence[str], name: str) -> QTableWidget:
    """A read-only, row-selecting table."""
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(headers))
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.verticalHeader().setVisible(False)
    return t


def fill(t: QTableWidget, rows: Sequence[Sequence[str]], colour: Sequence[str | None] = ()) -> None:
    """Replace the rows; ``colour[i]`` paints row i's background (arrears red, low yellow)."""

    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c and text.replace(".", "", 1).lstrip("-").isdigit():
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r < len(colour) and colour[r]:
                item.setBackground(QColor(str(colour[r])))
            t.setItem(r, c, item)
