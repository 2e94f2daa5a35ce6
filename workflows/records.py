"""A terminal's view of its bills (for queries, 交付管理 and 日结), read from the terminal store.

Shared by the cashier window, the ward and the kiosk; "window" below is any such terminal GUI.

The platform's reconciliation lists (spec §10) carry neither the cashier nor the pay channels,
so the window reads its bills from the terminal's offline_store: the issuing workflow records
every bill there with its full request (``online_bills`` / ``journal``), and the window adds its
marks — kind, paper, red bill, notice delivery — in ``window_bills`` (offline_store.window_bills).
:class:`BillRecord` is one bill as the window shows it; :class:`BillBook` reads and marks them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from billing_core import methods
from billing_core.clock import Clock, SystemClock, ts17
from offline_store import window_bills
from offline_store.db import Database

STATE_NORMAL = "normal"
STATE_RED = "red"


@dataclass(slots=True)
class BillRecord:
    """One bill as the window knows it."""

    bus_no: str
    kind: str
    method: str
    payer: str
    payee: str
    place_code: str
    total: str  # two-place text, as on the wire
    bus_date_time: str
    bill_batch_code: str
    bill_no: str
    random: str
    create_time: str
    pay_channels: list[dict[str, str]] = field(default_factory=list)
    patient_no: str = ""
    card_no: str = ""
    tel: str = ""
    state: str = STATE_NORMAL
    emergency: bool = False
    uploaded: bool = True
    carry_state: str = ""  # emergency bills: issued / uploaded / conflict / rejected (journal state)
    #: emergency bills: a write-off queued behind the upload (offline_store.writeoffs): queued / sent /
    #: done / held (upload conflict, a person decides) / refused; "" when none.
    writeoff_state: str = ""
    paper_batch_code: str = ""
    paper_no: str = ""
    voided_papers: list[str] = field(default_factory=list)
    reprint_reason: str = ""
    red_batch_code: str = ""
    red_bill_no: str = ""
    red_reason: str = ""
    red_random: str = ""
    red_create_time: str = ""
    notice_printed: bool = False
    notice_sent: str = ""  # e.g. "1201:138****0000" when sendBillNotice succeeded
    request: dict[str, Any] = field(default_factory=dict)
    #: where the record came from: "local" (this terminal's store) or "server" (a bill of another
    #: window or of HIS found through the server, workflows.hospital_bills; its state lives there)
    source: str = "local"
    place_name: str = ""  # the billing point's name when the server said it ("" = this window's)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.total)

    def mark_red(self, answer: dict[str, Any], reason: str | None = None) -> None:
        """Record a red bill (a writeOffEBill / invalidPaper answer: eScarletBillBatchCode,
        eScarletBillNo, eScarletRandom, createTime) on this bill; ``reason`` kept when given."""
        self.state = STATE_RED
        self.red_batch_code = str(answer.get("eScarletBillBatchCode", ""))
        self.red_bill_no = str(answer.get("eScarletBillNo", ""))
        self.red_random = str(answer.get("eScarletRandom", ""))
        self.red_create_time = str(answer.get("createTime", ""))
        if reason is not None:
            self.red_reason = reason

    @property
    def day(self) -> date:
        return date(int(self.create_time[:4]), int(self.create_time[4:6]), int(self.create_time[6:8]))

    @property
    def state_label(self) -> str:
        """Chinese status shown in tables."""
        parts = ["已冲红" if self.state == STATE_RED else "正常"]
        if self.paper_no:
            parts.append("已换开")
        if self.emergency:
            parts.append("应急" + {"conflict": "冲突（号码作废）", "rejected": "被拒"}.get(
                self.carry_state, "已上传" if self.uploaded else "待上传"))
        if self.state != STATE_RED and self.writeoff_state in WRITEOFF_LABELS:
            parts.append(WRITEOFF_LABELS[self.writeoff_state])
        return "／".join(parts)

    @property
    def delivery_label(self) -> str:
        """Notice delivery status (交付管理)."""
        if self.paper_no:
            return "已换开纸质"
        sent = f"已推送{self.notice_sent.split(':', 1)[-1]}" if self.notice_sent else ""
        if self.notice_printed and sent:
            return f"已打印告知单，{sent}"
        if self.notice_printed:
            return "已打印告知单"
        if sent:
            return sent
        return "未交付"


#: How a write-off queued behind an emergency bill's upload shows in the bill lists (issue 7 §7).
WRITEOFF_LABELS = {"queued": "冲红已排队（待上传后提交）", "sent": "冲红已提交（待红票）",
                   "held": "冲红未提交（上传冲突，待人工处理）", "refused": "冲红被拒"}


KIND_BY_METHOD = {methods.INVOICE_EBILL_OUTPATIENT: "outpatient", methods.INV_EBILL_HOSPITALIZED: "inpatient",
                  methods.INV_EBILL_REGISTRATION: "registration", methods.INV_EBILL_CHECKUP: "checkup"}
COMMON_KINDS = {"09": "transfer", "10": "donation"}


#: busType 04 (门特, 门诊特殊病) is an outpatient bill shown as its own kind (issue 18 §6).
SPECIAL_OUTPATIENT = "04"


def kind_of(method: str, request: dict[str, Any]) -> str:
    """The window's kind of a bill from its method and busType (a key of workflows.cashier.entry.KINDS)."""
    if method == methods.INVOICE_EBILL_OUTPATIENT and str(request.get("busType", "")) == SPECIAL_OUTPATIENT:
        return "special"
    if method == methods.INVOICE_EBILL_COMMON:
        return COMMON_KINDS.get(str(request.get("busType", "")), "transfer")
    return KIND_BY_METHOD.get(method, "outpatient")


