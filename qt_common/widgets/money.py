"""A label that shows an amount the way bills print it (¥1,234.50), red when negative."""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import format_yuan, to_chinese_upper
from qt_common.qt import QLabel, QWidget


class MoneyLabel(QLabel):
    """Shows a Decimal amount; ``upper`` adds the capitalised form (大写) underneath."""

    def __init__(self, parent: QWidget | None = None, *, upper: bool = False, point_size: int = 14) -> None:
        super().__init__(parent)
        self._upper = upper
        self._pt = point_size
        self.amount = Decimal("0.00")
        self.set_amount(self.amount)

    def set_amount(self, amount: Decimal, *, warn: bool = False) -> None:
        """Display ``amount``; ``warn`` colours it (e.g. totals that do not match)."""
        self.amount = amount
        color = "#c62828" if warn or amount < 0 else "#1b5e20"
        text = f"<span style='font-size:{self._pt}pt;font-weight:bold;color:{color}'>{format_yuan(amount)}</span>"
        if self._upper:
            text += f"<br><span style='font-size:9pt;color:#555'>{to_chinese_upper(amount)}</span>"
        self.setText(text)
