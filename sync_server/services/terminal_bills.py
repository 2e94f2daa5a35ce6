"""``uploadEmergencyBills``: terminals hand over their emergency journal (issue 7 §7).

For each bill, in journal order (docs/EMERGENCY.md §4):

1. a known idempotency key answers its recorded outcome (``duplicate`` when it was accepted);
2. crypto, outside the write lock: the caller is ``terminalId``, ``signValue`` verifies with the
   registered SM2 key, ``hash`` recomputes (sync_server/services/terminal_chain.py);
3. in one write transaction per batch (a savepoint per bill): ``prevHash`` continues the
   terminal's chain (its last verified link, its genesis, or the seed of one of its online
   bills); the number lies in a block handed to this terminal for that billing point, not
   returned (申退) and not revoked before the bill's issue time; no other bill has the number;
4. the bill is stored in ``bills`` (origin ``terminal``, unique on number and, while live, on
   busNo) and its carry-forward is queued in the SAME transaction through the outbox item the
   server uses for its own emergency bills (kind ``carry_forward`` → ``uploadEmergencyEBill``,
   group = busNo, so a later write-off waits behind it; delivery.py settles platform conflicts);
5. a busNo that already has a live bill on the server is a **conflict**: the server's (the
   platform's) bill is kept, the terminal's number is stored voided with the reason, a conflict
   row is written for the report and the answer says ``conflict`` (never silent, offline_rules §6.6).

A busNo whose online claim is still in flight answers E5024 (transient): the terminal re-sends.
Chain and signature failures store nothing (a repeat is checked again); business refusals of a
genuine link are stored, advance the chain and answer the same on repeats.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing_core.clock import ts17
from billing_core.envelope import dumps
from billing_core.errors import BillingError
from sync_server import emergency_errors as ee
from sync_server.audit import Actor, audit
from sync_server.auth import Caller, CallerCache
from sync_server.context import ServerContext
from sync_server.errors import BusyError, CarryForwardConflict
from sync_server.methods import ISSUE_METHODS
from sync_server.services import outbox
from sync_server.services.records import by_number, live_by_busno, store_details
from sync_server.services.terminal_chain import genesis, link_of, online_seed, verify_signature
from sync_server.store.db import read_tx, write_tx
from sync_server.store.emergency_schema import (
    stock_returns,
    stock_revocations,
    terminal_chain,
    terminal_uploads,
)
from sync_server.store.schema import bills, conflicts, stock_ranges
from sync_server.validation import check_issue

log = logging.getLogger(__name__)
MAX_BATCH = 200
_FIELDS = ("idempotencyKey", "terminalId", "seq", "method", "bill", "billBatchCode", "billNo", "random",
           "issueTime", "signValue", "prevHash", "hash")


@dataclass
class _Checked:
    """One uploaded bill after the checks that need no lock."""

    up: dict[str, Any]
    refusal: BillingError | None = None  # crypto refusal: answered, nothing stored
    result: dict[str, Any] | None = None  # recorded answer of a repeated key


def upload(ctx: ServerContext, cache: CallerCache, caller: Caller, data: dict[str, Any]) -> dict[str, Any]:
    """Process one ``uploadEmergencyBills`` request; ``{results: [...]}`` in request order.

    May answer fewer results than bills (a transient stop): the terminal re-sends the rest.
    """
    items = data.get("bills")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ee.UploadRequestError(f"bills必须是1到{MAX_BATCH}张应急票据的列表")
    if str(data.get("terminalId", caller.appid)) != caller.appid:
        raise ee.UploadRequestError(f"terminalId与调用终端{caller.appid}不一致")
    for i, up in enumerate(items):
        missing = [k for k in _FIELDS if not isinstance(up, dict) or up.get(k) in (None, "")]
        if missing:
            raise ee.UploadRequestError(f"bills[{i}]缺少字段：{'、'.join(missing)}")
    checked = _precheck(ctx, caller, items)
    results: list[dict[str, Any]] = []
    with write_tx(ctx.engine) as conn:
        head = _chain_head(conn, caller.appid)
        blocks = _blocks(conn, caller.appid)
        for item in checked:
            up = item.up
            key = str(up["idempotencyKey"])
            if item.result is not None:
                results.append(item.result)
                continue
            if item.refusal is not None:
                results.append(_answer(key, item.refusal.code, "rejected", item.refusal.message))
                continue
            prior = _recorded(conn, key)
            if prior is not None:  # a repeat inside the same batch or a concurrent request
                results.append(prior)
                continue
            try:
                with conn.begin_nested():
                    answer, head = _store_one(ctx, conn, caller, up, head, blocks)
            except BusyError as exc:
                results.append(_answer(key, exc.code, "busy", exc.message))
                break  # transient: the terminal stops here and re-sends later in order
            except IntegrityError:
                results.append(_answer(key, BusyError.code, "busy", "该业务流水号或票号正在处理中，请稍后重传"))
                break
            results.append(answer)
        _save_head(ctx, conn, caller.appid, head)
    ctx.wake.set()
    return {"results": results}


def _answer(key: str, result: str, status: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"idempotencyKey": key, "result": result, "status": status, "message": message, **extra}


def _precheck(ctx: ServerContext, caller: Caller, items: list[dict[str, Any]]) -> list[_Checked]:
    with read_tx(ctx.engine) as conn:
        known = {r["idem_key"]: r for r in conn.execute(select(terminal_uploads).where(
            terminal_uploads.c.idem_key.in_([str(u["idempotencyKey"]) for u in items]))).mappings()}
    out = []
    for up in items:
        item = _Checked(up)
        row = known.get(str(up["idempotencyKey"]))
        if row is not None:
            item.result = _from_row(row)
        elif str(up["terminalId"]) != caller.appid:
            item.refusal = ee.TerminalMismatchError(f"应急票据终端编号{up['terminalId']}与调用终端{caller.appid}不一致")
        elif not caller.sm2_public_key:
            item.refusal = ee.KeyNotRegisteredError(f"终端{caller.appid}未登记SM2公钥，无法验证票据{up['billNo']}")
        elif not isinstance(up["bill"], dict) or not verify_signature(caller.sm2_public_key, up["bill"],
                                                                      str(up["signValue"])):
            item.refusal = ee.BillSignatureError(f"应急票据{up['billBatchCode']}-{up['billNo']}的SM2签名验证失败")
        elif link_of(up) != str(up["hash"]):
            item.refusal = ee.ChainLinkError(f"应急票据{up['billBatchCode']}-{up['billNo']}的哈希链值与内容不符")
        out.append(item)
    return out


def _from_row(row: Any) -> dict[str, Any]:
    """The recorded outcome of an idempotency key, answered again on a repeat."""
    status = {"accepted": "duplicate"}.get(row["status"], row["status"])
    extra = {"billBatchCode": row["bill_batch_code"], "billNo": row["bill_no"]}
    if row["status"] == "conflict":
        extra["code"] = CarryForwardConflict.code
    return _answer(row["idem_key"], row["result_code"], status, row["message"] or "", **extra)


def _recorded(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(terminal_uploads).where(terminal_uploads.c.idem_key == key)).mappings().first()
    return None if row is None else _from_row(row)


def _chain_head(conn: Connection, terminal: str) -> str | None:
    return conn.execute(select(terminal_chain.c.head_hash).where(terminal_chain.c.terminal_id == terminal)).scalar()


def _save_head(ctx: ServerContext, conn: Connection, terminal: str, head: str | None) -> None:
    if head is None:
        return
    now = ts17(ctx.clock.now())
    done = conn.execute(update(terminal_chain).where(terminal_chain.c.terminal_id == terminal)
                        .values(head_hash=head, head_seq=0, updated_at=now)).rowcount
    if not done:
        conn.execute(insert(terminal_chain).values(terminal_id=terminal, head_hash=head, head_seq=0, updated_at=now))


def _blocks(conn: Connection, terminal: str) -> list[dict[str, Any]]:
    rows = conn.execute(select(stock_ranges, stock_revocations.c.revoked_at)
                        .select_from(stock_ranges.outerjoin(stock_revocations,
                                                            stock_revocations.c.range_id == stock_ranges.c.id))
                        .where(and_(stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == terminal))
                        ).mappings().all()
    return [dict(r) for r in rows]


def _seed_ok(conn: Connection, terminal: str, seed: Any, prev_hash: str) -> bool:
    """``prevHash`` is the seed of one of this terminal's bills that the server answered online."""
    if not isinstance(seed, dict) or online_seed(seed) != prev_hash:
        return False
    row = by_number(conn, str(seed.get("billBatchCode", "")), str(seed.get("billNo", "")))
    return (row is not None and row["caller_appid"] == terminal and row["random"] == seed.get("random")
            and row["create_time"] == seed.get("createTime") and row["origin"] != "terminal")


