"""The electronic settlement voucher (issue 16 §2, seed 002; docs/INSURANCE.md §13.4).

* ``insVoucherUpload`` (:func:`queue_upload`): the settlement (settled) and the bill the server
  issued for it (same amount, not red) -> an ``ins_vouchers`` row ``queued`` and an outbox item of
  kind ``ins_voucher`` in the same transaction, audited: the upload survives an outage or a
  restart, and a repeat returns the row already queued.
* the worker (:func:`deliver_voucher`): the bill's layout file from the finance platform
  (getEBillLayoutFile, PDF), 4901 with the fields of voucher_fields.py; an answer lost and sent
  again meets "already uploaded", which is settled by 4902; a refusal marks the row ``refused``
  (the reason kept) — the platform unreachable retries with backoff.
* ``insVoucherReupload`` (:func:`queue_reupload`): a voucher the centre kept but refused (4901 /
  4905 answered upld_stas not 1) queued again, the same outbox kind with method 4905; the worker
  sends the bill's layout file again. Anything else is E5645.
* ``insVoucherStatus`` (:func:`status`): the row; with ``refresh`` also 5501 (the voucher's state
  at the centre and whether it was used for reimbursement — checked before a refund).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from billing_core.clock import ts17
from sync_server.bills.records import red_of
from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.insurance_envelope import OPERATOR, Operator
from sync_server.connectors.insurance_errors import InsuranceRejected, InsuranceUnreachable
from sync_server.context import ServerContext
from sync_server.insurance import fields, records, state, voucher_fields
from sync_server.insurance.settle import Desk
from sync_server.insurance.voucher_errors import (
    VoucherBillError,
    VoucherConflictError,
    VoucherNotFoundError,
    VoucherReuploadError,
    VoucherStateError,
)
from sync_server.outbox import queue as outbox
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.schema import bills, red_bills
from sync_server.store.voucher_schema import ins_vouchers

KIND = "ins_voucher"
#: Words of a 4901 refusal meaning "this bill's voucher is already there" (an answer lost before).
ALREADY = ("已上传",)


def _answer(row: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"settlementId": row["settlement_id"], "flag": row["flag"], "state": row["state"],
            "billBatchCode": row["bill_batch_code"], "billNo": row["bill_no"], "attempts": row["attempts"],
            "uploadCount": row["upload_count"], "message": row["message"] or "", "updatedAt": row["updated_at"]
            } | dict(extra or {})


def _voucher(conn: Connection, settlement_id: int, flag: str = voucher_fields.NORMAL) -> Mapping[str, Any] | None:
    row = conn.execute(select(ins_vouchers).where(ins_vouchers.c.settlement_id == settlement_id,
                                                  ins_vouchers.c.flag == flag)).mappings().first()
    return None if row is None else dict(row)


def queue_upload(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """insVoucherUpload: queue the voucher of a settled settlement's bill (idempotent); with
    ``red`` = "1" the red-flush voucher of a cancelled settlement whose bill was written off."""
    sid = fields.settlement_id(data)
    if fields.one_of(data, "red", ("0", "1"), "0") == "1":
        return _queue_red(desk, sid)
    code = fields.required(data, "billBatchCode", 50)
    no = fields.required(data, "billNo", 20)
    now = desk.now17()
    with write_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        known = _voucher(conn, sid)
        if known is not None:
            if (known["bill_batch_code"], known["bill_no"]) != (code, no):
                raise VoucherConflictError(f"医保结算{sid}已为票据{known['bill_batch_code']}/{known['bill_no']}上传凭证")
            return _answer(known)
        if row["state"] != state.SETTLED:
            raise VoucherStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，不能上传电子结算凭证")
        bill = conn.execute(select(bills).where(bills.c.bill_batch_code == code, bills.c.bill_no == no)).mappings().first()
        if bill is None:
            raise VoucherBillError(f"服务器无票据{code}/{no}（应急票据须先上传结转）")
        if bill["is_scarlet"]:
            raise VoucherBillError(f"票据{code}/{no}已冲红，不能上传电子结算凭证")
        if Decimal(bill["total_amt"]) != Decimal(row["medfee_sumamt"]):
            raise VoucherBillError(f"票据金额{bill['total_amt']}与医保结算医疗费总额{row['medfee_sumamt']}不符")
        vid = inserted_id(conn.execute(insert(ins_vouchers).values(
            settlement_id=sid, flag=voucher_fields.NORMAL, bill_batch_code=code, bill_no=no, state="queued",
            attempts=0, upload_count=0, caller=desk.caller, created_at=now, updated_at=now)))
        outbox.enqueue(conn, desk.ctx.clock, group=f"insv:{sid}", kind=KIND, method=voucher_fields.UPLOAD,
                       payload={"voucherId": vid, "opter": desk.op.opter}, idem_key=f"insv:{sid}:0")
        audit(conn, desk.ctx.clock, desk.actor, "ins_voucher_queued", "ins_voucher", vid, None,
              {"settlement_id": sid, "bill_batch_code": code, "bill_no": no})
        queued = _voucher(conn, sid)
        assert queued is not None
        return _answer(queued)


def queue_reupload(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """insVoucherReupload: queue 4905 for the settlement's voucher the centre refused on review
    (idempotent while queued). The reason is kept in the row's message and the audit row."""
    sid = fields.settlement_id(data)
    reason = fields.required(data, "reason", 100)
    now = desk.now17()
    with write_tx(desk.ctx.engine) as conn:
        records.load(conn, sid)  # scope and existence (E5614)
        known = _voucher(conn, sid)
        if known is None:
            raise VoucherNotFoundError(f"医保结算{sid}尚未上传电子结算凭证，不能重传")
        if known["state"] == "queued":
            return _answer(known)
        if known["state"] == "uploaded":
            raise VoucherReuploadError(f"医保结算{sid}的电子结算凭证已被医保中心接收，无需重传")
        if known["result_json"] is None:  # refused before the centre kept it: 4905 has nothing to replace
            raise VoucherReuploadError(f"医保结算{sid}的电子结算凭证未被医保中心接收（{known['message'] or '上传被拒'}），不能重传")
        conn.execute(update(ins_vouchers).where(ins_vouchers.c.id == known["id"]).values(
            state="queued", message=f"重传：{reason}"[:500], updated_at=now))
        outbox.enqueue(conn, desk.ctx.clock, group=f"insv:{sid}", kind=KIND, method=voucher_fields.REUPLOAD,
                       payload={"voucherId": known["id"], "opter": desk.op.opter, "reupload": True},
                       idem_key=f"insv:{sid}:0:r{known['attempts']}")
        audit(conn, desk.ctx.clock, desk.actor, "ins_voucher_reupload_queued", "ins_voucher", known["id"],
              {"state": known["state"], "message": (known["message"] or "")[:200]}, {"state": "queued", "reason": reason})
        queued = _voucher(conn, sid)
        assert queued is not None
        return _answer(queued)


