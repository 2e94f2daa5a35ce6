"""What the cashier window needs from emergency issuing, and a demo implementation.

The real emergency engine (stock blocks, journal with SM2/SM3 chain, limits, upload) is
``workflows.emergency`` / ``offline_store`` (issue 7). The window only needs: issue one bill
offline, show stock and limits, and drain the journal when the link returns with progress and
the carry-forward result. :class:`EmergencyIssuer` is that seam; :class:`DemoEmergency` fills it
in demo mode and in tests of the window (numbers from a reserved demo block, uploaded through
the demo platform's ``uploadEmergencyEBill``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError
from workflows.cashier.api import HisApi
from workflows.cashier.errors import EmergencyUnavailable


@dataclass(frozen=True, slots=True)
class EmergencyStatus:
    """Stock and limits shown on screen (issue 7 §6: warning at 80 %, hard stop at 100 %)."""

    remaining: int
    issued: int
    max_bills: int
    amount: Decimal
    max_amount: Decimal
    pending_uploads: int
    warnings: tuple[str, ...] = ()


@dataclass(slots=True)
class CarryForwardResult:
    """What the drain achieved: bills carried forward and any conflicts (shown to the cashier)."""

    carried: int = 0
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]


class EmergencyIssuer(Protocol):
    """The emergency engine as the cashier window sees it."""

    def issue(self, method: str, data: Mapping[str, Any]) -> dict[str, Any]: ...

    def status(self) -> EmergencyStatus: ...

    def drain(self, api: HisApi, progress: Progress) -> CarryForwardResult: ...


class DemoEmergency:
    """Emergency issuing from a demo block, journalled in memory.

    :param first_no: first number of the reserved block; :param size: numbers in the block.
    """

    def __init__(self, batch_code: str = "42069126", first_no: int = 9_000_001, size: int = 50,
                 max_amount: Decimal = Decimal("20000.00"), clock: Clock | None = None) -> None:
        self.batch_code = batch_code
        self._next = first_no
        self._end = first_no + size - 1
        self._size = size
        self.max_amount = max_amount
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self.journal: list[dict[str, Any]] = []
        self._uploaded = 0

    def issue(self, method: str, data: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            for j in self.journal:  # idempotent on busNo locally too (issue 7 §5)
                if j["data"]["busNo"] == data["busNo"]:
                    return j["answer"]
            amount = Decimal(str(data["totalAmt"]))
            if self._next > self._end:
                raise EmergencyUnavailable("应急票据库存已用完，请联系信息科")
            if self._amount() + amount > self.max_amount:
                raise EmergencyUnavailable("应急开票累计金额已达上限，暂停应急开票")
            answer = {"billBatchCode": self.batch_code, "billNo": f"{self._next:010d}",
                      "random": secrets.token_hex(3), "createTime": ts17(self._clock.now())}
            self._next += 1
            self.journal.append({"method": method, "data": dict(data), "answer": answer, "state": "pending"})
            return answer

    def _amount(self) -> Decimal:
        return sum((Decimal(str(j["data"]["totalAmt"])) for j in self.journal), Decimal("0.00"))

    def status(self) -> EmergencyStatus:
        with self._lock:
            issued = len(self.journal)
            warnings = []
            if issued >= 0.8 * self._size:
                warnings.append("应急票据库存不足20%")
            if self._amount() >= Decimal("0.8") * self.max_amount:
                warnings.append("应急开票金额已达上限的80%")
            return EmergencyStatus(self._end - self._next + 1, issued, self._size, self._amount(),
                                   self.max_amount, sum(1 for j in self.journal if j["state"] == "pending"),
                                   tuple(warnings))

    def drain(self, api: HisApi, progress: Progress) -> CarryForwardResult:
        """Upload pending bills in order; each is carried forward once (state kept per bill)."""
        with self._lock:
            pending = [j for j in self.journal if j["state"] == "pending"]
        result = CarryForwardResult()
        for n, j in enumerate(pending, 1):
            try:
                ans = api.call("uploadEmergencyEBill", {"method": j["method"], "bill": j["data"], **j["answer"]})
            except BillingError as exc:
                result.failed.append(f"{j['answer']['billNo']}：{exc.message}")
                break  # keep order: the rest waits for the next drain
            with self._lock:
                j["state"] = "carried"
            if isinstance(ans, dict) and ans.get("conflict"):
                result.conflicts.append(f"应急票据{j['answer']['billNo']}（业务流水号{j['data']['busNo']}）："
                                        f"{ans.get('message', '平台已有该业务的票据，应急号码已作废')}")
            else:
                result.carried += 1
            progress(n, len(pending))
        return result
