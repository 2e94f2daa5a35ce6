"""The simulated platform's state and the helpers every method handler shares.

A handler is ``fn(p: Platform, ctx: CallCtx, db, data) -> payload`` registered under its
platform method name with :func:`method`; it runs inside one serialised transaction and raises
:class:`~simulators.finance.errors.SimError` (or billing_core errors) to answer a failure.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing_core import envelope, methods
from billing_core.clock import Clock, SystemClock, ts17
from billing_core.qr_payload import BillQr
from simulators.finance import chain, render
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.store import Caller, Store

Handler = Callable[["Platform", "CallCtx", sqlite3.Connection, dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}
#: Methods whose request is NOT passed through billing_core validation as a whole.
RAW_METHODS: set[str] = set()


def method(name: str, *, raw: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for a platform method (``raw``: the handler validates itself).

    :raises ValueError: ``name`` is not a platform method of billing_core.methods (a typo would
        otherwise register a method no client ever calls).
    """
    if name not in methods.PLATFORM_METHODS:
        raise ValueError(f"not a platform method: {name}")

    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        if raw:
            RAW_METHODS.add(name)
        return fn

    return deco


@dataclass
class Faults:
    """Fault knobs (docs/FINANCE_SIMULATOR.md). Changed live through ``POST /_control/faults``.

    :ivar latency: seconds slept before handling each platform call.
    :ivar error_rate: fraction (0..1) of platform calls answered E3999 before any processing.
    :ivar drop_response: number of coming calls that are committed and then answered by closing
        the connection without a response (the in-doubt case).
    :ivar drop_methods: restrict ``drop_response`` to these methods (empty = any method).
    :ivar slow_batch: seconds slept per item while processing a batch.
    :ivar duplicate_busno: ``return`` (answer the existing bill) or ``reject`` (E3002).
    """

    latency: float = 0.0
    error_rate: float = 0.0
    drop_response: int = 0
    drop_methods: list[str] = field(default_factory=list)
    slow_batch: float = 0.0
    duplicate_busno: str = "return"
    #: 票据申领 (issue 18 §2): ``auto`` approves an application once ``stock_approval_delay``
    #: seconds have passed (seen at the next query); ``manual`` waits for ``POST /_control/stock_apply``.
    stock_approval: str = "auto"
    stock_approval_delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"latency": self.latency, "error_rate": self.error_rate, "drop_response": self.drop_response,
                "drop_methods": list(self.drop_methods), "slow_batch": self.slow_batch,
                "duplicate_busno": self.duplicate_busno, "stock_approval": self.stock_approval,
                "stock_approval_delay": self.stock_approval_delay}

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys or bad values raise ValueError."""
        for k, v in changes.items():
            if k in ("latency", "error_rate", "slow_batch", "stock_approval_delay"):
                value = float(v)
                if value < 0 or (k == "error_rate" and value > 1):
                    raise ValueError(k)
                setattr(self, k, value)
            elif k == "drop_response":
                self.drop_response = int(v)
            elif k == "drop_methods":
                self.drop_methods = [str(m) for m in v]
            elif k == "duplicate_busno":
                if v not in ("return", "reject"):
                    raise ValueError(k)
                self.duplicate_busno = v
            elif k == "stock_approval":
                if v not in ("auto", "manual"):
                    raise ValueError(k)
                self.stock_approval = v
            else:
                raise ValueError(k)


@dataclass(frozen=True)
class CallCtx:
    """Who is calling, and the URL prefix answers should point at."""

    caller: Caller
    base_url: str


class Platform:
    """State of one simulated platform: store, clock, knobs, the batch worker."""

    def __init__(self, data_dir: Path, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.store = Store(Path(data_dir), self.clock)
        self.faults = Faults()
        self._faults_lock = threading.Lock()
        self.batch_queue: list[str] = []
        self.batch_cv = threading.Condition()
        self.stopping = False

    def shutdown(self) -> None:
        """Stop the batch worker (after the bill in hand); the store stays usable."""
        with self.batch_cv:
            self.stopping = True
            self.batch_cv.notify_all()

    def now17(self) -> str:
        """The current time as yyyyMMddHHmmssSSS."""
        return ts17(self.clock.now())

    def take_drop(self, method_name: str) -> bool:
        """True (and one fewer pending drop) when this call's answer must be dropped."""
        with self._faults_lock:
            f = self.faults
            if f.drop_response > 0 and (not f.drop_methods or method_name in f.drop_methods):
                f.drop_response -= 1
                return True
            return False

    def roll_error(self) -> bool:
        """True when the error-rate knob picks this call for an injected failure."""
        rate = self.faults.error_rate
        return rate > 0 and secrets.randbelow(1_000_000) < rate * 1_000_000


