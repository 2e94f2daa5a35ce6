"""Any bill of the hospital at this window (issue 18 §1): found through the server, acted on here.

Most bills are issued by HIS, not at the window, so the window's own store (:mod:`workflows.records`)
does not hold them. :class:`HospitalBills` asks the server (terminal-api ``findBills``: busNo, bill
or paper number, payer, ID number, phone, card number; hospital-wide for cashier / finance / admin
sessions) and turns each answer into the same :class:`~workflows.records.BillRecord` the pages
show, marked ``source = "server"``. Paper exchange, reprint, void and write-off then work on it
unchanged (:mod:`workflows.paper`, :mod:`workflows.writeoff`): they go through the server's usual
change methods, which apply the same state rules and role checks as for the window's own bills;
the window's store keeps no marks for such a bill (the server's record is the state).

A search also looks in the window's store, so the window's own bills — including emergency bills
not uploaded yet — are found while the server is unreachable; then the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from billing_core import methods
from billing_core.errors import BillingError
from workflows.records import STATE_NORMAL, STATE_RED, BillBook, BillRecord, kind_of
from workflows.server_api import ServerApi
from workflows.session_errors import SessionError


class HospitalSearchError(SessionError):
    """A hospital-wide search without any criterion."""

    code = "E3050"
    default_message = "请输入查询条件：业务流水号、票据号码、交款人、身份证号、手机号或卡号"


class HospitalBillNotFound(SessionError):
    """No bill with that number, neither at this window nor on the server."""

    code = "E3051"
    default_message = "未找到该票据（本窗口及全院）"


@dataclass(frozen=True, slots=True)
class BillQuery:
    """What the cashier searches by; ``keyword`` is one typed text matched against every field."""

    keyword: str = ""
    bus_no: str = ""
    bill_batch_code: str = ""
    bill_no: str = ""
    payer: str = ""
    id_card_no: str = ""
    tel: str = ""
    card_no: str = ""
    page_no: int = 1
    page_size: int = 20

    def criteria(self) -> dict[str, str]:
        """The findBills criteria (empty fields left out)."""
        names = {"keyword": self.keyword, "busNo": self.bus_no, "billBatchCode": self.bill_batch_code,
                 "billNo": self.bill_no, "payer": self.payer, "idCardNo": self.id_card_no, "tel": self.tel,
                 "cardNo": self.card_no}
        return {k: v.strip() for k, v in names.items() if v.strip()}

    def local_text(self) -> str:
        """The text the window's own store is searched with (it holds no ID / phone digests)."""
        return (self.keyword or self.bus_no or self.bill_no or self.payer or self.card_no).strip()


@dataclass(slots=True)
class SearchResult:
    """One page of a hospital-wide search: records (window's own first when both have a bill),
    the server's total, and why the server part is missing ('' = it answered)."""

    records: list[BillRecord] = field(default_factory=list)
    total: int = 0
    page_no: int = 1
    page_count: int = 0
    server_error: str = ""


