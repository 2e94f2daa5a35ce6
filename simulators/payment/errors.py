"""Failure codes the simulated unified payment platform answers (docs/ERRORS.md, "payment platform
(simulator)"; the protocol in docs/PAYMENT.md).

Real platforms answer their own texts (WeChat's ``ORDERPAID``, ``NOTENOUGH`` ...); ours are stable
``E37xx`` codes so that they travel unchanged to a terminal's error display, with the channel's
own word kept beside them where one exists (``channel_err_code`` of a failed payment).
"""

from __future__ import annotations

from billing_core.errors import BillingError

# -- request level (E370x); E3702 (bad signature) is billing_core.paysign's
PARAM = "E3701"
UNKNOWN_MERCHANT = "E3703"
TIMESTAMP_SKEW = "E3704"
NONCE_REUSED = "E3705"
DOWN = "E3706"
NOT_JSON = "E3707"
UNKNOWN_OPERATION = "E3708"
INTERNAL = "E3709"

# -- orders (E371x, E372x)
ORDER_NOT_EXIST = "E3710"
OUT_TRADE_NO_USED = "E3711"
ORDER_PAID = "E3712"
AUTH_CODE = "E3714"
WRONG_TRADE_TYPE = "E3715"
PAY_FAILED = "E3720"
NOT_SCANNABLE = "E3721"

# -- refunds (E373x)
REFUND_NOT_PAID = "E3730"
REFUND_EXCEEDS = "E3731"
REFUND_NO_USED = "E3732"
REFUND_FAILED = "E3733"
REFUND_NOT_EXIST = "E3734"

# -- statement (E374x)
STATEMENT_DATE = "E3740"

# -- face verification (E375x)
FACE_IMAGE = "E3750"
FACE_NOT_ENROLLED = "E3751"
FACE_NO_MATCH = "E3752"


class PayError(BillingError):
    """A failure answered in a signed ``result_code=FAIL`` message (code + Chinese message)."""

    def __init__(self, code: str, message: str, http_status: int = 200) -> None:
        super().__init__(message, code=code)
        self.http_status = http_status
