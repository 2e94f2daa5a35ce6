"""Failure codes the simulated finance platform answers (docs/ERRORS.md, "finance platform
(simulator)" sections).

The vendor publishes no error catalogue (spec §1.4: only ``S0000`` vs anything else), so these
codes are the simulator's own; the Chinese texts follow the one known real text
(``…已冲销，不能冲销开票``).
"""

from __future__ import annotations

from billing_core.errors import BillingError

# -- bills (E3xxx; E3040 "no list" belongs to billing_core.pagination)
NOT_FOUND = "E3001"
DUPLICATE_BUSNO = "E3002"
ALREADY_WRITTEN_OFF = "E3003"
RANDOM_MISMATCH = "E3005"
ALREADY_PAPER = "E3006"
NOT_PAPER = "E3007"
PAPER_NOT_USABLE = "E3008"
HAS_PAPER = "E3009"
NOT_NORMAL = "E3010"
UNKNOWN_PLACE = "E3011"
PLACE_NOT_GRANTED = "E3012"
BATCH_TOO_BIG = "E3013"
BATCH_REUSED = "E3014"
BATCH_NOT_FOUND = "E3015"
ALREADY_CIRCULABLE = "E3016"
LIST_BATCH_ORDER = "E3017"
BAD_NOTICE = "E3018"
VOUCHER_AMOUNT = "E3020"
BAD_PAGING = "E3031"
BAD_REQUEST = "E3032"
UNSUPPORTED = "E3990"
UNKNOWN_METHOD = "E3991"
INTERNAL = "E3998"
BUSY = "E3999"

# -- stock and emergency (E4xxx)
NO_STOCK = "E4001"
STOCK_RANGE = "E4002"
STOCK_RETURN = "E4003"
BLANK_RANGE = "E4004"
NO_PAPER = "E4005"
NO_EMERGENCY_STOCK = "E4010"
OUTSIDE_BLOCK = "E4011"
NUMBER_CONFLICT = "E4012"
NUMBER_RETURNED = "E4013"
BUSNO_CONFLICT = "E4014"
NOT_UPLOADED = "E4015"
EMERGENCY_RETURN = "E4016"
# -- stock lifecycle extensions (issue 18 §2: E4020-E4039)
APPLY_BAD = "E4020"
APPLY_NOT_FOUND = "E4021"
APPLY_STATE = "E4022"
APPLY_POOL = "E4023"
UNIT_RANGE = "E4024"
APPLY_CONFLICT = "E4025"


class SimError(BillingError):
    """A business failure answered in a signed failure envelope (code + Chinese message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)
