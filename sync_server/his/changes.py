"""State changes after issuing (issue 4 §5): write-off, paper, feedback, notices, stock.

When the platform is up and nothing is queued ahead for the bill, the change is forwarded and
its answer recorded. When the platform is unreachable (or the answer is lost), the change is
recorded locally at once, queued in the outbox behind whatever the bill already has queued (an
emergency bill's write-off waits for its carry-forward), and answered S0000 with ``queued`` =
``1`` and the platform-made fields (the red bill's number ...) empty; later queries answer them
once the outbox has delivered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, and_, insert, select, update

from billing_core import methods
from billing_core.clock import ts17
from billing_core.envelope import dumps
from sync_server.bills.records import by_id, by_number, public
from sync_server.bills.state import CHANGE_TRANSITIONS, move
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.errors import BillStateError, NotFoundError
from sync_server.outbox import queue as outbox
from sync_server.security.audit import SERVER, Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import bills, paper_bills, red_bills

RED_FIELDS = ("eScarletBillBatchCode", "eScarletBillNo", "eScarletRandom", "createTime", "billQRCode",
              "pictureUrl", "pictureNetUrl")


def find_bill(conn: Connection, method: str, data: dict[str, Any]) -> RowMapping | None:
    """The local bill a change refers to (by e-bill number, or by paper number for invalidPaper)."""
    if method == methods.INVALID_PAPER:
        return conn.execute(select(bills).where(and_(bills.c.p_bill_batch_code == data["pBillBatchCode"],
                                                     bills.c.p_bill_no == data["pBillNo"]))).mappings().first()
    if data.get("billBatchCode") and data.get("billNo"):
        return by_number(conn, str(data["billBatchCode"]), str(data["billNo"]))
    return None


def _check(method: str, row: RowMapping) -> None:
    """Refuse changes the bill's state forbids (spec §12; seed 001 (三)1(5): paper voided first)."""
    if row["state"] != "issued":
        raise BillStateError(f"票据{row['bill_batch_code']}-{row['bill_no']}已作废，不能{method}")
    if method in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER, methods.INVALID_PAPER,
                  methods.TURN_PAPER, methods.RE_TURN_PAPER) and row["is_scarlet"]:
        raise BillStateError(f"票据{row['bill_batch_code']}-{row['bill_no']}已冲红，不能重复冲红或换开")
    if method == methods.WRITE_OFF_EBILL and row["is_prt_paper"]:
        raise BillStateError("该电子票据已换开纸质票据，请先作废纸质票据（invalidPaper）再冲红")
    if method == methods.TURN_PAPER and row["is_prt_paper"]:
        raise BillStateError("该电子票据已换开过纸质票据，重新换开请使用reTurnPaper")
    if method in (methods.RE_TURN_PAPER, methods.WRITE_OFF_EBILL_TO_PAPER) and not row["is_prt_paper"]:
        raise BillStateError("该电子票据尚未换开纸质票据")


def apply_local(conn: Connection, ctx: ServerContext, who: Actor, method: str, data: dict[str, Any],
                row: RowMapping | None, answer: dict[str, Any] | None) -> None:
    """Record the effect of a change on the local bill (answer None = queued, fields pending)."""
    now = ts17(ctx.clock.now())
    if row is None:
        audit(conn, ctx.clock, who, method, "platform", data.get("billNo") or data.get("placeCode"), None,
              {"queued": answer is None})
        return
    before = public(row)
    values: dict[str, Any] = {"updated_at": now}
    if method in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER, methods.INVALID_PAPER):
        ans = answer or {}
        conn.execute(insert(red_bills).values(
            bill_id=row["id"], kind=method, state="issued" if answer is not None else "queued",
            bill_batch_code=ans.get("eScarletBillBatchCode"), bill_no=ans.get("eScarletBillNo"),
            random=ans.get("eScarletRandom"), create_time=ans.get("createTime"), total_amt=-row["total_amt"],
            bus_date_time=data.get("busDateTime"),
            reason=data.get("reason"), operator=data.get("operator") or data.get("author"),
            answer_json=dumps(answer) if answer is not None else None, created_at=now))
        if method == methods.INVALID_PAPER:
            conn.execute(update(paper_bills).where(and_(paper_bills.c.p_bill_batch_code == data["pBillBatchCode"],
                                                        paper_bills.c.p_bill_no == data["pBillNo"]))
                         .values(state="void", reason=data.get("reason")))
    elif method in (methods.TURN_PAPER, methods.RE_TURN_PAPER):
        if method == methods.RE_TURN_PAPER:
            conn.execute(update(paper_bills).where(and_(paper_bills.c.bill_id == row["id"],
                                                        paper_bills.c.state == "issued"))
                         .values(state="void", reason="重新换开"))
        conn.execute(insert(paper_bills).values(
            bill_id=row["id"], p_bill_batch_code=data["pBillBatchCode"], p_bill_no=data["pBillNo"],
            place_code=data.get("placeCode"), state="issued", created_at=now))
        values.update(p_bill_batch_code=data["pBillBatchCode"], p_bill_no=data["pBillNo"])
    elif method == methods.RECEIVE_ARREARS_FEEDBACK:
        values["is_arrears"] = "1"
    if method in CHANGE_TRANSITIONS:  # is_scarlet / is_prt_paper: checked and written in one statement
        move(conn, CHANGE_TRANSITIONS[method], row["id"], values=values)
    else:
        conn.execute(update(bills).where(bills.c.id == row["id"]).values(**values))
    audit(conn, ctx.clock, who, method, "bill", row["id"], before, public(by_id(conn, row["id"])) |
          {"queued": answer is None})


