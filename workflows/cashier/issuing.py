"""Issuing from the cashier window: online through the server, emergency when the link is down.

Order of a window issue (DESIGN §3): check the form (every problem at once) -> build the request
with a fresh busNo -> call the server. If the server cannot be reached the busNo may be in doubt,
so ask ``getEBillByBusNo`` first; only when that fails too does the bill go to the emergency
engine (same busNo, so the carry-forward dedupes). The record is written to the ledger before
anything is printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import BillingError
from billing_core.ids import BusNoGenerator
from workflows.cashier import events as ev
from workflows.cashier.api import HisApi
from workflows.cashier.emergency import EmergencyIssuer
from workflows.cashier.entry import EntryForm, platform_issues
from workflows.cashier.errors import EmergencyUnavailable, EntryInvalid, LinkDown
from workflows.cashier.events import Events
from workflows.cashier.records import BillRecord, Ledger


@dataclass(frozen=True, slots=True)
class WindowConfig:
    """The billing point this window issues for."""

    place_code: str
    place_name: str = ""
    hospital: str = "演示市人民医院"
    terminal_id: str = "T01"


class IssueService:
    """Issues bills typed at the window.

    :param api: the server's HIS interface.
    :param ledger: the window's record.
    :param emergency: the emergency engine, or None when this window has no emergency stock.
    """

    def __init__(self, api: HisApi, ledger: Ledger, window: WindowConfig, events: Events,
                 emergency: EmergencyIssuer | None = None, clock: Clock | None = None) -> None:
        self.api = api
        self.ledger = ledger
        self.window = window
        self.events = events
        self.emergency = emergency
        self.clock = clock or SystemClock()
        self.online = True
        self._bus_nos = BusNoGenerator("CW", window.terminal_id[:8], self.clock)

    def check(self, form: EntryForm) -> list[tuple[str, str, str]]:
        """Every problem of the form (the entry checks, then the platform's field rules)."""
        issues = form.check()
        if issues:
            return issues
        probe = form.build_request(bus_no="CHECK", bus_date_time=ts17(self.clock.now()),
                                   place_code=self.window.place_code, payee="CHECK")
        return platform_issues(form.bill_kind.method, probe)

    def issue(self, form: EntryForm, payee: str, bus_no: str | None = None) -> BillRecord:
        """Issue the form's bill; returns the stored record (raises EntryInvalid, LinkDown...)."""
        issues = self.check(form)
        if issues:
            raise EntryInvalid(issues)
        data = form.build_request(bus_no=bus_no or self._bus_nos.next(), bus_date_time=ts17(self.clock.now()),
                                  place_code=self.window.place_code, payee=payee)
        return self.issue_request(form.kind, form.bill_kind.method, data)

    def issue_request(self, kind: str, method: str, data: dict[str, Any]) -> BillRecord:
        """Issue an already built request (batch import uses this too)."""
        existing = self.ledger.by_bus_no(data["busNo"])
        if existing is not None:
            return existing
        emergency = False
        try:
            answer = self.api.call(method, data)
            self.set_online(True)
        except LinkDown:
            answer = self._in_doubt(data)
            if answer == "absent":
                # The server is back and never saw this busNo: sending it again is safe.
                answer = self.api.call(method, data)
            elif answer is None:
                if self.emergency is None:
                    raise EmergencyUnavailable() from None
                answer = self.emergency.issue(method, data)
                emergency = True
        rec = BillRecord(
            bus_no=data["busNo"], kind=kind, method=method, payer=data.get("payer", ""),
            payee=data.get("payee", ""), place_code=data.get("placeCode", ""), total=str(data["totalAmt"]),
            bus_date_time=data["busDateTime"], bill_batch_code=answer["billBatchCode"],
            bill_no=answer["billNo"], random=answer["random"], create_time=answer["createTime"],
            pay_channels=[dict(p) for p in data.get("payChannelDetail", [])],
            patient_no=str(data.get("patientNo") or data.get("hospitalNo") or ""),
            card_no=str(data.get("cardNo", "")), tel=str(data.get("tel", "")),
            emergency=emergency, uploaded=not emergency, request=data)
        self.ledger.put(rec)
        self.events.emit(ev.BILL_ISSUED, record=rec)
        if emergency and self.emergency is not None:
            self.events.emit(ev.STOCK_CHANGED, status=self.emergency.status())
        return rec

    def _in_doubt(self, data: dict[str, Any]) -> Any:
        """After a failed call ask by busNo first (DESIGN §3).

        :returns: the bill found, ``"absent"`` when the server answers that it has none, or None
            when the server is still unreachable.
        """
        try:
            found = self.api.call("getEBillByBusNo", {"busNo": data["busNo"], "busDateTime": data["busDateTime"]})
        except LinkDown:
            self.set_online(False, "票据服务器无法连接")
            return None
        except BillingError:
            self.set_online(True)
            return "absent"
        self.set_online(True)
        return found if isinstance(found, dict) else "absent"

    def set_online(self, online: bool, reason: str = "") -> None:
        """Record the link state; a change is announced (LINK_CHANGED) for the status bar and banner."""
        if online != self.online:
            self.online = online
            self.events.emit(ev.LINK_CHANGED, online=online, reason=reason)
