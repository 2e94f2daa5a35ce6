"""Online e-bill stock of a terminal's billing point, for the status bar (在线票号).

getValidBillNo (spec §8) lists the valid number ranges of a billing point, electronic and paper;
the paper batch is the one the window prints on, so every other range counts as online stock.
"""

from __future__ import annotations

from typing import Any

from billing_core import methods
from workflows.server_api import HisApi


def online_stock(api: HisApi, place_code: str, paper_batch_code: str) -> int:
    """Numbers left in the billing point's electronic ranges."""
    ans: Any = api.call(methods.GET_VALID_BILL_NO, {"placeCode": place_code})
    left = 0
    for r in ans.get("billNoList", []) if isinstance(ans, dict) else []:
        if str(r.get("billBatchCode")) == paper_batch_code:
            continue
        try:
            left += int(r["billEndNo"]) - int(r["billBgnNo"]) + 1
        except (KeyError, TypeError, ValueError):
            continue
    return left