# ---------------------------------------------------------------------------- shared helpers


def check_place(db: sqlite3.Connection, ctx: CallCtx, place_code: str) -> None:
    """Refuse an unknown billing point (E3011) or one not granted to the caller (E3012)."""
    if db.execute("SELECT 1 FROM places WHERE place_code = ?", (place_code,)).fetchone() is None:
        raise SimError(E.UNKNOWN_PLACE, f"开票点编码不存在：{place_code}")
    if place_code not in ctx.caller.places:
        raise SimError(E.PLACE_NOT_GRANTED, f"调用方{ctx.caller.appid}未被授权使用开票点：{place_code}")


def take_number(db: sqlite3.Connection, kind: str, place_code: str) -> tuple[str, str, str, str]:
    """Next online number of ``kind`` (E e-bill, V voucher) at a point: (billCode, billName,
    billBatchCode, billNo). Emergency blocks are a different kind, so never handed out here."""
    row = db.execute(
        "SELECT * FROM stock WHERE kind = ? AND place_code = ? AND state = 'active' AND next_no <= end_no"
        " ORDER BY id LIMIT 1", (kind, place_code)).fetchone()
    if row is None:
        what = "预交金凭证" if kind == "V" else "电子票据"
        raise SimError(E.NO_STOCK, f"开票点{place_code}的{what}库存不足，请先领用票据")
    db.execute("UPDATE stock SET next_no = next_no + 1 WHERE id = ?", (row["id"],))
    return row["bill_code"], row["bill_name"], row["bill_batch_code"], f"{row['next_no']:010d}"


def new_random() -> str:
    """A check code (校验码): 6 lower-case hex digits like the observed ``afe91d`` (spec §3.4)."""
    return secrets.token_hex(3)


def insert_bill(db: sqlite3.Connection, now: str, values: dict[str, Any],
                items: dict[str, list[dict[str, Any]]] | None = None) -> sqlite3.Row:
    """Store a bill with its items and append it to the hash chain; returns the stored row."""
    cols = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur = db.execute(f"INSERT INTO bills ({cols}) VALUES ({marks})", tuple(values.values()))
    bill_id = int(cur.lastrowid or 0)
    for kind, rows in (items or {}).items():
        db.executemany("INSERT INTO bill_items VALUES (?, ?, ?, ?)",
                       [(bill_id, kind, i, envelope.dumps(r)) for i, r in enumerate(rows)])
    chain.append(db, bill_id, now)
    return db.execute("SELECT * FROM bills WHERE id = ?", (bill_id,)).fetchone()


def find_bill(db: sqlite3.Connection, batch: str, no: str, random: str | None = None,
              doc: str | None = None) -> sqlite3.Row:
    """The bill with that code and number (E3001), checking the check code when given (E3005)."""
    row = db.execute("SELECT * FROM bills WHERE bill_batch_code = ? AND bill_no = ?", (batch, no)).fetchone()
    if row is None or (doc is not None and row["doc"] != doc):
        raise SimError(E.NOT_FOUND, f"电子票据不存在：{batch}/{no}")
    if random is not None and row["random"] != random:
        raise SimError(E.RANDOM_MISMATCH, f"电子票据校验码不正确：{batch}/{no}")
    return row


def items_of(db: sqlite3.Connection, bill_id: int, kind: str) -> list[dict[str, Any]]:
    """Stored items of a bill (``charge``, ``list``, ``pay``)."""
    return [envelope.loads(r[0]) for r in db.execute(
        "SELECT item_json FROM bill_items WHERE bill_id = ? AND kind = ? ORDER BY seq", (bill_id, kind))]


def notice_bill(db: sqlite3.Connection, bill: sqlite3.Row) -> dict[str, Any]:
    """The bill as a dict for the notice / H5 page, with the point's name and the payee added."""
    out = dict(bill)
    place = db.execute("SELECT name FROM places WHERE place_code = ?", (bill["place_code"],)).fetchone()
    out["place_name"] = place[0] if place else ""
    source = bill if bill["blue_id"] is None else db.execute(
        "SELECT data_json FROM bills WHERE id = ?", (bill["blue_id"],)).fetchone()
    out["payee"] = str(envelope.loads(source["data_json"]).get("payee", "")) if source else ""
    return out


