"""Building blocks shared by the thermal-roll documents (notice, receipts, slips, daily report).

Every line is laid out on the half-width column grid of billing_core.printjob (CJK = 2 columns):
labels and values are :class:`~billing_core.printjob.Row` cells that wrap inside their share,
so a 40-character name on 58 mm paper wraps instead of overflowing 32 columns.
"""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import format_yuan
from billing_core.printjob import (
    COLUMNS_BY_WIDTH_MM,
    Align,
    Column,
    Cut,
    Feed,
    PrintJob,
    QrCode,
    Row,
    Rule,
    Text,
)
from print_templates.errors import PaperWidthError
from print_templates.model import InsuranceSplit, PayChannel


def check_width(width_mm: int) -> int:
    """The roll width if supported (58 or 80 mm), else PaperWidthError."""
    if width_mm not in COLUMNS_BY_WIDTH_MM:
        raise PaperWidthError(f"不支持{width_mm}毫米打印纸，只支持58或80毫米")
    return width_mm


class ThermalBuilder:
    """A :class:`PrintJob` under construction with the house layout of our receipts."""

    def __init__(self, title: str, width_mm: int) -> None:
        self.job = PrintJob(title=title, width_mm=check_width(width_mm))

    def header(self, hospital: str, title: str) -> ThermalBuilder:
        """Hospital name and the document title, centred."""
        self.job.add(Text(hospital, align="center", bold=True), Text(title, align="center", bold=True, scale=2),
                     Rule("="))
        return self

    def banner(self, text: str) -> ThermalBuilder:
        """A prominent double-size line between rules (EMERGENCY, red bill)."""
        self.job.add(Rule("*"), Text(text, align="center", bold=True, scale=2), Rule("*"))
        return self

    def text(self, text: str, *, bold: bool = False, align: Align = "left") -> ThermalBuilder:
        """A wrapped paragraph."""
        self.job.add(Text(text, bold=bold, align=align))
        return self

    def kv(self, label: str, value: str, *, bold: bool = False) -> ThermalBuilder:
        """``label：value`` with the value wrapping in its own column (labels up to 5 CJK)."""
        self.job.add(Row((Column(label + "：", 6), Column(value, 13)), bold=bold))
        return self

    def money(self, label: str, value: Decimal, *, bold: bool = False) -> ThermalBuilder:
        """A label on the left and a right-aligned ``¥`` amount."""
        self.job.add(Row((Column(label, 3), Column(format_yuan(value), 2, "right")), bold=bold))
        return self

    def items(self, rows: list[tuple[str, str, Decimal]], *, head: tuple[str, str, str]) -> ThermalBuilder:
        """An item table (name | quantity | amount); names wrap inside their column."""
        self.job.add(Row((Column(head[0], 5), Column(head[1], 2, "right"), Column(head[2], 3, "right")),
                         bold=True))
        for name, qty, amt in rows:
            self.job.add(Row((Column(name, 5), Column(qty, 2, "right"), Column(format_yuan(amt), 3, "right"))))
        return self

    def channels(self, channels: tuple[PayChannel, ...]) -> ThermalBuilder:
        """Payment channels and their amounts."""
        for ch in channels:
            self.money(f"支付方式：{ch.name}", ch.amount)
        return self

    def insurance(self, split: InsuranceSplit) -> ThermalBuilder:
        """The insurance split block, printed only when insurance paid a part."""
        if not split.insured:
            return self
        self.rule()
        self.text("医保结算信息", bold=True)
        if split.care_type:
            self.kv("医保类型", split.care_type)
        for label, value in split.rows():
            self.money(label, value)
        return self

    def qr(self, data: str, caption: str, size_mm: int = 30) -> ThermalBuilder:
        """A centred QR code with a caption below."""
        self.job.add(QrCode(data, size_mm=size_mm, caption=caption))
        return self

    def rule(self, char: str = "-") -> ThermalBuilder:
        """A separator line."""
        self.job.add(Rule(char))
        return self

    def finish(self) -> PrintJob:
        """Feed past the cutter and cut."""
        self.job.add(Feed(3), Cut())
        return self.job


def mark_reprint(job: PrintJob, reason: str, copy_no: int = 2) -> PrintJob:
    """Mark a reprinted thermal document (DESIGN §3: a print job that died is reprinted from the
    store, marked as a reprint): a bold line under the title with the copy number and reason."""
    mark = Text(f"【补打】第{copy_no}次打印  原因：{reason}", align="center", bold=True)
    index = next((i + 1 for i, el in enumerate(job.elements) if isinstance(el, Rule)), 0)
    job.elements.insert(index, mark)
    return job
