"""The ward workspace (nurse station, role 护士 / ward_nurse), Qt-free: ward list with deposit
balances against the hospital's minimum, arrears collection by scan-to-pay, daily lists, ward
posters, discharge with the surplus deposit refunded to its original channels, reversals, and the
statistics the seed asks for. docs/WARD.md.

The money path is the kiosk's :class:`workflows.kiosk.checkout.Checkout` (durable orders in the
terminal's store, HIS push with the same requestId, e-bill through the terminal's IssuingWorkflow):
a ward order is the same kind of order, driven from the nurse station.
"""

from workflows.ward.board import WardRow, board_rows
from workflows.ward.errors import WardError, WardInputError
from workflows.ward.settings import WardSettings

__all__ = ["WardError", "WardInputError", "WardRow", "WardSettings", "board_rows"]