def _check_chain(conn: Connection, terminal: str, up: dict[str, Any], head: str | None) -> None:
    prev = str(up["prevHash"])
    if prev == head or (head is None and prev == genesis(terminal)):
        return
    if up.get("chainSeed") and _seed_ok(conn, terminal, up["chainSeed"], prev):
        return
    raise ee.ChainGapError(f"应急票据{up['billBatchCode']}-{up['billNo']}（序号{up['seq']}）的前序哈希与"
                           f"服务器记录的终端{terminal}哈希链不连续")


def _check_number(conn: Connection, terminal: str, up: dict[str, Any], blocks: list[dict[str, Any]]) -> int:
    """The stock_ranges id of the block holding the number; refuses numbers this terminal may not use."""
    code, no, place = str(up["billBatchCode"]), str(up["billNo"]), str(up["bill"].get("placeCode", ""))
    n = int(no) if no.isdigit() else -1
    block = next((b for b in blocks if b["bill_batch_code"] == code and b["place_code"] == place
                  and int(b["bgn_no"]) <= n <= int(b["end_no"])), None)
    if block is None:
        raise ee.OutsideBlockError(f"票号{code}-{no}不在发放给终端{terminal}的开票点{place}应急号段内")
    returned = conn.execute(select(stock_returns.c.id).where(stock_returns.c.range_id == block["id"])
                            .where(stock_returns.c.bgn_no <= no).where(stock_returns.c.end_no >= no)).first()
    if returned is not None and len(no) == len(block["bgn_no"]):
        raise ee.ReturnedNumberError(f"票号{code}-{no}已申退作废，不能使用")
    if block["state"] == "revoked" and (block["revoked_at"] or "") <= str(up["issueTime"]):
        raise ee.RevokedBlockError(f"号段{code} {block['bgn_no']}-{block['end_no']}已于{block['revoked_at']}收回，"
                                   f"票号{no}开具于{up['issueTime']}，不予接收")
    if by_number(conn, code, no) is not None:
        raise ee.NumberUsedError(f"票号{code}-{no}已被其他票据使用")
    return int(block["id"])


