"""An in-process stateful stand-in for the sync server (demo mode, unit tests).

Like Electrum's toy server it keeps real state — bills, red bills, paper numbers — so the
cashier sessions are exercised for real without sockets. It follows the life cycle of spec §12:
exchange once, reprint voids the old paper, invalidPaper voids the paper and red-flushes,
writeOffEBill refuses a bill with live paper and a second red-flush. It also answers the
terminal-api methods the issuing workflow uses (heartbeat, register, emergencyStock,
uploadEmergencyBills ...). It is reached through a real SyncClient whose transport is
:class:`workflows.demo.link.DemoTransport`; real use talks HTTP to the sync server.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import PlatformError

# Failure codes the demo answers with: the server's own codes in the business-rule range are not
# ours to invent, so the demo reuses the cashier range that the workflows show anyway.
_ERR = "E5800"


@dataclass(slots=True)
class _Bill:
    data: dict[str, Any]
    batch: str
    no: str
    random: str
    create_time: str
    paper: tuple[str, str] | None = None
    scarlet: tuple[str, str, str] | None = None
    voided_papers: list[str] = field(default_factory=list)


class DemoPlatform:
    """The server in memory. ``online = False`` makes DemoTransport refuse every connection.

    :param clock: injectable clock for createTime.
    :param paper_batch_code: the paper form batch code of the demo billing point.
    """

    def __init__(self, clock: Clock | None = None, paper_batch_code: str = "42010126",
                 first_paper_no: int = 1) -> None:
        self.clock = clock or SystemClock()
        self.online = True
        self.lose_answers = 0  # DemoTransport: handle this many requests, then drop their answers
        self.calls: list[str] = []
        self.paper_batch_code = paper_batch_code
        self._lock = threading.Lock()
        self._bills: dict[tuple[str, str], _Bill] = {}
        self._by_bus: dict[str, tuple[str, str]] = {}
        self._next_bill = 1
        self._next_red = 1
        self._next_paper = first_paper_no
        self._blank_void: set[int] = set()
        self._next_emergency = 9_000_001
        self.emergency_batch_code = "42069126"
        self.uploads: dict[str, str] = {}  # idempotencyKey -> status

    # --- dispatch ------------------------------------------------------------------------
    def call(self, method: str, data: Mapping[str, Any]) -> Any:
        """Run one HIS-interface method; returns its success payload or raises PlatformError."""
        with self._lock:
            self.calls.append(method)
            if method in methods.ISSUE:
                return self._issue(dict(data))
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                raise PlatformError(_ERR, f"演示平台不支持接口{method}")
            return handler(dict(data))

    def terminal_call(self, method: str, data: Mapping[str, Any]) -> Any:
        """Run one terminal-api method (docs/EMERGENCY.md "Wire contract")."""
        with self._lock:
            self.calls.append(method)
            handler = getattr(self, f"_t_{method}", None)
            if handler is None:
                raise PlatformError(_ERR, f"演示平台不支持终端接口{method}")
            return handler(dict(data))

    # --- terminal api (emergency stock and carry-forward) ------------------------------------
    def _t_heartbeat(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"revokedBlocks": []}

    def _t_register(self, data: dict[str, Any]) -> str:
        return "成功"

    def _t_catalog(self, data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _t_emergencyStock(self, data: dict[str, Any]) -> dict[str, Any]:
        count = int(data.get("count") or 50)
        bgn = self._next_emergency
        self._next_emergency += count
        return {"billBatchCode": self.emergency_batch_code, "billBgnNo": f"{bgn:010d}",
                "billEndNo": f"{bgn + count - 1:010d}", "reserveTime": ts17(self.clock.now())}

    def _t_emergencyStockReturn(self, data: dict[str, Any]) -> str:
        return "成功"

    def _t_uploadEmergencyBills(self, data: dict[str, Any]) -> dict[str, Any]:
        """Carry each bill forward once (spec §17): a busNo the platform already holds is a conflict."""
        results = []
        for b in data.get("bills", []):
            key = str(b["idempotencyKey"])
            if key not in self.uploads:
                bill_data = dict(b["bill"])
                number = (str(b["billBatchCode"]), str(b["billNo"]))
                if bill_data["busNo"] in self._by_bus and self._by_bus[bill_data["busNo"]] != number:
                    self.uploads[key] = "conflict"
                else:
                    self._bills[number] = _Bill(bill_data, number[0], number[1], str(b["random"]),
                                                str(b["issueTime"]))
                    self._by_bus[bill_data["busNo"]] = number
                    self.uploads[key] = "accepted"
                status = self.uploads[key]
            else:
                status = "duplicate" if self.uploads[key] == "accepted" else self.uploads[key]
            results.append({"idempotencyKey": key, "result": "S0000", "status": status,
                            "message": "平台已有该业务的票据，保留平台票据，应急号码作废" if status == "conflict" else ""})
        return {"results": results}

    # --- issuing -------------------------------------------------------------------------
    def _issue(self, data: dict[str, Any]) -> dict[str, Any]:
        bus_no = str(data.get("busNo", ""))
        if not bus_no:
            raise PlatformError(_ERR, "业务流水号busNo不能为空")
        if bus_no in self._by_bus:  # idempotent on busNo (DESIGN §3)
            return self._answer(self._bills[self._by_bus[bus_no]])
        year = ts17(self.clock.now())[2:4]
        bill = _Bill(data, f"420601{year}", f"{self._next_bill:010d}", secrets.token_hex(3),
                     ts17(self.clock.now()))
        self._next_bill += 1
        self._bills[(bill.batch, bill.no)] = bill
        self._by_bus[bus_no] = (bill.batch, bill.no)
        return self._answer(bill)

    @staticmethod
    def _answer(b: _Bill) -> dict[str, Any]:
        return {"billBatchCode": b.batch, "billNo": b.no, "random": b.random, "createTime": b.create_time,
                "billQRCode": "", "pictureUrl": f"http://demo.invalid/bill/{b.batch}/{b.no}"}

    def _bill(self, data: dict[str, Any]) -> _Bill:
        key = (str(data.get("billBatchCode", "")), str(data.get("billNo", "")))
        bill = self._bills.get(key)
        if bill is None:
            raise PlatformError(_ERR, f"票据不存在：{key[0]} {key[1]}")
        return bill

    def _by_paper(self, data: dict[str, Any]) -> _Bill:
        key = (str(data.get("pBillBatchCode", "")), str(data.get("pBillNo", "")))
        for b in self._bills.values():
            if b.paper == key:
                return b
        raise PlatformError(_ERR, f"纸质票据不存在或已作废：{key[0]} {key[1]}")

    def _red(self, bill: _Bill) -> dict[str, Any]:
        year = ts17(self.clock.now())[2:4]
        bill.scarlet = (f"420699{year}", f"{self._next_red:010d}", secrets.token_hex(3))
        self._next_red += 1
        return {"eScarletBillBatchCode": bill.scarlet[0], "eScarletBillNo": bill.scarlet[1],
                "eScarletRandom": bill.scarlet[2], "createTime": ts17(self.clock.now()), "billQRCode": "",
                "pictureUrl": ""}

    # --- queries -------------------------------------------------------------------------
    def _m_testServerConnect(self, data: dict[str, Any]) -> str:
        return "成功"

    def _m_getEBillByBusNo(self, data: dict[str, Any]) -> dict[str, Any]:
        key = self._by_bus.get(str(data.get("busNo", "")))
        if key is None:
            raise PlatformError(_ERR, "未找到该业务流水号的票据")
        bill = self._bills[key]
        return {**self._answer(bill), "isScarlet": "1" if bill.scarlet else "0"}

    def _m_getEBillStatesByBillInfo(self, data: dict[str, Any]) -> dict[str, Any]:
        b = self._bill(data)
        out = {"billName": "医疗收费电子票据", "billBatchCode": b.batch, "billNo": b.no, "random": b.random,
               "ivcDateTime": b.create_time, "state": "1", "isPrtPaper": "1" if b.paper else "0",
               "isScarlet": "1" if b.scarlet else "0"}
        if b.paper:
            out.update({"pBillBatchCode": b.paper[0], "pBillNo": b.paper[1]})
        if b.scarlet:
            out.update({"scarletBillBatchCode": b.scarlet[0], "scarletBillNo": b.scarlet[1],
                        "scarletRandom": b.scarlet[2]})
        return out

    # --- paper (spec §7) -----------------------------------------------------------------
    def _next_free(self) -> int:
        n = self._next_paper
        while n in self._blank_void:
            n += 1
        return n

    def _m_getValidBillBatchCode(self, data: dict[str, Any]) -> dict[str, Any]:
        year = ts17(self.clock.now())[2:4]
        return {"billCodeList": [{"billCode": "0601", "billBatchCodeList": [{"billBatchCode": f"420601{year}"}]},
                                 {"billCode": "0602", "billBatchCodeList": [{"billBatchCode": self.paper_batch_code}]}]}

    def _m_getValidBillNo(self, data: dict[str, Any]) -> dict[str, Any]:
        year = ts17(self.clock.now())[2:4]
        return {"count": 2, "billNoList": [
            {"billCode": "0601", "billBatchCode": f"420601{year}", "billBgnNo": f"{self._next_bill:010d}",
             "billEndNo": "0000100000"},
            {"billCode": "0602", "billBatchCode": self.paper_batch_code, "billBgnNo": f"{self._next_free():010d}",
             "billEndNo": "0000001000"}]}

    def _m_getPaperBillNo(self, data: dict[str, Any]) -> dict[str, str]:
        return {"pBillBatchCode": self.paper_batch_code, "pBillNo": f"{self._next_free():010d}"}

    def _take_paper(self, data: dict[str, Any]) -> tuple[str, str]:
        want = (str(data.get("pBillBatchCode", "")), str(data.get("pBillNo", "")))
        if want != (self.paper_batch_code, f"{self._next_free():010d}"):
            raise PlatformError(_ERR, f"纸质票据号码{want[1]}不是下一张可用号码{self._next_free():010d}")
        self._next_paper = self._next_free() + 1
        return want

    def _m_turnPaper(self, data: dict[str, Any]) -> str:
        b = self._bill(data)
        if b.scarlet:
            raise PlatformError(_ERR, "票据已冲红，不能换开")
        if b.paper:
            raise PlatformError(_ERR, "该票据已换开纸质票据")
        b.paper = self._take_paper(data)
        return "成功"

    def _m_reTurnPaper(self, data: dict[str, Any]) -> str:
        b = self._bill(data)
        if not b.paper:
            raise PlatformError(_ERR, "该票据尚未换开纸质票据")
        old = b.paper
        b.paper = self._take_paper(data)
        b.voided_papers.append(old[1])
        return "成功"

    def _m_invalidPaper(self, data: dict[str, Any]) -> dict[str, Any]:
        b = self._by_paper(data)
        b.voided_papers.append(b.paper[1] if b.paper else "")
        b.paper = None
        # Spec §7: invalidPaper voids the paper and red-flushes the e-bill in the same call.
        return self._red(b)

    def _m_invalidBlankBillNo(self, data: dict[str, Any]) -> str:
        start, end = int(data["pBillNoStart"]), int(data["pBillNoEnd"])
        used = {int(b.paper[1]) for b in self._bills.values() if b.paper}
        if start < self._next_paper or used & set(range(start, end + 1)):
            raise PlatformError(_ERR, "号段中有已使用的票据号码")
        self._blank_void.update(range(start, end + 1))
        return "成功"

    # --- write-off (spec §5) ---------------------------------------------------------------
    def _m_writeOffEBill(self, data: dict[str, Any]) -> dict[str, Any]:
        b = self._bill(data)
        if b.scarlet:
            raise PlatformError(_ERR, "该票据已冲销，不能冲销开票")
        if b.paper:
            raise PlatformError(_ERR, "该票据已换开纸质票据，请先作废纸质票据")
        return self._red(b)

    def _m_sendBillNotice(self, data: dict[str, Any]) -> str:
        self._bill(data)
        return "成功"

    # --- test helpers ----------------------------------------------------------------------
    def bill_count(self) -> int:
        """How many bills the platform holds."""
        with self._lock:
            return len(self._bills)

    def bus_nos(self) -> list[str]:
        """Every busNo issued, for exactly-once checks."""
        with self._lock:
            return [b.data["busNo"] for b in self._bills.values()]
