"""2601 reversal (冲正): undo the transaction whose msgid was ``omsgid``, when its outcome is
unknown to the institution (timeout) or its own processing failed afterwards (spec §5 2601, §10.2).

Which infnos are reversible is the ``reversible`` knob (the official list was not found). A
transaction the platform never received, or that failed, has nothing to undo: refused, so the
client knows the original did not happen.
"""

from __future__ import annotations

from simulators.insurance import settle
from simulators.insurance.context import Ctx, Handler, Output, load_json
from simulators.insurance.envelope import node, req
from simulators.insurance.errors import InsFailure


def reverse(ctx: Ctx) -> Output:
    """2601."""
    data = node(ctx.env.input, "data")
    psn_no = req(data, "psn_no", "data.")
    omsgid = req(data, "omsgid", "data.")
    oinfno = req(data, "oinfno", "data.")
    msg = ctx.db.execute("SELECT * FROM messages WHERE fixmedins_code = ? AND msgid = ?", (ctx.code, omsgid)).fetchone()
    if msg is None:
        raise InsFailure(f"原交易报文ID{omsgid}不存在，无需冲正")
    if msg["infno"] != oinfno:
        raise InsFailure(f"原交易编号oinfno（{oinfno}）与原报文的交易编号（{msg['infno']}）不符")
    if oinfno not in ctx.knob("reversible"):
        raise InsFailure(f"交易{oinfno}不支持冲正")
    if msg["state"] == "reversed":
        raise InsFailure(f"原交易{omsgid}已冲正")
    if msg["state"] != "ok":
        raise InsFailure(f"原交易{omsgid}未成功，无需冲正")
    if msg["psn_no"] and msg["psn_no"] != psn_no:
        raise InsFailure("人员编号psn_no与原交易不符")
    effect = load_json(msg["effect_json"])
    _undo(ctx, oinfno, effect)
    ctx.db.execute("UPDATE messages SET state = 'reversed' WHERE fixmedins_code = ? AND msgid = ?", (ctx.code, omsgid))
    ctx.effect = {"omsgid": omsgid}
    return {}


def _undo(ctx: Ctx, oinfno: str, effect: dict[str, object]) -> None:
    if oinfno in ("2207", "2304", "2102"):
        orig = ctx.settlement(str(effect["setl_id"]))
        if orig["state"] != "valid":
            raise InsFailure(f"原结算{orig['setl_id']}已撤销，不能冲正")
        settle.release(ctx, orig, "reversed")
        if oinfno == "2102":  # the pharmacy's lines and visit were opened by the settlement itself
            ctx.db.execute("UPDATE fees SET state = 'cancelled' WHERE mdtrt_id = ? AND state = 'up'",
                           (orig["mdtrt_id"],))
            ctx.db.execute("UPDATE visits SET state = 'cancelled' WHERE mdtrt_id = ?", (orig["mdtrt_id"],))
    elif oinfno in ("2208", "2305"):
        cancel = ctx.settlement(str(effect["cancel_setl_id"]))
        orig = ctx.settlement(str(effect["orig_setl_id"]))
        settle.restore(ctx, orig, [int(i) for i in effect["fee_ids"]])  # type: ignore[attr-defined]
        ctx.db.execute("UPDATE settlements SET state = 'reversed' WHERE setl_id = ?", (cancel["setl_id"],))
    elif oinfno in ("2204", "2301"):
        ids = [int(i) for i in effect["fee_ids"]]  # type: ignore[attr-defined]
        if any(r["state"] == "settled" for r in ctx.db.execute(
                f"SELECT state FROM fees WHERE id IN ({','.join('?' * len(ids))})", ids)):  # noqa: S608
            raise InsFailure("原交易上传的费用明细已结算，请先撤销结算")
        ctx.db.executemany("UPDATE fees SET state = 'cancelled' WHERE id = ?", [(i,) for i in ids])
    elif oinfno in ("2201", "2401"):
        from simulators.insurance.tx_outpatient import close_visit

        row = ctx.db.execute("SELECT * FROM visits WHERE mdtrt_id = ?", (str(effect["mdtrt_id"]),)).fetchone()
        close_visit(ctx, row)
    elif oinfno == "2402":
        row = ctx.db.execute("SELECT * FROM visits WHERE mdtrt_id = ?", (str(effect["mdtrt_id"]),)).fetchone()
        if row["state"] != "discharged":
            raise InsFailure("原出院办理的状态已变化，不能冲正")
        if ctx.db.execute("SELECT 1 FROM settlements WHERE mdtrt_id = ? AND state = 'valid' AND mid_setl_flag = '0'"
                          " AND refd_setl_flag = '0'", (row["mdtrt_id"],)).fetchone():
            raise InsFailure("该住院已出院结算，请先撤销结算")
        ctx.db.execute("UPDATE visits SET state = 'open', endtime = NULL WHERE mdtrt_id = ?", (row["mdtrt_id"],))
    elif oinfno == "4101":
        ctx.db.execute("UPDATE uploads SET state = 'reversed' WHERE id = ?", (int(str(effect["upload_id"])),))
    else:
        raise InsFailure(f"交易{oinfno}不支持冲正")


REGISTRY: dict[str, Handler] = {"2601": reverse}
