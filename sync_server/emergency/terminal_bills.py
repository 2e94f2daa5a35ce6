"""``uploadEmergencyBills``: terminals hand over their emergency journal (issue 7 §7).

For each bill, in journal order (docs/EMERGENCY.md §4):

1. a known idempotency key answers its recorded outcome (``duplicate`` when it was accepted);
2. crypto, outside the write lock: the caller is ``terminalId``, ``signValue`` verifies with the
   registered SM2 key, ``hash`` recomputes (sync_server/emergency/terminal_chain.py);
3. in one write transaction per batch (services/terminal_batch.py): ``prevHash`` continues the
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

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from billing_core import methods
from billing_core.bills import canonical_bill_bytes
from billing_core.errors import BillingError
from sync_server.bills.validation import validate
from sync_server.context import ServerContext
from sync_server.emergency import errors as ee
from sync_server.emergency.carry_pool import kick_carry_pool
from sync_server.emergency.terminal_batch import Batch, answer, from_row
from sync_server.emergency.terminal_chain import link_of, verify_signature
from sync_server.errors import BusyError
from sync_server.security.auth import Caller, CallerCache
from sync_server.store.db import read_tx, write_tx
from sync_server.store.emergency_schema import terminal_uploads

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
    content_error: BillingError | None = None  # business refusal of a genuine link: stored


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
    try:
        with write_tx(ctx.engine) as conn:
            batch = Batch(ctx, conn, caller, [c.up for c in checked if c.result is None and c.refusal is None])
            for item in checked:
                key = str(item.up["idempotencyKey"])
                if item.result is not None:
                    results.append(item.result)
                elif item.refusal is not None:
                    results.append(answer(key, item.refusal.code, "rejected", item.refusal.message))
                else:
                    try:
                        results.append(batch.take(item.up, item.content_error))
                    except BusyError as exc:
                        results.append(answer(key, exc.code, "busy", exc.message))
                        break  # transient: the terminal stops here and re-sends later in order
            batch.flush()
    except IntegrityError:
        # A concurrent writer (PostgreSQL) took a number or busNo meanwhile: nothing of this batch
        # was stored; the terminal re-sends it and gets the settled answers.
        return {"results": [answer(str(checked[0].up["idempotencyKey"]), BusyError.code, "busy",
                                    "该业务流水号或票号正在处理中，请稍后重传")]}
    ctx.wake.set()
    if ctx.config.worker == "thread":
        # with ``worker = none`` the outbox belongs to ``python -m sync_server worker``, whose own
        # pool picks these carry-forwards up on its next cycle
        kick_carry_pool(ctx)
    return {"results": results}


def _precheck(ctx: ServerContext, caller: Caller, items: list[dict[str, Any]]) -> list[_Checked]:
    with read_tx(ctx.engine) as conn:
        known = {r["idem_key"]: r for r in conn.execute(select(terminal_uploads).where(
            terminal_uploads.c.idem_key.in_([str(u["idempotencyKey"]) for u in items]))).mappings()}
    out = []
    for up in items:
        item = _Checked(up)
        row = known.get(str(up["idempotencyKey"]))
        if row is not None:
            item.result = from_row(row)
        elif str(up["terminalId"]) != caller.appid:
            item.refusal = ee.TerminalMismatchError(f"应急票据终端编号{up['terminalId']}与调用终端{caller.appid}不一致")
        elif not caller.sm2_public_key:
            item.refusal = ee.KeyNotRegisteredError(f"终端{caller.appid}未登记SM2公钥，无法验证票据{up['billNo']}")
        elif (canonical := _canonical(up["bill"])) is None or not verify_signature(
                caller.sm2_public_key, up["bill"], str(up["signValue"]), canonical):
            item.refusal = ee.BillSignatureError(f"应急票据{up['billBatchCode']}-{up['billNo']}的SM2签名验证失败")
        elif link_of(up, canonical) != str(up["hash"]):
            item.refusal = ee.ChainLinkError(f"应急票据{up['billBatchCode']}-{up['billNo']}的哈希链值与内容不符")
        else:
            item.content_error = _content_error(caller, up)
        out.append(item)
    return out


def _canonical(bill: Any) -> bytes | None:
    """The signed bytes of an uploaded bill; None when it cannot be one (not an object, floats...)."""
    if not isinstance(bill, dict):
        return None
    try:
        return canonical_bill_bytes(bill)
    except Exception:  # noqa: BLE001 - whatever it holds, such a bill cannot carry a valid signature
        return None


def _content_error(caller: Caller, up: dict[str, Any]) -> BillingError | None:
    """The one validation pass of the bill itself, outside the write lock."""
    method = str(up["method"])
    if method not in methods.ISSUE:
        return ee.BillContentError(f"不支持的开票方法{method}")
    try:
        validate(method, up["bill"])  # builds a normalised copy; the upload stays as sent (signed)
    except BillingError as exc:
        return ee.BillContentError(f"应急票据{up['billBatchCode']}-{up['billNo']}内容校验不通过：{exc.message}")
    if str(up["bill"]["placeCode"]) not in caller.places:
        return ee.BillContentError(f"终端{caller.appid}未被授权使用开票点{up['bill']['placeCode']}")
    return None
