"""The HIS as seen by our terminals: :class:`HisClient` over the interface of docs/HIS_ADAPTER.md
(served by ``simulators.his`` or by a hospital's adapter to its real HIS)."""

from __future__ import annotations

from workflows.his.client import HisClient
from workflows.his.errors import HisBadAnswer, HisError, HisUnavailable
from workflows.his.models import (
    Appointment,
    Booking,
    Cancellation,
    CardRegistration,
    DailyList,
    Department,
    DischargeBill,
    Doctor,
    EBillState,
    Inpatient,
    Line,
    Patient,
    Payment,
    PendingCharge,
    RequestOutcome,
    Settlement,
    Slot,
)

__all__ = [
    "Appointment", "Booking", "Cancellation", "CardRegistration", "DailyList", "Department", "DischargeBill",
    "Doctor", "EBillState", "HisBadAnswer", "HisClient", "HisError", "HisUnavailable", "Inpatient", "Line",
    "Patient", "Payment", "PendingCharge", "RequestOutcome", "Settlement", "Slot",
]
