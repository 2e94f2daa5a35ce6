"""A read-only table of rows of text (bills, report lines), sized for 1366x768 and 200 % scaling."""

from __future__ import annotations

from collections.abc import Sequence

from qt_common.qt import QAbstractItemView, QHeaderView, Qt, QTableWidget, QTableWidgetItem, QWidget


class BillTable(QTableWidget):
    """Columns by header; rows replaced with :meth:`set_rows`; numbers right-aligned.

    :param stretch: the column that takes the spare width (others fit their contents).
    """

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None, *, stretch: int = -1,
                 checkable: bool = False) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        head = self.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(stretch if stretch >= 0 else len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        self._checkable = checkable

    def set_headers(self, headers: Sequence[str], stretch: int = -1) -> None:
        """New columns (a table whose columns change, e.g. one report after another): rows cleared,
        every column fitted to its contents, ``stretch`` (default the last) taking the spare width."""
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(list(headers))
        head = self.horizontalHeader()
        for c in range(len(headers)):
            head.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        if headers:
            head.setSectionResizeMode(stretch if stretch >= 0 else len(headers) - 1, QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        """Replace every row."""
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(str(value))
                if _numeric(str(value)):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 0 and self._checkable:
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Unchecked)
                self.setItem(r, c, item)

    def checked_rows(self) -> list[int]:
        """Rows whose first cell is checked."""
        return [r for r in range(self.rowCount())
                if self.item(r, 0) is not None and self.item(r, 0).checkState() == Qt.CheckState.Checked]

    def cell_text(self, row: int, col: int) -> str:
        item = self.item(row, col)
        return item.text() if item is not None else ""


def _numeric(text: str) -> bool:
    t = text.replace(",", "").replace("¥", "").lstrip("-")
    return bool(t) and t.replace(".", "", 1).isdigit() and "." in t
