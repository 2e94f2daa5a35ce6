"""The text inside an e-bill's QR code, shared by issuers, printers, scanners and verifiers.

Format (version ``01``), comma-separated, no spaces::

    01,<billBatchCode>,<billNo>,<random>,<totalAmt with 2 decimals>,<issue date yyyyMMdd>

e.g. ``01,42060126,0000014012,afe91d,128.50,20261123``. The public verification endpoint of
the finance simulator accepts exactly these five values and answers whether the bill is
genuine. The real finance QR payloads vary by province; this one carries the fields the seeds
ask the verifier for (bill code, number, check code, amount, date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from billing_core.errors import BillingError
from billing_core.money import parse_amount, wire

VERSION = "01"
_DATE = re.compile(r"^\d{8}$")


class QrPayloadError(BillingError):
    """A scanned text is not an e-bill QR payload."""

    code = "E1090"
    default_message = "不是有效的电子票据二维码"


@dataclass(frozen=True, slots=True)
class BillQr:
    """The values an e-bill QR code carries."""

    bill_batch_code: str
    bill_no: str
    random: str
    total_amt: Decimal
    issue_date: str  # yyyyMMdd

    def text(self) -> str:
        """The QR text for these values."""
        return ",".join(
            (VERSION, self.bill_batch_code, self.bill_no, self.random, wire(self.total_amt), self.issue_date)
        )


def parse(text: str) -> BillQr:
    """Parse a scanned QR text; raises QrPayloadError when it is not ours."""
    parts = text.strip().split(",")
    if len(parts) != 6 or parts[0] != VERSION:
        raise QrPayloadError()
    _, code, no, random, amt, date = parts
    if not (code and no and random) or not _DATE.match(date):
        raise QrPayloadError()
    try:
        amount = parse_amount(amt, field="二维码金额")
    except BillingError:
        raise QrPayloadError() from None
    return BillQr(code, no, random, amount, date)