def _queue_red(desk: Desk, sid: int) -> dict[str, Any]:
    """The red-flush voucher (flag 1): the settlement cancelled or reversed, its voucher queued or
    uploaded, its bill written off red on the server; queued behind the normal voucher (same
    outbox group: delivered after it)."""
    now = desk.now17()
    with write_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        known = _voucher(conn, sid, voucher_fields.RED)
        if known is not None:
            return _answer(known)
        normal = _voucher(conn, sid)
        if normal is None or normal["state"] == "refused":
            raise VoucherNotFoundError(f"医保结算{sid}没有已上传的电子结算凭证，无需冲红凭证")
        if row["state"] not in (state.CANCELLED, state.REVERSED):
            raise VoucherStateError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，撤销后才能上传冲红凭证")
        bill = conn.execute(select(bills).where(bills.c.bill_batch_code == normal["bill_batch_code"],
                                                bills.c.bill_no == normal["bill_no"])).mappings().one()
        red = red_of(conn, bill["id"])
        if red is None or red["state"] != "issued" or not red["bill_no"]:
            raise VoucherBillError(f"票据{normal['bill_batch_code']}/{normal['bill_no']}尚未冲红，不能上传冲红凭证")
        vid = inserted_id(conn.execute(insert(ins_vouchers).values(
            settlement_id=sid, flag=voucher_fields.RED, bill_batch_code=red["bill_batch_code"], bill_no=red["bill_no"],
            state="queued", attempts=0, upload_count=0, caller=desk.caller, created_at=now, updated_at=now)))
        outbox.enqueue(conn, desk.ctx.clock, group=f"insv:{sid}", kind=KIND, method=voucher_fields.UPLOAD,
                       payload={"voucherId": vid, "opter": desk.op.opter}, idem_key=f"insv:{sid}:1")
        audit(conn, desk.ctx.clock, desk.actor, "ins_voucher_red_queued", "ins_voucher", vid, None,
              {"settlement_id": sid, "bill_batch_code": red["bill_batch_code"], "bill_no": red["bill_no"]})
        queued = _voucher(conn, sid, voucher_fields.RED)
        assert queued is not None
        return _answer(queued)