def record_from_server(item: dict[str, Any]) -> BillRecord:
    """A findBills item as the window's :class:`BillRecord` (``source = "server"``)."""
    request = dict(item.get("request") or {})
    red = item.get("isScarlet") == "1"
    rec = BillRecord(
        bus_no=str(item["busNo"]), kind=kind_of(str(item.get("method", "")), {"busType": item.get("busType", "")}),
        method=str(item.get("method", "")),
        payer=str(item.get("payer", "")), payee=str(item.get("payee", "")), place_code=str(item.get("placeCode", "")),
        total=str(item.get("totalAmt", "0.00")), bus_date_time=str(item.get("busDateTime", "")),
        bill_batch_code=str(item.get("billBatchCode", "")), bill_no=str(item.get("billNo", "")),
        random=str(item.get("random", "")), create_time=str(item.get("createTime", "")),
        pay_channels=[dict(p) for p in request.get("payChannelDetail", []) if isinstance(p, dict)],
        patient_no=str(request.get("patientNo") or request.get("hospitalNo") or ""),
        card_no=str(request.get("cardNo", "")), tel=str(request.get("tel", "")),
        state=STATE_RED if red else STATE_NORMAL, emergency=item.get("emergency") == "1",
        uploaded=True, carry_state=str(item.get("carryState", "")) if item.get("emergency") == "1" else "",
        paper_batch_code=str(item.get("pBillBatchCode", "")), paper_no=str(item.get("pBillNo", "")),
        voided_papers=[str(p) for p in item.get("voidedPapers", [])], request=request, source="server",
        place_name=str(item.get("placeName", "")))
    if red or item.get("scarletBillNo"):
        rec.red_batch_code = str(item.get("scarletBillBatchCode", ""))
        rec.red_bill_no = str(item.get("scarletBillNo", ""))
        rec.red_random = str(item.get("scarletRandom", ""))
        rec.red_create_time = str(item.get("scarletCreateTime", ""))
        rec.red_reason = str(item.get("scarletReason", ""))
    return rec


def find_bills(api: ServerApi, criteria: dict[str, Any]) -> dict[str, Any]:
    """The terminal-api ``findBills`` call (the answer as the server sent it)."""
    answer = api.terminal(methods.TERMINAL_FIND_BILLS, criteria)
    return dict(answer) if isinstance(answer, dict) else {}


class HospitalBills:
    """The hospital's bills as this window finds them: its own store plus the server."""

    def __init__(self, api: ServerApi, book: BillBook) -> None:
        self.api = api
        self.book = book

    def on_server(self, query: BillQuery) -> SearchResult:
        """One page of the server's answer (raises the server's or the link's error)."""
        crit = query.criteria()
        if not crit or set(crit) == {"billBatchCode"}:
            raise HospitalSearchError()
        ans = find_bills(self.api, crit | {"pageNo": str(query.page_no), "pageSize": str(query.page_size)})
        return SearchResult([record_from_server(i) for i in ans.get("billList", []) if isinstance(i, dict)],
                            int(ans.get("total") or 0), int(ans.get("pageNo") or query.page_no),
                            int(ans.get("pageCount") or 0))

    def find(self, query: BillQuery) -> SearchResult:
        """Server page merged with the window's own matches (its record wins: it has the window's
        marks and the emergency journal's state); the window's alone when the server fails."""
        text = query.local_text()
        local = self.book.find(text=text) if text else []
        try:
            result = self.on_server(query)
        except HospitalSearchError:
            raise
        except BillingError as exc:
            return SearchResult(local[::-1], len(local), 1, 1, f"{exc.code} {exc.message}")
        mine = {r.bus_no: r for r in local}
        merged = [mine.pop(r.bus_no, r) for r in result.records]
        if query.page_no == 1:  # bills the server does not hold (emergency, not uploaded yet)
            merged = [r for r in local[::-1] if r.bus_no in mine] + merged
        result.records = merged
        return result

    def get(self, batch_code: str, bill_no: str) -> BillRecord:
        """The bill with this number: the window's own, else the server's (a scanned notice)."""
        rec = self.book.get(batch_code, bill_no)
        if rec is not None:
            return rec
        found = self.on_server(BillQuery(bill_batch_code=batch_code, bill_no=bill_no)).records
        hit = next((r for r in found if r.bill_batch_code == batch_code and r.bill_no == bill_no), None)
        if hit is None:
            raise HospitalBillNotFound(f"未找到票据{batch_code} {bill_no}（本窗口及全院）")
        return hit

    def refresh(self, rec: BillRecord) -> BillRecord:
        """The server's current record of a bill found there (after a change made elsewhere)."""
        if rec.source != "server":
            return self.book.by_bus_no(rec.bus_no) or rec
        found = self.on_server(BillQuery(bus_no=rec.bus_no)).records
        return found[0] if found else rec
