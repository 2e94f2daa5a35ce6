"""Orders: unified order (主扫), micropay (被扫), query, close, reverse, and the patient's side
(scan and pay, confirm on the phone). Every function runs inside one store transaction.

An order's state moves only forward: NOTPAY / USERPAYING -> SUCCESS | PAYERROR | CLOSED | REVOKED,
SUCCESS -> REFUND. :func:`refresh` applies what time has decided (late success due, expiry passed)
before any read or change, so the answer is the same whichever call comes first.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from datetime import datetime
from typing import Any

from billing_core.clock import CST
from simulators.payment import errors, notify, params
from simulators.payment.errors import PayError
from simulators.payment.platform import Platform

CHANNELS = ("wechat", "alipay", "unionpay")
#: 被扫 auth codes: WeChat 10-15 + 16 digits (18), Alipay 25-30 + 14-22 digits (16-24),
#: UnionPay 62 + 17 digits (19).
AUTH_CODES = (
    ("wechat", re.compile(r"^1[0-5]\d{16}$")),
    ("alipay", re.compile(r"^(2[5-9]|30)\d{14,22}$")),
    ("unionpay", re.compile(r"^62\d{17}$")),
)
STATE_DESC = {
    "NOTPAY": "未支付，等待患者扫码", "USERPAYING": "用户支付中，等待患者在手机上确认",
    "SUCCESS": "支付成功", "CLOSED": "订单已关闭", "PAYERROR": "支付失败", "REVOKED": "订单已撤销",
    "REFUND": "已转入退款",
}
PAID = ("SUCCESS", "REFUND")
OPEN = ("NOTPAY", "USERPAYING")
#: 主扫 orders expire after this many seconds unless the request says otherwise (WeChat: 2 h).
DEFAULT_EXPIRE = 7200


def channel_of_auth_code(code: str) -> str:
    """The channel of a 被扫 payment code, from its prefix and length; E3714 when none fits."""
    if not code.isdigit():
        raise PayError(errors.AUTH_CODE, "付款码auth_code只能是数字，请患者刷新付款码后重新扫描")
    for channel, pattern in AUTH_CODES:
        if pattern.match(code):
            return channel
    raise PayError(errors.AUTH_CODE, "付款码auth_code无法识别（不是微信、支付宝或银联付款码），请患者出示正确的付款码")


def time14(epoch: float | None) -> str:
    """``yyyyMMddHHmmss`` in CST ('' for None)."""
    return "" if epoch is None else datetime.fromtimestamp(epoch, CST).strftime("%Y%m%d%H%M%S")


def find(db: sqlite3.Connection, mch_id: str, out_trade_no: str) -> sqlite3.Row:
    """The order, or E3710."""
    row: sqlite3.Row | None = db.execute("SELECT * FROM orders WHERE mch_id = ? AND out_trade_no = ?",
                                         (mch_id, out_trade_no)).fetchone()
    if row is None:
        raise PayError(errors.ORDER_NOT_EXIST, f"订单不存在：商户订单号{out_trade_no}")
    return row


def refresh(p: Platform, db: sqlite3.Connection, row: sqlite3.Row, *, query: bool = False) -> sqlite3.Row:
    """Apply a due late success or a passed expiry; ``query`` counts one status query."""
    now = p.now()
    if query:
        db.execute("UPDATE orders SET queries = queries + 1 WHERE id = ?", (row["id"],))
        row = db.execute("SELECT * FROM orders WHERE id = ?", (row["id"],)).fetchone()
    if row["state"] in OPEN:
        due_time = row["pay_at"] is not None and row["pay_at"] <= min(now, row["expire_at"])
        due_count = row["pay_after_queries"] is not None and row["queries"] >= row["pay_after_queries"]
        if due_time or (due_count and now < row["expire_at"]):
            mark_paid(p, db, row, row["pay_at"] if due_time else now)
        elif now >= row["expire_at"]:
            db.execute("UPDATE orders SET state = 'CLOSED', closed_at = expire_at, pay_at = NULL,"
                       " pay_after_queries = NULL WHERE id = ?", (row["id"],))
    out: sqlite3.Row = db.execute("SELECT * FROM orders WHERE id = ?", (row["id"],)).fetchone()
    return out


def mark_paid(p: Platform, db: sqlite3.Connection, row: sqlite3.Row, when: float, channel: str = "") -> None:
    """SUCCESS: a platform transaction id, and a notification queued when the order has a notify_url."""
    pay_channel = channel or row["pay_channel"] or (row["channel"] if row["channel"] in CHANNELS else "wechat")
    prefix = {"wechat": "42", "alipay": "20", "unionpay": "62"}[pay_channel]
    txn = f"{prefix}{time14(when)}{row['id']:08d}{secrets.randbelow(10**4):04d}"
    db.execute("UPDATE orders SET state = 'SUCCESS', paid_at = ?, pay_channel = ?, transaction_id = ?,"
               " pay_at = NULL, pay_after_queries = NULL WHERE id = ?", (when, pay_channel, txn, row["id"]))
    if row["notify_url"]:
        notify.queue(p, db, row["id"])


def answer(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    """The order as the API answers it."""
    refunded = db.execute("SELECT COALESCE(SUM(refund_fee), 0) FROM refunds WHERE order_id = ?"
                          " AND state = 'SUCCESS'", (row["id"],)).fetchone()[0]
    desc = STATE_DESC[row["state"]]
    if row["state"] == "PAYERROR" and row["err_msg"]:
        desc = f"支付失败：{row['err_msg']}"
    out: dict[str, Any] = {
        "out_trade_no": row["out_trade_no"], "transaction_id": row["transaction_id"],
        "trade_type": row["trade_type"], "trade_state": row["state"], "trade_state_desc": desc,
        "total_fee": row["total_fee"], "refund_fee": int(refunded), "channel": row["channel"],
        "pay_channel": row["pay_channel"], "time_end": time14(row["paid_at"]), "body": row["body"],
        "time_expire": time14(row["expire_at"]), "code_url": row["code_url"],
    }
    if row["state"] == "PAYERROR":
        out.update(pay_err_code=row["err_code"], pay_err_msg=row["err_msg"], channel_err_code=row["channel_err_code"])
    return out


def _existing(db: sqlite3.Connection, mch_id: str, out_trade_no: str, trade_type: str,
              total_fee: int) -> sqlite3.Row | None:
    """The order already made for this number (idempotent repeat), or None; E3711 if it differs."""
    row: sqlite3.Row | None = db.execute("SELECT * FROM orders WHERE mch_id = ? AND out_trade_no = ?",
                                         (mch_id, out_trade_no)).fetchone()
    if row is not None and (row["total_fee"] != total_fee or row["trade_type"] != trade_type):
        raise PayError(errors.OUT_TRADE_NO_USED,
                       f"商户订单号{out_trade_no}已用于另一笔订单（金额{row['total_fee']}分），请使用新的订单号")
    return row


def _insert(p: Platform, db: sqlite3.Connection, mch_id: str, fields: dict[str, Any]) -> sqlite3.Row:
    plan = p.take_plan(db, mch_id, fields["out_trade_no"])
    names = ["mch_id", *fields, "plan_json", "created"]
    values = [mch_id, *fields.values(), json.dumps(plan), p.now()]
    cur = db.execute(f"INSERT INTO orders ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
    row: sqlite3.Row = db.execute("SELECT * FROM orders WHERE id = ?", (cur.lastrowid,)).fetchone()
    return row


def _schedule_late(db: sqlite3.Connection, row: sqlite3.Row, plan: dict[str, Any], now: float) -> None:
    """USERPAYING, SUCCESS later by time and/or by count of queries (as the plan says)."""
    pay_at = now + float(plan["late_seconds"]) if "late_seconds" in plan else None
    after = int(plan["late_queries"]) + row["queries"] if "late_queries" in plan else None
    if pay_at is None and after is None and plan["outcome"] == "late":
        pay_at = now + 5.0
    db.execute("UPDATE orders SET state = 'USERPAYING', pay_at = ?, pay_after_queries = ? WHERE id = ?",
               (pay_at, after, row["id"]))


def _fail(db: sqlite3.Connection, row: sqlite3.Row, plan: dict[str, Any]) -> None:
    db.execute("UPDATE orders SET state = 'PAYERROR', err_code = ?, err_msg = ?, channel_err_code = ?"
               " WHERE id = ?", (errors.PAY_FAILED, plan.get("reason") or "用户余额不足",
                                 plan.get("channel_err_code") or "NOTENOUGH", row["id"]))


def unified_order(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any],
                  base_url: str) -> tuple[dict[str, Any], float]:
    """主扫: create (or repeat) an order and answer its code_url; returns (answer, seconds to hang)."""
    out_trade_no = params.number(req, "out_trade_no")
    total_fee = params.fen(req, "total_fee")
    body = params.text(req, "body", 128)
    channel = params.text(req, "channel", 16, required=False) or "aggregate"
    if channel not in (*CHANNELS, "aggregate"):
        raise PayError(errors.PARAM, f"参数channel必须是wechat、alipay、unionpay或aggregate，收到“{channel}”")
    expire = params.seconds(req, "expire_seconds", DEFAULT_EXPIRE, 1, 86400)
    notify_url = params.url(req, "notify_url")
    row = _existing(db, mch_id, out_trade_no, "NATIVE", total_fee)
    if row is not None:
        return answer(db, refresh(p, db, row)), 0.0
    token = secrets.token_urlsafe(12)
    code_url = f"{base_url.rstrip('/')}/qr/{token}" + ("" if channel == "aggregate" else f"?channel={channel}")
    row = _insert(p, db, mch_id, {
        "out_trade_no": out_trade_no, "trade_type": "NATIVE", "channel": channel,
        "pay_channel": "" if channel == "aggregate" else channel, "total_fee": total_fee, "body": body,
        "notify_url": notify_url, "state": "NOTPAY", "code_url": code_url, "expire_at": p.now() + expire})
    plan = json.loads(row["plan_json"])
    hang = 0.0
    if plan["outcome"] == "timeout":
        # the patient has scanned and is entering the password when the platform stops answering
        _schedule_late(db, row, plan, p.now())
        hang = float(plan.get("hang_seconds", 15.0))
    return answer(db, refresh(p, db, row)), hang


def micropay(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """被扫: take the payment code and pay as the plan says; returns (answer, seconds to hang)."""
    out_trade_no = params.number(req, "out_trade_no")
    total_fee = params.fen(req, "total_fee")
    body = params.text(req, "body", 128)
    auth_code = params.text(req, "auth_code", 32)
    channel = channel_of_auth_code(auth_code)
    notify_url = params.url(req, "notify_url")
    row = _existing(db, mch_id, out_trade_no, "MICROPAY", total_fee)
    if row is not None:
        return answer(db, refresh(p, db, row)), 0.0
    now = p.now()
    row = _insert(p, db, mch_id, {
        "out_trade_no": out_trade_no, "trade_type": "MICROPAY", "channel": channel, "pay_channel": channel,
        "total_fee": total_fee, "body": body, "notify_url": notify_url, "state": "USERPAYING",
        "auth_code": auth_code[:4] + "*" * (len(auth_code) - 4), "expire_at": now + params.seconds(
            req, "expire_seconds", 300, 1, 86400)})
    plan = json.loads(row["plan_json"])
    outcome, hang = plan["outcome"], 0.0
    if outcome == "success":
        mark_paid(p, db, row, now)
    elif outcome == "fail":
        _fail(db, row, plan)
    elif outcome in ("late", "timeout"):
        _schedule_late(db, row, plan, now)
        hang = float(plan.get("hang_seconds", 15.0)) if outcome == "timeout" else 0.0
    # confirm / abandon: USERPAYING until the patient confirms (or never, closed at expiry)
    return answer(db, refresh(p, db, row)), hang


def query(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> dict[str, Any]:
    """Order status (counts a query for ``late_queries`` plans)."""
    row = find(db, mch_id, params.number(req, "out_trade_no"))
    return answer(db, refresh(p, db, row, query=True))


def close(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> dict[str, Any]:
    """Close an unpaid 主扫 order (idempotent); E3712 when it was paid meanwhile."""
    row = refresh(p, db, find(db, mch_id, params.number(req, "out_trade_no")))
    if row["trade_type"] != "NATIVE":
        raise PayError(errors.WRONG_TRADE_TYPE, "被扫（付款码）订单不能关闭，请调用撤销reverse")
    if row["state"] in PAID:
        raise PayError(errors.ORDER_PAID, "订单已支付成功，不能关闭；如需退还请申请退款")
    if row["state"] in (*OPEN, "PAYERROR"):
        db.execute("UPDATE orders SET state = 'CLOSED', closed_at = ?, pay_at = NULL, pay_after_queries = NULL"
                   " WHERE id = ?", (p.now(), row["id"]))
    return answer(db, refresh(p, db, row))


def reverse(p: Platform, db: sqlite3.Connection, mch_id: str, req: dict[str, Any]) -> dict[str, Any]:
    """撤销 an unpaid 被扫 order (idempotent); E3712 when it was paid (refund it instead)."""
    row = refresh(p, db, find(db, mch_id, params.number(req, "out_trade_no")))
    if row["trade_type"] != "MICROPAY":
        raise PayError(errors.WRONG_TRADE_TYPE, "主扫（二维码）订单不能撤销，请调用关闭closeorder")
    if row["state"] in PAID:
        raise PayError(errors.ORDER_PAID, "订单已支付成功，不能撤销；如需退还请申请退款")
    if row["state"] != "REVOKED":
        db.execute("UPDATE orders SET state = 'REVOKED', closed_at = ?, pay_at = NULL, pay_after_queries = NULL"
                   " WHERE id = ?", (p.now(), row["id"]))
    return answer(db, refresh(p, db, row))


def patient_scans(p: Platform, db: sqlite3.Connection, mch_id: str, out_trade_no: str,
                  channel: str) -> dict[str, Any]:
    """The patient's phone scans code_url and pays (control call): the order's plan decides."""
    row = refresh(p, db, find(db, mch_id, out_trade_no))
    if row["trade_type"] != "NATIVE":
        raise PayError(errors.NOT_SCANNABLE, "被扫订单没有二维码可扫")
    if row["state"] not in OPEN:
        raise PayError(errors.NOT_SCANNABLE, f"二维码已失效：{STATE_DESC[row['state']]}")
    if row["channel"] != "aggregate":
        channel = row["channel"]
    if channel not in CHANNELS:
        raise PayError(errors.PARAM, f"参数channel必须是wechat、alipay或unionpay，收到“{channel}”")
    db.execute("UPDATE orders SET pay_channel = ? WHERE id = ?", (channel, row["id"]))
    row = db.execute("SELECT * FROM orders WHERE id = ?", (row["id"],)).fetchone()
    plan = json.loads(row["plan_json"])
    outcome = plan["outcome"]
    if outcome == "fail":
        _fail(db, row, plan)
    elif outcome == "abandon" or outcome == "confirm":
        db.execute("UPDATE orders SET state = 'USERPAYING' WHERE id = ?", (row["id"],))
    elif outcome == "late" or (outcome == "timeout" and row["pay_at"] is None and row["pay_after_queries"] is None
                               and ("late_seconds" in plan or "late_queries" in plan)):
        _schedule_late(db, row, plan, p.now())
    elif row["pay_at"] is None and row["pay_after_queries"] is None:
        mark_paid(p, db, row, p.now(), channel)
    return answer(db, refresh(p, db, row))


def patient_confirms(p: Platform, db: sqlite3.Connection, mch_id: str, out_trade_no: str) -> dict[str, Any]:
    """The patient confirms a USERPAYING payment on the phone (control call)."""
    row = refresh(p, db, find(db, mch_id, out_trade_no))
    if row["state"] != "USERPAYING":
        raise PayError(errors.NOT_SCANNABLE, f"订单不在等待确认状态：{STATE_DESC[row['state']]}")
    mark_paid(p, db, row, p.now())
    return answer(db, refresh(p, db, row))
