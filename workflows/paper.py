"""Paper bills at a terminal: exchange once, reprint with a reason, void, void blank stock.

Shared by the cashier window, the ward and the kiosk (which exchanges a bill for paper once).

Spec §7 and seed 001 5(1)-(3): an e-bill is exchanged for paper once (turnPaper); a later print
goes on a new number with a reason and voids the old paper (reTurnPaper); invalidPaper voids the
paper and red-flushes the e-bill in the same call; unused numbers are voided by range. The number
sent must be the one physically printed, so the window first shows the next number
(getPaperBillNo) for the cashier to compare with the form in the printer, and refuses a mismatch.
"""

from __future__ import annotations

from typing import Any

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import PlatformError
from workflows import events as ev
from workflows.events import Events
from workflows.records import STATE_RED, BillBook, BillRecord
from workflows.server_api import HisApi
from workflows.session_errors import (
    AlreadyExchanged,
    BadBlankRange,
    NotExchanged,
    PaperNumberMismatch,
    ReasonRequired,
)


def discover_paper_batch(api: HisApi, place_code: str) -> str:
    """The paper form batch of a billing point when config names none: the first batch of
    getValidBillBatchCode (spec §8) for which getPaperBillNo answers a next number."""
    codes: Any = api.call(methods.GET_VALID_BILL_BATCH_CODE, {"placeCode": place_code})
    for entry in codes.get("billCodeList", []) if isinstance(codes, dict) else []:
        for b in entry.get("billBatchCodeList", []):
            try:
                api.call(methods.GET_PAPER_BILL_NO, {"placeCode": place_code, "pBillBatchCode": b["billBatchCode"]})
            except PlatformError:  # an electronic batch: no paper numbers
                continue
            return str(b["billBatchCode"])
    raise NotExchanged(f"开票点{place_code}没有可用的纸质票据，请先领用纸质票据")


class PaperService:
    """Paper operations for one billing point.

    :param paper_batch_code: the paper form batch code loaded in this window's printer.
    """

    def __init__(self, api: HisApi, bills: BillBook, place_code: str, paper_batch_code: str, events: Events,
                 clock: Clock | None = None) -> None:
        self.api = api
        self.bills = bills
        self.place_code = place_code
        self.paper_batch_code = paper_batch_code
        self.events = events
        self.clock = clock or SystemClock()

    def next_number(self) -> tuple[str, str]:
        """``(pBillBatchCode, pBillNo)`` of the next paper form (shown before printing)."""
        if not self.paper_batch_code:
            self.paper_batch_code = discover_paper_batch(self.api, self.place_code)
        ans: Any = self.api.call(methods.GET_PAPER_BILL_NO, {"placeCode": self.place_code,
                                                    "pBillBatchCode": self.paper_batch_code})
        return str(ans["pBillBatchCode"]), str(ans["pBillNo"])

    def _confirm(self, confirmed_no: str) -> tuple[str, str]:
        batch, nxt = self.next_number()
        if confirmed_no.strip().lstrip("0") != nxt.lstrip("0"):
            raise PaperNumberMismatch(f"打印机中的票据号码{confirmed_no}与下一张可用号码{nxt}不一致，请核对")
        return batch, nxt

    def exchange(self, rec: BillRecord, confirmed_no: str, operator: str) -> BillRecord:
        """Exchange once (turnPaper) onto the paper number the cashier confirmed."""
        if rec.state == STATE_RED:
            raise NotExchanged("该票据已冲红，不能换开纸质票据")
        if rec.paper_no:
            raise AlreadyExchanged()
        batch, no = self._confirm(confirmed_no)
        self.api.call(methods.TURN_PAPER, self._body(rec, batch, no, operator))
        rec.paper_batch_code, rec.paper_no = batch, no
        return self._save(rec)

    def reprint(self, rec: BillRecord, confirmed_no: str, reason: str, operator: str) -> BillRecord:
        """Reprint on a new number (reTurnPaper); the old paper is voided."""
        if not reason.strip():
            raise ReasonRequired("重打纸质票据须填写原因")
        if not rec.paper_no:
            raise NotExchanged()
        batch, no = self._confirm(confirmed_no)
        body = self._body(rec, batch, no, operator)
        body["reason"] = reason.strip()
        self.api.call(methods.RE_TURN_PAPER, body)
        rec.voided_papers.append(rec.paper_no)
        rec.paper_batch_code, rec.paper_no = batch, no
        rec.reprint_reason = reason.strip()
        return self._save(rec)

    def void_paper(self, rec: BillRecord, reason: str, operator: str) -> BillRecord:
        """Void the exchanged paper; the platform red-flushes the e-bill in the same call (§7)."""
        if not reason.strip():
            raise ReasonRequired("作废纸质票据须填写原因")
        if not rec.paper_no:
            raise NotExchanged()
        ans: Any = self.api.call(methods.INVALID_PAPER, {
            "pBillBatchCode": rec.paper_batch_code, "pBillNo": rec.paper_no, "placeCode": self.place_code,
            "author": operator, "reason": reason.strip(), "busDateTime": ts17(self.clock.now())})
        rec.voided_papers.append(rec.paper_no)
        rec.paper_batch_code, rec.paper_no = "", ""
        rec.mark_red(ans, reason.strip())
        return self._save(rec)

    def void_blank(self, start: str, end: str, reason: str, operator: str) -> int:
        """Void unused paper numbers ``start``..``end``; returns how many."""
        if not reason.strip():
            raise ReasonRequired("作废空白票据须填写原因")
        if not (start.strip().isdigit() and end.strip().isdigit()) or int(start) > int(end):
            raise BadBlankRange("空白票据号段有误：起始号码须为数字且不大于终止号码")
        width = max(len(start.strip()), 10)
        self.api.call(methods.INVALID_BLANK_BILL_NO, {
            "pBillBatchCode": self.paper_batch_code, "pBillNoStart": start.strip().zfill(width),
            "pBillNoEnd": end.strip().zfill(width), "placeCode": self.place_code, "author": operator,
            "reason": reason.strip(), "busDateTime": ts17(self.clock.now())})
        return int(end) - int(start) + 1

    def _body(self, rec: BillRecord, batch: str, no: str, operator: str) -> dict[str, Any]:
        return {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no, "pBillBatchCode": batch,
                "pBillNo": no, "busDateTime": ts17(self.clock.now()), "placeCode": self.place_code,
                "operator": operator}

    def _save(self, rec: BillRecord) -> BillRecord:
        self.bills.put(rec)
        self.events.emit(ev.BILL_CHANGED, record=rec)
        return rec
