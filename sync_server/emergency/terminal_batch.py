"""Storing one ``uploadEmergencyBills`` batch inside one write transaction (issue 7 §7).

:class:`Batch` decides each bill in journal order against state read once per batch (chain head,
the terminal's blocks, returned ranges, numbers and busNos already held, recorded keys) plus what
the batch itself took, then writes everything with a handful of multi-row INSERTs: bills, items,
pay channels, audit rows, carry-forward outbox items and upload records. One transaction per
batch keeps the cost per bill low (10,000 bills carried in well under a minute, docs/BENCHMARKS.md)
and makes a batch all-or-nothing: a crash or a concurrent writer's unique violation stores none
of it and the terminal re-sends the same keys.

Decisions (docs/EMERGENCY.md §4, sync_server/emergency/terminal_bills.py):

* ``prevHash`` must continue the chain (last verified link, genesis, or an online bill's seed);
* business refusals of a genuine link (content, block, returned, revoked, number used) are
  recorded and advance the chain;
* a busNo with a live bill on the server → **conflict**: stored voided with the reason, the
  conflict recorded, a corrected notice queued behind the kept bill; never silent;
* a busNo whose online claim is in flight → :class:`BusyError` (E5024, the terminal re-sends).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps
from billing_core.errors import BillingError
from sync_server.bills.records import by_number, detail_rows, payee_of, qty
from sync_server.bills.state import born
from sync_server.context import ServerContext
from sync_server.emergency import errors as ee
from sync_server.emergency.terminal_chain import genesis, online_seed
from sync_server.errors import BusyError, CarryForwardConflict
from sync_server.outbox import queue as outbox
from sync_server.security.audit import Actor, audit, audit_many, audit_row
from sync_server.security.auth import Caller
from sync_server.store.db import inserted_id
from sync_server.store.emergency_schema import (
    stock_returns,
    stock_revocations,
    terminal_chain,
    terminal_uploads,
)
from sync_server.store.schema import bill_items, bills, conflicts, pay_channels, stock_ranges
from sync_server.store.schema import outbox as outbox_table

log = logging.getLogger(__name__)
_CHUNK = 400  # rows per IN (...) lookup


def answer(key: str, result: str, status: str, message: str, **extra: Any) -> dict[str, Any]:
    """One bill's entry in the upload answer (docs/EMERGENCY.md §3)."""
    return {"idempotencyKey": key, "result": result, "status": status, "message": message, **extra}


def from_row(row: Any) -> dict[str, Any]:
    """The recorded outcome of an idempotency key, answered again on a repeat."""
    status = {"accepted": "duplicate"}.get(row["status"], row["status"])
    extra = {"billBatchCode": row["bill_batch_code"], "billNo": row["bill_no"]}
    if row["status"] == "conflict":
        extra["code"] = CarryForwardConflict.code
    return answer(row["idem_key"], row["result_code"], status, row["message"] or "", **extra)