def qr_text(bill: sqlite3.Row | dict[str, Any]) -> str:
    """The billing_core.qr_payload text of a bill (a red bill carries its amount unsigned)."""
    return BillQr(bill["bill_batch_code"], bill["bill_no"], bill["random"], abs(Decimal(bill["total_amt"])),
                  bill["create_time"][:8]).text()


def picture_url(base_url: str, bill: sqlite3.Row | dict[str, Any], channel: str = "") -> str:
    """The H5 page of a bill."""
    url = (f"{base_url}/medical-web/h5/ebill?billBatchCode={bill['bill_batch_code']}"
           f"&billNo={bill['bill_no']}&random={bill['random']}")
    return url + (f"&channelMode={channel}" if channel else "")


def bill_response(bill: sqlite3.Row, base_url: str | None = None) -> dict[str, Any]:
    """The issue response (spec §3.4)."""
    base = base_url or bill["base_url"]
    return {
        "billBatchCode": bill["bill_batch_code"], "billNo": bill["bill_no"], "random": bill["random"],
        "createTime": bill["create_time"], "billQRCode": render.qr_png_b64(qr_text(bill)),
        "pictureUrl": picture_url(base, bill), "pictureNetUrl": picture_url(base, bill, "net"),
        # the business time (17 digits): a 2025 client treats a bill without it as not issued (§3.4)
        "billBusDate": bill["bus_date_time"],
    }


def red_response(red: sqlite3.Row, base_url: str) -> dict[str, Any]:
    """The write-off response: the red bill's eScarlet* fields (spec §5)."""
    return {
        "eScarletBillBatchCode": red["bill_batch_code"], "eScarletBillNo": red["bill_no"],
        "eScarletRandom": red["random"], "createTime": red["create_time"],
        "billQRCode": render.qr_png_b64(qr_text(red)), "pictureUrl": picture_url(base_url, red),
        "pictureNetUrl": picture_url(base_url, red, "net"),
        "billBusDate": red["bus_date_time"],  # the write-off's business time, as in the issue answer
    }


def make_red(db: sqlite3.Connection, ctx: CallCtx, now: str, blue: sqlite3.Row, data: dict[str, Any],
             method_name: str) -> sqlite3.Row:
    """Red-flush ``blue``: a red bill with its own number from the point's stock, blue marked 已冲红.

    :raises SimError: E3003 already red-flushed (the real platform's text), E3010 not normal.
    """
    if blue["is_scarlet"]:
        raise SimError(E.ALREADY_WRITTEN_OFF,
                       f"该电子票据{blue['bill_batch_code']}/{blue['bill_no']}已冲销，不能冲销开票")
    if blue["kind"] != "blue" or blue["state"] != 1:
        raise SimError(E.NOT_NORMAL, f"该电子票据状态不允许冲红：{blue['bill_batch_code']}/{blue['bill_no']}")
    place = str(data.get("placeCode") or blue["place_code"])
    check_place(db, ctx, place)
    kind = "V" if blue["doc"] == "voucher" else "E"
    bill_code, bill_name, batch, no = take_number(db, kind, place)
    amount = Decimal(str(data.get("amt") or blue["total_amt"]))
    red = insert_bill(db, now, {
        "doc": blue["doc"], "kind": "red", "method": method_name, "bill_code": bill_code,
        "bill_name": bill_name, "bill_batch_code": batch, "bill_no": no, "random": new_random(),
        "bus_no": blue["bus_no"], "bus_type": blue["bus_type"],
        "bus_date_time": str(data.get("busDateTime") or now), "place_code": place,
        "appid": ctx.caller.appid, "payer": blue["payer"], "total_amt": f"{-amount:f}",
        "create_time": now, "blue_id": blue["id"], "reason": str(data.get("reason", "")),
        "operator": str(data.get("operator") or data.get("author") or ""), "base_url": ctx.base_url,
        "card_type": blue["card_type"], "card_no": blue["card_no"], "data_json": envelope.dumps(data),
    })
    db.execute("UPDATE bills SET is_scarlet = 1, red_id = ? WHERE id = ?", (red["id"], blue["id"]))
    return red


def page(rows: list[Any], page_no: Any, page_size: Any) -> list[Any]:
    """Rows of page ``page_no`` (from 1) of size ``page_size`` (≤ 200, spec §2)."""
    no = 1 if page_no in (None, "") else int(page_no)
    size = 200 if page_size in (None, "") else int(page_size)
    if no < 1 or not 1 <= size <= 200:
        raise SimError(E.BAD_PAGING, "分页参数不正确：pageNo从1开始，pageSize为1-200")
    return rows[(no - 1) * size: no * size]
