"""Error codes of the HIS simulator (E35xx, docs/ERRORS.md "HIS simulator").

Every failure answer is ``{"code": "E35xx", "msg": "<Chinese text naming the field or rule>",
"data": null}``. Codes are stable: an adapter to a real HIS maps its own failures onto them
(docs/HIS_ADAPTER.md §5).
"""

from __future__ import annotations

INTERNAL = "E3500"
BAD_JSON = "E3501"
AUTH_MISSING = "E3502"
UNKNOWN_APPID = "E3503"
BAD_SIGNATURE = "E3504"
CLOCK_SKEW = "E3505"
NONCE_REUSED = "E3506"
UNKNOWN_OPERATION = "E3507"

FIELD_REQUIRED = "E3510"
FIELD_FORMAT = "E3511"
FIELD_AMOUNT = "E3512"
ID_NUMBER_INVALID = "E3513"

PATIENT_NOT_FOUND = "E3520"
CARD_EXISTS = "E3521"
FIRST_TOP_UP_LOW = "E3522"

SLOT_NOT_FOUND = "E3530"
SLOT_FULL = "E3531"
APPOINTMENT_NOT_FOUND = "E3532"
ALREADY_CHECKED_IN = "E3533"
NOT_TODAY = "E3534"
CANNOT_CANCEL = "E3535"
DUPLICATE_BOOKING = "E3536"
DATE_OUT_OF_RANGE = "E3537"
DEPT_NOT_FOUND = "E3538"

CHARGE_NOT_PENDING = "E3540"
BALANCE_LOW = "E3541"
PAY_AMOUNT_MISMATCH = "E3542"

INPATIENT_NOT_FOUND = "E3550"
ALREADY_DISCHARGED = "E3551"
DAY_OUT_OF_STAY = "E3552"

SETTLEMENT_NOT_FOUND = "E3560"
CANNOT_REVERSE = "E3561"
REFUND_EXCEEDS_BALANCE = "E3562"
REFUSED_BY_HIS = "E3563"
EBILL_CONFLICT = "E3564"

REQUEST_CONFLICT = "E3570"
REQUEST_NOT_FOUND = "E3571"

SYNC_NOT_CONFIGURED = "E3581"

UNAVAILABLE = "E3590"

#: Input errors: not recorded against a requestId, so the corrected call may reuse it.
INPUT_ERRORS = frozenset({FIELD_REQUIRED, FIELD_FORMAT, FIELD_AMOUNT, ID_NUMBER_INVALID, SYNC_NOT_CONFIGURED})


class HisError(Exception):
    """A refusal with a stable code and a Chinese message; the call changed nothing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