def _record(row: dict[str, Any]) -> BillRecord:
    data, ans = row["request"], row["answer"]
    emergency = row["mode"] == "emergency"
    rec = BillRecord(
        bus_no=row["bus_no"], kind=row["kind"] or kind_of(row["method"], data), method=row["method"],
        payer=str(data.get("payer", "")), payee=str(data.get("payee", "")), place_code=str(data.get("placeCode", "")),
        total=str(data.get("totalAmt", "0.00")), bus_date_time=str(data.get("busDateTime", "")),
        bill_batch_code=str(ans.get("billBatchCode", "")), bill_no=str(ans.get("billNo", "")),
        random=str(ans.get("random", "")), create_time=str(ans.get("createTime") or row["at"]),
        pay_channels=[dict(p) for p in data.get("payChannelDetail", [])],
        patient_no=str(data.get("patientNo") or data.get("hospitalNo") or ""), card_no=str(data.get("cardNo", "")),
        tel=str(data.get("tel", "")), emergency=emergency,
        uploaded=not emergency or row["carry_state"] != "issued", carry_state=row["carry_state"] or "",
        writeoff_state=row.get("writeoff_state") or "", request=data)
    if row["kind"] is not None:  # the window marked this bill: paper, red, notice
        for name in ("state", "paper_batch_code", "paper_no", "voided_papers", "reprint_reason", "red_batch_code",
                     "red_bill_no", "red_reason", "red_random", "red_create_time", "notice_printed", "notice_sent"):
            setattr(rec, name, row[name])
    red = row.get("writeoff_result")
    if rec.writeoff_state == "done" and rec.state != STATE_RED and isinstance(red, dict):
        # the red answer of a write-off queued behind the upload, recorded by the upload round
        rec.mark_red(red)
    return rec


class BillBook:
    """The bills of this terminal as the window sees them (thread-safe through the store's lock).

    :param db: the terminal store the issuing workflow writes (its window schema is applied here).
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        window_bills.ensure_schema(db)

    def get(self, batch_code: str, bill_no: str) -> BillRecord | None:
        """The bill with this code and number, or None."""
        rows = window_bills.bills(self.db, number=(batch_code, bill_no))
        return _record(rows[0]) if rows else None

    def by_bus_no(self, bus_no: str) -> BillRecord | None:
        """The bill of a busNo, or None."""
        rows = window_bills.bills(self.db, bus_no=bus_no)
        return _record(rows[0]) if rows else None

    def all(self) -> list[BillRecord]:
        """Every bill, oldest first."""
        return [_record(r) for r in window_bills.bills(self.db)]

    def find(self, *, day_from: date | None = None, day_to: date | None = None, text: str = "",
             payee: str = "") -> list[BillRecord]:
        """Bills in a day range whose payer / patient no / card / bill no / busNo contain ``text``."""
        t = text.strip()
        rows = window_bills.bills(self.db, at_from=day_from.strftime("%Y%m%d") if day_from else "",
                                  at_to=day_to.strftime("%Y%m%d") + "999999999" if day_to else "")
        out = []
        for r in map(_record, rows):
            if payee and r.payee != payee:
                continue
            if t and not any(t in v for v in (r.payer, r.patient_no, r.card_no, r.bill_no, r.bus_no,
                                               r.paper_no, r.bill_batch_code)):
                continue
            out.append(r)
        return out

    def put(self, rec: BillRecord) -> None:
        """Store the window's marks of ``rec`` (kind, paper, red bill, notice delivery)."""
        self.update([rec])

    def update(self, recs: Iterable[BillRecord]) -> None:
        """Store the marks of several records in one transaction."""
        at = ts17(self.clock.now())
        with self.db.atomic():
            for rec in recs:
                if rec.source == "server":  # another window's or HIS's bill: the server keeps its state
                    continue
                window_bills.set_marks(self.db, rec.bus_no, {
                    "kind": rec.kind, "state": rec.state, "paper_batch_code": rec.paper_batch_code,
                    "paper_no": rec.paper_no, "voided_papers": list(rec.voided_papers),
                    "reprint_reason": rec.reprint_reason, "red_batch_code": rec.red_batch_code,
                    "red_bill_no": rec.red_bill_no, "red_reason": rec.red_reason, "red_random": rec.red_random,
                    "red_create_time": rec.red_create_time, "notice_printed": rec.notice_printed,
                    "notice_sent": rec.notice_sent}, at)

    def note_kind(self, bus_no: str, kind: str) -> None:
        """Mark a just-issued bill with the window's kind (往来票 and 捐赠票 share a method)."""
        window_bills.set_marks(self.db, bus_no, {"kind": kind}, ts17(self.clock.now()))