def status(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """insVoucherStatus: the voucher row; with ``refresh`` = "1" the centre's 5501 view."""
    sid = fields.settlement_id(data)
    with read_tx(desk.ctx.engine) as conn:
        row = records.load(conn, sid)
        known = _voucher(conn, sid)
        red = _voucher(conn, sid, voucher_fields.RED)
    if known is None:
        raise VoucherNotFoundError(f"医保结算{sid}尚未上传电子结算凭证")
    base = {"red": _answer(red)} if red is not None else {}
    if fields.optional(data, "refresh") != "1" or not row["setl_id"]:
        return _answer(known, base)
    out = desk.client.voucher_call(desk.op, voucher_fields.STATUS, voucher_fields.status_query(row["setl_id"]),
                                   row["insuplc_admdvs"])
    found = voucher_fields.parse_status(out)
    mine = next((r for r in found if (r["billBatchCode"], r["billNo"]) == (known["bill_batch_code"], known["bill_no"])),
                None)
    extra: dict[str, Any] = base | {"centre": found}
    if mine is not None:
        extra |= {"certState": mine["certState"], "reimFlag": mine["reimFlag"]}
    return _answer(known, extra)


# ----------------------------------------------------------------------------- worker

def _finish(ctx: ServerContext, item: Mapping[str, Any], vid: int, before: str, after: str, message: str,
            result: Mapping[str, Any] | None = None, count: int | None = None) -> None:
    now = ts17(ctx.clock.now())
    values: dict[str, Any] = {"state": after, "message": message[:500], "updated_at": now}
    if result is not None:
        values["result_json"] = json.dumps(dict(result), ensure_ascii=False)
    if count is not None:
        values["upload_count"] = count
    with write_tx(ctx.engine) as conn:
        conn.execute(update(ins_vouchers).where(ins_vouchers.c.id == vid).values(**values))
        audit(conn, ctx.clock, SERVER, f"ins_voucher_{after}", "ins_voucher", vid, {"state": before},
              {"state": after, "message": message[:200]})
        outbox.finish(conn, ctx.clock, item["id"], "done" if after == "uploaded" else "dead",
                      None if after == "uploaded" else message[:500])


def _signed(flag: str, amount: Any) -> Decimal:
    """A red-flush voucher carries the negated amount of the original (the centre checks it)."""
    value = abs(Decimal(amount))
    return -value if flag == voucher_fields.RED else value


def deliver_voucher(ctx: ServerContext, item: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """Upload one queued voucher (the outbox worker). Raises the connectors' unreachable errors
    so the worker retries with backoff; a refusal is final (row ``refused``, item dead)."""
    vid = int(payload["voucherId"])
    client = ctx.insurance
    if client is None:
        raise InsuranceUnreachable("未配置医保平台，电子结算凭证稍后上传")
    with write_tx(ctx.engine) as conn:
        v = dict(conn.execute(select(ins_vouchers).where(ins_vouchers.c.id == vid)).mappings().one())
        if v["state"] != "queued":
            outbox.finish(conn, ctx.clock, item["id"])
            return
        conn.execute(update(ins_vouchers).where(ins_vouchers.c.id == vid).values(attempts=v["attempts"] + 1))
        audit(conn, ctx.clock, SERVER, "ins_voucher_attempt", "ins_voucher", vid, None, {"attempt": v["attempts"] + 1})
        s = records.load(conn, v["settlement_id"])
        if v["flag"] == voucher_fields.RED:  # the red bill; the original voucher it names
            bill = conn.execute(select(red_bills).where(red_bills.c.bill_batch_code == v["bill_batch_code"],
                                                        red_bills.c.bill_no == v["bill_no"])).mappings().one()
            orig = _voucher(conn, v["settlement_id"])
            assert orig is not None
            rel = (orig["bill_batch_code"], orig["bill_no"])
        else:
            bill = conn.execute(select(bills).where(bills.c.bill_batch_code == v["bill_batch_code"],
                                                    bills.c.bill_no == v["bill_no"])).mappings().one()
            rel = ("", "")
    try:
        layout = ctx.upstream.get_ebill_layout_file(v["bill_batch_code"], v["bill_no"], bill["random"])
        pdf = base64.b64decode(str(layout.get("fileData", "")), validate=True)
    except PlatformRejected as exc:
        _finish(ctx, item, vid, "queued", "refused", f"财政平台未提供票据版式文件：{exc.code} {exc.message}")
        return
    except (binascii.Error, ValueError):
        _finish(ctx, item, vid, "queued", "refused", "财政平台返回的票据版式文件不是有效的Base64")
        return
    op = Operator(str(payload.get("opter") or "server")[:30], str(payload.get("opter") or "server")[:50], OPERATOR)
    data = voucher_fields.upload_data(
        setl_id=s["setl_id"], mdtrt_id=s["mdtrt_id"], psn_no=s["psn_no"], bill_batch_code=v["bill_batch_code"],
        bill_no=v["bill_no"], check_code=bill["random"] or "", amount=_signed(v["flag"], bill["total_amt"]),
        create_time=bill["create_time"] or ts17(ctx.clock.now()), biller=op.opter, pdf=pdf, flag=v["flag"],
        rel_bill_batch_code=rel[0], rel_bill_no=rel[1])
    again = bool(payload.get("reupload"))
    try:
        out = client.voucher_call(op, voucher_fields.REUPLOAD if again else voucher_fields.UPLOAD, data,
                                  s["insuplc_admdvs"])
    except InsuranceRejected as exc:
        if again or not any(word in exc.err_msg for word in ALREADY):
            _finish(ctx, item, vid, "queued", "refused", f"电子结算凭证{'重传' if again else '上传'}被拒：{exc.err_msg}")
            return
        out = client.voucher_call(op, voucher_fields.RESULT,
                                  voucher_fields.result_query(v["bill_batch_code"], v["bill_no"]), s["insuplc_admdvs"])
    result = voucher_fields.parse_result(out)
    if not result["uploaded"]:
        _finish(ctx, item, vid, "queued", "refused", f"电子结算凭证上传未成功：{result['text']}", result)
        return
    _finish(ctx, item, vid, "queued", "uploaded", result["text"] or "上传成功", result, result["count"])