def _store_one(ctx: ServerContext, conn: Connection, caller: Caller, up: dict[str, Any], head: str | None,
               blocks: list[dict[str, Any]]) -> tuple[dict[str, Any], str | None]:
    """Check and store one bill; returns (its answer, the chain head after it)."""
    terminal, key = caller.appid, str(up["idempotencyKey"])
    try:
        _check_chain(conn, terminal, up, head)
    except ee.ChainGapError as exc:
        return _answer(key, exc.code, "rejected", exc.message), head
    head = str(up["hash"])  # a genuine link: the chain goes on from it whatever the business outcome
    who = Actor(terminal, caller=terminal, terminal=terminal)
    bill = up["bill"]
    try:
        method = str(up["method"])
        if method not in ISSUE_METHODS:
            raise ee.BillContentError(f"不支持的开票方法{method}")
        check_issue(method, copy.deepcopy(bill))
        if str(bill["placeCode"]) not in caller.places:
            raise ee.BillContentError(f"终端{terminal}未被授权使用开票点{bill['placeCode']}")
        _check_number(conn, terminal, up, blocks)
    except BillingError as exc:
        code = exc.code if isinstance(exc, ee.TerminalBillError) else ee.BillContentError.code
        _record(ctx, conn, up, None, "rejected", code, exc.message)
        audit(conn, ctx.clock, who, "terminal_upload_rejected", "terminal_upload", key, None,
              {"code": code, "message": exc.message[:200]})
        return _answer(key, code, "rejected", exc.message), head
    live = live_by_busno(conn, str(bill["busNo"]))
    if live is not None and live["state"] == "pending":
        raise BusyError(f"业务流水号{bill['busNo']}正在联机开票处理中，请稍后重传")
    bill_id = _insert_bill(ctx, conn, who, up, live)
    if live is None:
        outbox.enqueue(conn, ctx.clock, group=str(bill["busNo"]), kind="carry_forward",
                       method="uploadEmergencyEBill",
                       payload={"billType": ISSUE_METHODS[str(up["method"])], "bill": bill,
                                "billBatchCode": up["billBatchCode"], "billNo": up["billNo"],
                                "random": up["random"], "issueTime": up["issueTime"], "terminalId": terminal,
                                "signValue": up["signValue"]},
                       idem_key=f"cf:{up['billBatchCode']}:{up['billNo']}")
        _record(ctx, conn, up, bill_id, "accepted", "S0000", "已接收，待结转至财政平台")
        return _answer(key, "S0000", "accepted", "已接收，待结转至财政平台", billBatchCode=up["billBatchCode"],
                       billNo=up["billNo"]), head
    reason = (f"应急票据结转冲突：业务流水号{bill['busNo']}已有票据{live['bill_batch_code']}-{live['bill_no']}，"
              f"应急票号{up['billBatchCode']}-{up['billNo']}作废")
    _conflict(ctx, conn, who, up, bill_id, live, reason)
    _record(ctx, conn, up, bill_id, "conflict", "S0000", reason)
    return _answer(key, "S0000", "conflict", reason, code=CarryForwardConflict.code,
                   billBatchCode=up["billBatchCode"], billNo=up["billNo"],
                   existing={"billBatchCode": live["bill_batch_code"], "billNo": live["bill_no"],
                             "random": live["random"]}), head