class Batch:
    """Decide and store the bills of one upload request for ``caller`` inside ``conn``'s transaction."""

    def __init__(self, ctx: ServerContext, conn: Connection, caller: Caller, ups: list[dict[str, Any]]) -> None:
        self.ctx, self.conn, self.caller = ctx, conn, caller
        self.terminal = caller.appid
        self.who = Actor(caller.appid, caller=caller.appid, terminal=caller.appid)
        self.now = ts17(ctx.clock.now())
        self.head: str | None = conn.execute(select(terminal_chain.c.head_hash).where(
            terminal_chain.c.terminal_id == self.terminal)).scalar()
        self.head_changed = False
        self.blocks = [dict(r) for r in conn.execute(
            select(stock_ranges, stock_revocations.c.revoked_at)
            .select_from(stock_ranges.outerjoin(stock_revocations, stock_revocations.c.range_id == stock_ranges.c.id))
            .where(and_(stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == self.terminal))
        ).mappings()]
        ids = [b["id"] for b in self.blocks]
        self.returns = [dict(r) for r in conn.execute(select(stock_returns).where(
            stock_returns.c.range_id.in_(ids))).mappings()] if ids else []
        self.recorded: dict[str, dict[str, Any]] = {}
        self.used: set[tuple[str, str]] = set()
        self.live: dict[str, dict[str, Any]] = {}
        keys = [str(u["idempotencyKey"]) for u in ups]
        nos = sorted({str(u["billNo"]) for u in ups})
        buses = sorted({str(u["bill"].get("busNo", "")) for u in ups if isinstance(u.get("bill"), dict)})
        for i in range(0, max(len(ups), 1), _CHUNK):
            part = keys[i:i + _CHUNK]
            for r in conn.execute(select(terminal_uploads).where(terminal_uploads.c.idem_key.in_(part))).mappings():
                self.recorded[r["idem_key"]] = dict(r)
            for c, n in conn.execute(select(bills.c.bill_batch_code, bills.c.bill_no)
                                     .where(bills.c.bill_no.in_(nos[i:i + _CHUNK]))):
                self.used.add((c, n))
            for r in conn.execute(select(bills).where(bills.c.busno_live.in_(buses[i:i + _CHUNK]))).mappings():
                self.live[r["busno_live"]] = dict(r)
        self._bills: list[dict[str, Any]] = []
        self._pending: list[tuple[dict[str, Any], str, str, dict[str, Any] | None]] = []  # up, status, msg, live
        self._rejected: list[tuple[dict[str, Any], str, str]] = []

    # -- decisions ----------------------------------------------------------------------------
    def take(self, up: dict[str, Any], content_error: BillingError | None) -> dict[str, Any]:
        """Decide one bill (in journal order); its answer. Raises BusyError to stop the batch."""
        key = str(up["idempotencyKey"])
        if key in self.recorded:
            return from_row(self.recorded[key])
        prev = str(up["prevHash"])
        if not (prev == self.head or (self.head is None and prev == genesis(self.terminal))
                or (up.get("chainSeed") and self._seed_ok(up["chainSeed"], prev))):
            exc = ee.ChainGapError(f"应急票据{up['billBatchCode']}-{up['billNo']}（序号{up['seq']}）的前序哈希与"
                                   f"服务器记录的终端{self.terminal}哈希链不连续")
            return answer(key, exc.code, "rejected", exc.message)
        bill = up["bill"]
        bus = str(bill["busNo"])
        live = self.live.get(bus)
        if content_error is None and live is not None and live.get("state") == "pending":
            raise BusyError(f"业务流水号{bus}正在联机开票处理中，请稍后重传")
        self.head, self.head_changed = str(up["hash"]), True  # a genuine link: the chain goes on from it
        try:
            if content_error is not None:
                raise content_error
            self._check_number(up)
        except BillingError as exc:
            code = exc.code if isinstance(exc, ee.TerminalBillError) else ee.BillContentError.code
            self._rejected.append((up, code, exc.message))
            self.recorded[key] = {"idem_key": key, "status": "rejected", "result_code": code, "message": exc.message,
                                  "bill_batch_code": up["billBatchCode"], "bill_no": up["billNo"]}
            return answer(key, code, "rejected", exc.message)
        self.used.add((str(up["billBatchCode"]), str(up["billNo"])))
        self.recorded[key] = {"idem_key": key, "status": "accepted", "result_code": "S0000", "message": "",
                              "bill_batch_code": up["billBatchCode"], "bill_no": up["billNo"]}
        if live is None:
            self.live[bus] = {"state": "issued", "bill_batch_code": up["billBatchCode"], "bill_no": up["billNo"],
                              "random": up["random"]}
            self._pending.append((up, "accepted", "已接收，待结转至财政平台", None))
            return answer(key, "S0000", "accepted", "已接收，待结转至财政平台", billBatchCode=up["billBatchCode"],
                           billNo=up["billNo"])
        reason = (f"应急票据结转冲突：业务流水号{bus}已有票据{live['bill_batch_code']}-{live['bill_no']}，"
                  f"应急票号{up['billBatchCode']}-{up['billNo']}作废")
        self.recorded[key].update(status="conflict", message=reason)
        self._pending.append((up, "conflict", reason, live))
        return answer(key, "S0000", "conflict", reason, code=CarryForwardConflict.code,
                       billBatchCode=up["billBatchCode"], billNo=up["billNo"],
                       existing={"billBatchCode": live["bill_batch_code"], "billNo": live["bill_no"],
                                 "random": live.get("random")})

    def _seed_ok(self, seed: Any, prev_hash: str) -> bool:
        """``prevHash`` is the seed of a bill this terminal got answered online by the server."""
        if not isinstance(seed, dict) or online_seed(seed) != prev_hash:
            return False
        row = by_number(self.conn, str(seed.get("billBatchCode", "")), str(seed.get("billNo", "")))
        return (row is not None and row["caller_appid"] == self.terminal and row["random"] == seed.get("random")
                and row["create_time"] == seed.get("createTime") and row["origin"] != "terminal")

    def _check_number(self, up: dict[str, Any]) -> None:
        code, no, place = str(up["billBatchCode"]), str(up["billNo"]), str(up["bill"].get("placeCode", ""))
        n = int(no) if no.isdigit() else -1
        block = next((b for b in self.blocks if b["bill_batch_code"] == code and b["place_code"] == place
                      and int(b["bgn_no"]) <= n <= int(b["end_no"])), None)
        if block is None:
            raise ee.OutsideBlockError(f"票号{code}-{no}不在发放给终端{self.terminal}的开票点{place}应急号段内")
        if any(r["range_id"] == block["id"] and int(r["bgn_no"]) <= n <= int(r["end_no"]) for r in self.returns):
            raise ee.ReturnedNumberError(f"票号{code}-{no}已申退作废，不能使用")
        if block["state"] == "revoked" and (block["revoked_at"] or "") <= str(up["issueTime"]):
            raise ee.RevokedBlockError(f"号段{code} {block['bgn_no']}-{block['end_no']}已于{block['revoked_at']}"
                                       f"收回，票号{no}开具于{up['issueTime']}，不予接收")
        if (code, no) in self.used:
            raise ee.NumberUsedError(f"票号{code}-{no}已被其他票据使用")

    # -- writing ------------------------------------------------------------------------------
    def flush(self) -> None:
        """Write every decided bill, then the chain head."""
        conn, now = self.conn, self.now
        audits: list[dict[str, Any]] = []
        uploads: list[dict[str, Any]] = []
        if self._pending:
            conn.execute(insert(bills), [self._bill_row(up, status, msg) for up, status, msg, _ in self._pending])
            ids: dict[tuple[str, str], int] = {}
            nos = [str(up["billNo"]) for up, *_ in self._pending]
            for i in range(0, len(nos), _CHUNK):
                for bid, c, n in conn.execute(select(bills.c.id, bills.c.bill_batch_code, bills.c.bill_no).where(
                        bills.c.bill_no.in_(nos[i:i + _CHUNK]))):
                    ids[(c, n)] = bid
            items: list[dict[str, Any]] = []
            chans: list[dict[str, Any]] = []
            boxes: list[dict[str, Any]] = []
            for up, status, msg, live in self._pending:
                bid = ids[(str(up["billBatchCode"]), str(up["billNo"]))]
                more_items, more_chans = detail_rows(bid, up["bill"])
                items += more_items
                chans += more_chans
                audits.append(self._audit_row("terminal_upload", "bill", bid, {
                    "bus_no": str(up["bill"]["busNo"]), "bill_batch_code": up["billBatchCode"],
                    "bill_no": up["billNo"], "random": up["random"], "seq": up["seq"],
                    "state": "void" if live is not None else "issued",
                    "carry": "conflict" if live is not None else "pending"}))
                uploads.append(self._upload_row(up, bid, status, "S0000", msg))
                if live is None:
                    boxes.append(self._carry_row(up))
                else:
                    self._conflict(up, bid, live, msg)
            for table, rows in ((bill_items, items), (pay_channels, chans), (outbox_table, boxes)):
                if rows:
                    conn.execute(insert(table), rows)
        for up, code, msg in self._rejected:
            uploads.append(self._upload_row(up, None, "rejected", code, msg))
            audits.append(self._audit_row("terminal_upload_rejected", "terminal_upload", up["idempotencyKey"],
                                          {"code": code, "message": msg[:200]}))
        if uploads:
            conn.execute(insert(terminal_uploads), uploads)
        audit_many(conn, audits)
        if self.head_changed and self.head is not None:
            if not conn.execute(update(terminal_chain).where(terminal_chain.c.terminal_id == self.terminal)
                                .values(head_hash=self.head, head_seq=0, updated_at=now)).rowcount:
                conn.execute(insert(terminal_chain).values(terminal_id=self.terminal, head_hash=self.head, head_seq=0,
                                                           updated_at=now))

    def _bill_row(self, up: dict[str, Any], status: str, reason: str) -> dict[str, Any]:
        bill = up["bill"]
        code, no, random = str(up["billBatchCode"]), str(up["billNo"]), str(up["random"])
        answer = {"billBatchCode": code, "billNo": no, "random": random, "createTime": str(up["issueTime"]),
                  "pictureUrl": f"{self.ctx.config.public_url.rstrip('/')}/notice/{code}/{no}/{random}",
                  "pictureNetUrl": ""}
        conflict = status == "conflict"
        return dict(
            bus_no=str(bill["busNo"]), busno_live=None if conflict else str(bill["busNo"]), method=str(up["method"]),
            bus_type=str(bill.get("busType", "")), bus_date_time=str(bill.get("busDateTime", "")),
            place_code=str(bill["placeCode"]), caller_appid=self.terminal,
            **born("terminal_conflict" if conflict else "terminal_accepted", in_doubt=bool(up.get("inDoubt"))),
            bill_batch_code=code, bill_no=no, random=random, create_time=str(up["issueTime"]),
            total_amt=Decimal(str(bill["totalAmt"])), payer=bill.get("payer"), card_type=bill.get("cardType"),
            card_no=bill.get("cardNo"), payee=payee_of(bill), sign_value=str(up["signValue"]),
            request_json=dumps(bill), answer_json=dumps(answer), is_arrears=bill.get("isArrears"),
            void_reason=reason[:250] if conflict else None, created_at=self.now, updated_at=self.now)

    def _audit_row(self, action: str, entity: str, entity_id: object, after: Any) -> dict[str, Any]:
        return audit_row(self.now, self.who, action, entity, entity_id, None, after)

    def _upload_row(self, up: dict[str, Any], bid: int | None, status: str, code: str, msg: str) -> dict[str, Any]:
        bill = up["bill"]
        return {"idem_key": str(up["idempotencyKey"]), "terminal_id": self.terminal, "seq": int(up["seq"]),
                "bill_id": bid, "bill_batch_code": str(up["billBatchCode"]), "bill_no": str(up["billNo"]),
                "bus_no": str(bill.get("busNo", "")), "place_code": str(bill.get("placeCode", "")),
                "issue_time": str(up["issueTime"]), "total_amt": qty(bill.get("totalAmt")) or Decimal("0"),
                "prev_hash": str(up["prevHash"]), "hash": str(up["hash"]), "in_doubt": int(bool(up.get("inDoubt"))),
                "status": status, "result_code": code, "message": msg[:500], "received_at": self.now}

    def _carry_row(self, up: dict[str, Any]) -> dict[str, Any]:
        # The outbox item the server uses for its own emergency bills (services/emergency.py):
        # delivery.py carries it with uploadEmergencyEBill and settles platform-side conflicts.
        payload = {"billType": methods.ISSUE[str(up["method"])].bill_type, "bill": up["bill"],
                   "billBatchCode": up["billBatchCode"], "billNo": up["billNo"], "random": up["random"],
                   "issueTime": up["issueTime"], "terminalId": self.terminal, "signValue": up["signValue"]}
        return {"group_key": str(up["bill"]["busNo"]), "kind": "carry_forward",
                "method": methods.UPLOAD_EMERGENCY_EBILL,
                "payload_json": dumps(payload), "idem_key": f"cf:{up['billBatchCode']}:{up['billNo']}",
                "state": "pending", "attempts": 0, "next_at": 0.0, "created_at": self.now}

    def _conflict(self, up: dict[str, Any], bid: int, live: dict[str, Any], reason: str) -> None:
        """Record the conflict (report) and queue a corrected notice behind the kept bill (issue 4 §4)."""
        bill, conn = up["bill"], self.conn
        contact = [{"noticeType": "1201", "noticeValue": bill["tel"]}] if bill.get("tel") else []
        if bill.get("email"):
            contact.append({"noticeType": "1202", "noticeValue": bill["email"]})
        cid = inserted_id(conn.execute(insert(conflicts).values(
            bill_id=bid, bus_no=str(bill["busNo"]), emergency_batch_code=str(up["billBatchCode"]),
            emergency_no=str(up["billNo"]), platform_batch_code=live["bill_batch_code"], platform_no=live["bill_no"],
            detail=dumps({"reason": reason, "terminal": self.terminal, "seq": up["seq"]}),
            notice="queued" if contact else "no_contact", at=self.now)))
        audit(conn, self.ctx.clock, self.who, "conflict_reported", "conflict", cid, None,
              {"bus_no": str(bill["busNo"]), "emergency_no": str(up["billNo"]), "kept_no": live["bill_no"]})
        if contact:
            outbox.enqueue(conn, self.ctx.clock, group=str(bill["busNo"]), kind="notice",
                           method=methods.SEND_BILL_NOTICE,
                           payload={"billBatchCode": live["bill_batch_code"], "billNo": live["bill_no"],
                                    "noticeList": contact},
                           idem_key=f"notice:{live['bill_batch_code']}:{live['bill_no']}:{up['billNo']}")
        log.warning("terminal %s bill %s-%s conflicts with %s-%s for busNo %s: voided", self.terminal,
                    up["billBatchCode"], up["billNo"], live["bill_batch_code"], live["bill_no"], bill["busNo"])
