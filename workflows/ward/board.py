"""The ward list (病区一览): each inpatient's deposit balance against the hospital's minimum.

balance = deposit paid - fees so far (the HIS's ``deposit`` and ``totalFees`` of the stay). A
balance below the minimum is 余额不足; below zero is 欠费 (arrears). The suggested collection
brings the balance back to the minimum, to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from print_templates.masking import mask_name
from workflows.his import Inpatient

OK, LOW, ARREARS = "ok", "low", "arrears"
STATUS_TEXT = {OK: "正常", LOW: "余额不足", ARREARS: "欠费"}


@dataclass(frozen=True, slots=True)
class WardRow:
    """One bed of the ward list (the name masked for the screen)."""

    admission_no: str
    patient_id: str
    name: str
    dept_name: str
    bed: str
    admitted_on: date
    deposit: Decimal
    fees: Decimal
    balance: Decimal
    minimum: Decimal
    status: str
    suggested: Decimal

    @property
    def status_text(self) -> str:
        """正常 / 余额不足 / 欠费."""
        return STATUS_TEXT[self.status]

    @property
    def arrears(self) -> Decimal:
        """What the patient owes beyond the deposit (0 when the deposit covers the fees)."""
        return max(Decimal("0.00"), -self.balance)


def row_of(stay: Inpatient, minimum: Decimal) -> WardRow:
    """The ward-list row of one stay."""
    balance = (stay.deposit - stay.total_fees).quantize(Decimal("0.01"))
    status = ARREARS if balance < 0 else LOW if balance < minimum else OK
    suggested = max(Decimal("0.00"), minimum - balance)
    return WardRow(stay.admission_no, stay.patient_id, mask_name(stay.patient_name), stay.dept_name, stay.bed,
                   stay.admitted_on, stay.deposit, stay.total_fees, balance, minimum, status, suggested)


def board_rows(stays: list[Inpatient], minimum: Decimal) -> list[WardRow]:
    """Rows of the stays in hospital, arrears first, then low balances, then by bed."""
    order = {ARREARS: 0, LOW: 1, OK: 2}
    rows = [row_of(s, minimum) for s in stays if s.status == "in"]
    return sorted(rows, key=lambda r: (order[r.status], r.bed, r.admission_no))
