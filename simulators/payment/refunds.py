"""Refunds to the original channel: partial or full, never more than was paid, idempotent on
``out_refund_no``; and the refund query.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from simulators.payment import errors, orders, params
from simulators.payment.errors import PayError
from simulators.payment.platform import Platform


def _answer(row: sqlite3.Row, order: sqlite3.Row, refunded: int) -> dict[str, Any]:
    return {
        "out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"],
        "out_refund_no": row["out_refund_no"], "refund_id": row["refund_id"], "refund_fee": row["refund_fee"],
        "total_fee": order["total_fee"], "refund_status": row["state"], "refund_reason": row["reason"],
        # money goes back the way it came: the channel the patient paid with
        "refund_channel": "ORIGINAL", "channel": order["pay_channel"],
        "refund_success_time": orders.time14(row["success_at"]), "refunded_total": refunded,
    }


def _refunded(db: sqlite3.Connection, order_id: int) -> int:
    return int(db.execute("SELECT COALESCE(SUM(refund_fee), 0) FROM refunds WHERE order_id = ? AND state = 'SUCCESS'",
                          (order_id,)).fetchone()[0])


def refund(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> dict[str, Any]:
    """Refund ``refund_fee`` of a paid order; a repeat of the same out_refund_no answers the same refund."""
    out_trade_no = params.number(req, "out_trade_no")
    out_refund_no = params.number(req, "out_refund_no")
    refund_fee = params.fen(req, "refund_fee")
    total_fee = params.fen(req, "total_fee", required=False)
    reason = params.text(req, "refund_desc", 80, required=False)
    order = orders.refresh(p, db, orders.find(db, mch_id, out_trade_no))
    if total_fee and total_fee != order["total_fee"]:
        raise PayError(errors.PARAM, f"参数total_fee（{total_fee}分）与原订单金额{order['total_fee']}分不符")
    old = db.execute("SELECT * FROM refunds WHERE mch_id = ? AND out_refund_no = ?", (mch_id, out_refund_no)).fetchone()
    if old is not None:
        if old["order_id"] != order["id"] or old["refund_fee"] != refund_fee:
            raise PayError(errors.REFUND_NO_USED,
                           f"退款单号{out_refund_no}已用于另一笔退款（{old['refund_fee']}分），请使用新的退款单号")
        return _answer(old, order, _refunded(db, order["id"]))
    if order["state"] not in orders.PAID:
        raise PayError(errors.REFUND_NOT_PAID, f"订单未支付成功，不能退款：{orders.STATE_DESC[order['state']]}")
    done = _refunded(db, order["id"])
    left = order["total_fee"] - done
    if refund_fee > left:
        raise PayError(errors.REFUND_EXCEEDS, f"退款金额refund_fee（{refund_fee}分）超过可退金额：订单{order['total_fee']}分，"
                       f"已退{done}分，可退{left}分")
    plan = json.loads(order["plan_json"])
    if plan.get("refund_fail") or p.store.knob(db, "refund_fail", False):
        raise PayError(errors.REFUND_FAILED, "退款失败：原支付渠道拒绝退款，请稍后重试或转人工处理")
    now = p.now()
    refund_id = f"50{orders.time14(now)}{order['id']:08d}{secrets.randbelow(10**4):04d}"
    cur = db.execute("INSERT INTO refunds (mch_id, order_id, out_refund_no, refund_id, refund_fee, reason, state,"
                     " created, success_at) VALUES (?, ?, ?, ?, ?, ?, 'SUCCESS', ?, ?)",
                     (mch_id, order["id"], out_refund_no, refund_id, refund_fee, reason, now, now))
    db.execute("UPDATE orders SET state = 'REFUND' WHERE id = ?", (order["id"],))
    row = db.execute("SELECT * FROM refunds WHERE id = ?", (cur.lastrowid,)).fetchone()
    return _answer(row, order, done + refund_fee)


def refund_query(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> dict[str, Any]:
    """One refund by ``out_refund_no``, or every refund of ``out_trade_no`` (as the list ``refunds``)."""
    out_refund_no = params.number(req, "out_refund_no", required=False)
    if out_refund_no:
        row = db.execute("SELECT * FROM refunds WHERE mch_id = ? AND out_refund_no = ?",
                         (mch_id, out_refund_no)).fetchone()
        if row is None:
            raise PayError(errors.REFUND_NOT_EXIST, f"退款单不存在：退款单号{out_refund_no}")
        order = db.execute("SELECT * FROM orders WHERE id = ?", (row["order_id"],)).fetchone()
        return _answer(row, order, _refunded(db, order["id"]))
    out_trade_no = params.number(req, "out_trade_no", required=False)
    if not out_trade_no:
        raise PayError(errors.PARAM, "缺少参数out_refund_no或out_trade_no")
    order = orders.find(db, mch_id, out_trade_no)
    rows = db.execute("SELECT * FROM refunds WHERE order_id = ? ORDER BY id", (order["id"],)).fetchall()
    refunded = _refunded(db, order["id"])
    return {"out_trade_no": out_trade_no, "total_fee": order["total_fee"], "refunded_total": refunded,
            "refund_count": len(rows), "refunds": [_answer(r, order, refunded) for r in rows]}