def record_red_answer(conn: Connection, ctx: ServerContext, who: Actor, bill_id: int,
                      answer: dict[str, Any]) -> None:
    """Fill in a queued red bill once the platform answered it (outbox delivery)."""
    red = conn.execute(select(red_bills).where(and_(red_bills.c.bill_id == bill_id, red_bills.c.state == "queued"))
                       .order_by(red_bills.c.id)).mappings().first()
    if red is None:
        return
    conn.execute(update(red_bills).where(red_bills.c.id == red["id"]).values(
        state="issued", bill_batch_code=answer.get("eScarletBillBatchCode") or answer.get("scarletBillBatchCode"),
        bill_no=answer.get("eScarletBillNo") or answer.get("scarletBillNo"),
        random=answer.get("eScarletRandom") or answer.get("scarletRandom"),
        create_time=answer.get("createTime") or answer.get("scarletCreateTime"), answer_json=dumps(answer)))
    audit(conn, ctx.clock, who, "red_bill_confirmed", "red_bill", red["id"], {"state": "queued"},
          {"state": "issued", "bill_no": answer.get("eScarletBillNo") or answer.get("scarletBillNo")})


def with_bus_date(method: str, data: dict[str, Any], answer: Any) -> Any:
    """A red-bill answer with ``billBusDate`` (the write-off's business time, 17 digits): a 2025 HIS
    client treats an answer without it as not done (spec §3.4). The platform's value is kept."""
    if method not in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER, methods.INVALID_PAPER) \
            or not isinstance(answer, dict):
        return answer
    return answer | {"billBusDate": answer.get("billBusDate") or str(data.get("busDateTime") or "")}


def group_of(row: RowMapping | None, method: str, data: dict[str, Any]) -> str:
    """The outbox group: the bill's busNo (in order per bill), else the method's own key."""
    if row is not None:
        return str(row["bus_no"])
    return f"{method}:{data.get('placeCode', '')}"


def change(ctx: ServerContext, who: Actor, method: str, data: dict[str, Any]) -> Any:
    """Forward or queue one state change; the answer for the caller.

    ``data`` is validated (sync_server.bills.validation: the keys read here are required there)."""
    with read_tx(ctx.engine) as conn:
        # a bill the server has no record of (issued behind its back) is forwarded: the platform decides
        row = find_bill(conn, method, data)
        if row is not None and method not in (methods.RECEIVE_LIST_DETAIL, methods.SEND_BILL_NOTICE,
                                              methods.RECEIVE_ARREARS_FEEDBACK):
            _check(method, row)
        if method == methods.INVALID_PAPER and row is None:
            raise NotFoundError(f"未找到纸质票据{data['pBillBatchCode']}-{data['pBillNo']}的换开记录")
        queued_ahead = row is not None and outbox.has_pending(conn, str(row["bus_no"]))
    answer: Any = None
    in_doubt = False
    if not queued_ahead:
        try:
            answer = ctx.upstream.call(method, data)
        except PlatformUnreachable as exc:
            answer, in_doubt = None, exc.in_doubt
    with write_tx(ctx.engine) as conn:
        row = find_bill(conn, method, data) if row is not None else None
        if answer is not None:
            apply_local(conn, ctx, who, method, data, row, answer if isinstance(answer, dict) else {})
            return with_bus_date(method, data, answer)
        apply_local(conn, ctx, who, method, data, row, None)
        outbox.enqueue(conn, ctx.clock, group=group_of(row, method, data), kind="change", method=method,
                       payload={"data": data, "billId": None if row is None else row["id"], "inDoubt": in_doubt},
                       idem_key=f"chg:{method}:{data.get('billBatchCode') or data.get('pBillBatchCode', '')}:"
                                f"{data.get('billNo') or data.get('pBillNo', '')}:{ts17(ctx.clock.now())}:"
                                f"{id(data)}")
    ctx.wake.set()
    if method in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER, methods.INVALID_PAPER):
        return with_bus_date(method, data, {k: "" for k in RED_FIELDS} | {"queued": "1"})
    return "成功（已受理，待财政平台恢复后提交）"


def deliver_change(ctx: ServerContext, item: dict[str, Any], payload: dict[str, Any]) -> None:
    """Deliver one queued change (outbox kind ``change``); a previous attempt whose answer was lost
    is checked on the platform before re-sending. Raises DeadLetter when refused for good."""
    method, data = item["method"], payload["data"]
    first_try = item["attempts"] <= 1 and not payload.get("inDoubt")
    try:
        if method in (methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER):
            # a previous attempt may have been applied with its answer lost: the connector checks
            # the bill's state before re-sending (an existing red bill is the answer)
            answer: Any = ctx.upstream.write_off(method, data, check_first=not first_try, idem_key=item["idem_key"])
        else:
            answer = ctx.upstream.call(method, data, idem_key=item["idem_key"])
    except PlatformRejected as exc:
        raise outbox.DeadLetter(f"{exc.code} {exc.message}") from None
    with write_tx(ctx.engine) as conn:
        if payload.get("billId") and isinstance(answer, dict) and method in (
                methods.WRITE_OFF_EBILL, methods.WRITE_OFF_EBILL_TO_PAPER, methods.INVALID_PAPER):
            record_red_answer(conn, ctx, SERVER, int(payload["billId"]), answer)
        elif payload.get("billId") is None:
            apply_local(conn, ctx, SERVER, method + "_delivered", data, None, {})
        outbox.finish(conn, ctx.clock, item["id"])
