"""A horizontal bar chart drawn with QPainter: one bar per (label, amount), negative bars to the
left of the zero line. Enough for a report's "实收金额 per cashier / channel / type" at a glance,
without pulling QtCharts in; the figures themselves stay in the table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from qt_common.qt import QColor, QPainter, QPaintEvent, QRectF, QSize, Qt, QWidget

BAR = QColor("#1565c0")
NEGATIVE = QColor("#c62828")


class BarChart(QWidget):
    """Bars for ``points``; the title is drawn above them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ""
        self.points: list[tuple[str, Decimal]] = []
        self.setMinimumWidth(260)

    def set_points(self, title: str, points: Sequence[tuple[str, Decimal]]) -> None:
        """Replace the bars and repaint."""
        self.title = title
        self.points = list(points)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return QSize(360, 300)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        fm = p.fontMetrics()
        line = fm.height()
        p.setPen(QColor("#212121"))
        p.drawText(QRectF(0, 4, self.width(), line), Qt.AlignmentFlag.AlignHCenter, self.title)
        if not self.points:
            p.drawText(QRectF(0, 0, self.width(), self.height()), Qt.AlignmentFlag.AlignCenter, "无数据")
            p.end()
            return
        label_w = min(max(fm.horizontalAdvance(lb) for lb, _v in self.points) + 12, self.width() // 3)
        value_w = max(fm.horizontalAdvance(f"{v:,.2f}") for _lb, v in self.points) + 10
        top = line + 12
        row = min(max((self.height() - top - 6) / len(self.points), 8.0), 2.2 * line)
        lo = min([Decimal(0)] + [v for _lb, v in self.points])
        hi = max([Decimal(0)] + [v for _lb, v in self.points])
        span = float(hi - lo) or 1.0
        plot_x, plot_w = label_w, max(self.width() - label_w - value_w - 8, 20)
        zero_x = plot_x + plot_w * float(-lo) / span
        for i, (label, value) in enumerate(self.points):
            y = top + i * row
            p.setPen(QColor("#212121"))
            p.drawText(QRectF(2, y, label_w - 8, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(label, Qt.TextElideMode.ElideRight, int(label_w - 8)))
            w = plot_w * float(abs(value)) / span
            x = zero_x if value >= 0 else zero_x - w
            p.fillRect(QRectF(x, y + row * 0.15, max(w, 1.0), row * 0.7), BAR if value >= 0 else NEGATIVE)
            p.drawText(QRectF(plot_x + plot_w + 4, y, value_w, row),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{value:,.2f}")
        p.setPen(QColor("#757575"))
        p.drawLine(int(zero_x), top, int(zero_x), int(top + row * len(self.points)))
        p.end()