def _insert_bill(ctx: ServerContext, conn: Connection, who: Actor, up: dict[str, Any], live: Any) -> int:
    bill, now = up["bill"], ts17(ctx.clock.now())
    code, no, random = str(up["billBatchCode"]), str(up["billNo"]), str(up["random"])
    answer = {"billBatchCode": code, "billNo": no, "random": random, "createTime": str(up["issueTime"]),
              "pictureUrl": f"{ctx.config.public_url.rstrip('/')}/notice/{code}/{no}/{random}", "pictureNetUrl": ""}
    conflict = live is not None
    values = dict(
        bus_no=str(bill["busNo"]), busno_live=None if conflict else str(bill["busNo"]), method=str(up["method"]),
        bus_type=str(bill.get("busType", "")), bus_date_time=str(bill.get("busDateTime", "")),
        place_code=str(bill["placeCode"]), caller_appid=who.actor, state="void" if conflict else "issued",
        origin="terminal", in_doubt=int(bool(up.get("inDoubt"))), carry="conflict" if conflict else "pending",
        bill_batch_code=code, bill_no=no, random=random, create_time=str(up["issueTime"]),
        total_amt=Decimal(str(bill["totalAmt"])), payer=bill.get("payer"), card_type=bill.get("cardType"),
        card_no=bill.get("cardNo"), sign_value=str(up["signValue"]), request_json=dumps(bill),
        answer_json=dumps(answer), is_arrears=bill.get("isArrears"), created_at=now, updated_at=now)
    bill_id = int(conn.execute(insert(bills).values(**values)).inserted_primary_key[0])
    store_details(conn, bill_id, bill, fresh=True)
    audit(conn, ctx.clock, who, "terminal_upload", "bill", bill_id, None,
          {"bus_no": values["bus_no"], "bill_batch_code": code, "bill_no": no, "random": random,
           "state": values["state"], "carry": values["carry"], "seq": up["seq"]})
    return bill_id


def _conflict(ctx: ServerContext, conn: Connection, who: Actor, up: dict[str, Any], bill_id: int, live: Any,
              reason: str) -> None:
    """Keep the live bill, record the terminal's number voided and the conflict (issue 4 §4)."""
    bill, now = up["bill"], ts17(ctx.clock.now())
    conn.execute(update(bills).where(bills.c.id == bill_id).values(void_reason=reason[:250], updated_at=now))
    contact = [{"noticeType": "1201", "noticeValue": bill["tel"]}] if bill.get("tel") else []
    if bill.get("email"):
        contact.append({"noticeType": "1202", "noticeValue": bill["email"]})
    cid = conn.execute(insert(conflicts).values(
        bill_id=bill_id, bus_no=str(bill["busNo"]), emergency_batch_code=str(up["billBatchCode"]),
        emergency_no=str(up["billNo"]), platform_batch_code=live["bill_batch_code"], platform_no=live["bill_no"],
        detail=dumps({"reason": reason, "terminal": who.actor, "seq": up["seq"]}),
        notice="queued" if contact else "no_contact", at=now)).inserted_primary_key[0]
    audit(conn, ctx.clock, who, "conflict_reported", "conflict", cid, None,
          {"bus_no": str(bill["busNo"]), "emergency_no": str(up["billNo"]), "kept_no": live["bill_no"]})
    if contact:
        # Behind the kept bill's own queued work (its carry-forward when it is an emergency bill).
        outbox.enqueue(conn, ctx.clock, group=str(bill["busNo"]), kind="notice", method="sendBillNotice",
                       payload={"billBatchCode": live["bill_batch_code"], "billNo": live["bill_no"],
                                "noticeList": contact},
                       idem_key=f"notice:{live['bill_batch_code']}:{live['bill_no']}:{up['billNo']}")
    log.warning("terminal %s bill %s-%s conflicts with %s-%s for busNo %s: voided", who.actor,
                up["billBatchCode"], up["billNo"], live["bill_batch_code"], live["bill_no"], bill["busNo"])


def _record(ctx: ServerContext, conn: Connection, up: dict[str, Any], bill_id: int | None, status: str,
            code: str, message: str) -> None:
    bill = up["bill"]
    try:
        amount = Decimal(str(bill.get("totalAmt", "0")))
    except ArithmeticError:
        amount = Decimal("0")
    conn.execute(insert(terminal_uploads).values(
        idem_key=str(up["idempotencyKey"]), terminal_id=str(up["terminalId"]), seq=int(up["seq"]), bill_id=bill_id,
        bill_batch_code=str(up["billBatchCode"]), bill_no=str(up["billNo"]), bus_no=str(bill.get("busNo", "")),
        place_code=str(bill.get("placeCode", "")), issue_time=str(up["issueTime"]), total_amt=amount,
        prev_hash=str(up["prevHash"]), hash=str(up["hash"]), in_doubt=int(bool(up.get("inDoubt"))), status=status,
        result_code=code, message=message[:500], received_at=ts17(ctx.clock.now())))
