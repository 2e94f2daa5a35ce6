"""The window's own record of the bills it handled (for queries, 交付管理 and 日结).

The platform's reconciliation lists (spec §10) carry neither the cashier nor the pay channels,
so the window keeps one :class:`BillRecord` per bill it issued: request, answer, paper and red
bill. It is a small append-only JSON-lines file (or memory only in tests), rewritten atomically.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

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

    @property
    def amount(self) -> Decimal:
        return Decimal(self.total)

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
            parts.append("应急" + ("已上传" if self.uploaded else "待上传"))
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


class Ledger:
    """All records of this window, keyed by (billBatchCode, billNo); thread-safe.

    :param path: JSON-lines file; None keeps the records in memory only.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str], BillRecord] = {}
        if self.path and self.path.exists():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    rec = BillRecord(**json.loads(line))
                    self._records[(rec.bill_batch_code, rec.bill_no)] = rec

    def put(self, rec: BillRecord) -> None:
        """Add or replace a record and persist."""
        with self._lock:
            self._records[(rec.bill_batch_code, rec.bill_no)] = rec
            self._save()

    def get(self, batch_code: str, bill_no: str) -> BillRecord | None:
        with self._lock:
            return self._records.get((batch_code, bill_no))

    def by_bus_no(self, bus_no: str) -> BillRecord | None:
        with self._lock:
            return next((r for r in self._records.values() if r.bus_no == bus_no), None)

    def all(self) -> list[BillRecord]:
        """Every record, oldest first."""
        with self._lock:
            return sorted(self._records.values(), key=lambda r: (r.create_time, r.bill_no))

    def find(self, *, day_from: date | None = None, day_to: date | None = None, text: str = "",
             payee: str = "") -> list[BillRecord]:
        """Records in a day range whose payer / patient no / card / bill no / busNo contain ``text``."""
        t = text.strip()
        out = []
        for r in self.all():
            if day_from and r.day < day_from or day_to and r.day > day_to:
                continue
            if payee and r.payee != payee:
                continue
            if t and not any(t in v for v in (r.payer, r.patient_no, r.card_no, r.bill_no, r.bus_no,
                                               r.paper_no, r.bill_batch_code)):
                continue
            out.append(r)
        return out

    def update(self, recs: Iterable[BillRecord]) -> None:
        """Persist changes made to records already held."""
        with self._lock:
            for rec in recs:
                self._records[(rec.bill_batch_code, rec.bill_no)] = rec
            self._save()

    def _save(self) -> None:
        if not self.path:
            return
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for r in sorted(self._records.values(), key=lambda r: (r.create_time, r.bill_no)):
                fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
