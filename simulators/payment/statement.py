"""The daily statement (对账单): every payment and refund of one day (CST) as CSV text.

One line per payment (by its success time) and per refund (by its success time), with the
channel, the amount in yuan and the platform's fee; then a totals line. Fees are the merchant's
rate per channel on each amount, rounded half up to the fen; a refund gives back the fee of the
refunded part (as WeChat and Alipay do), so it carries a negative fee.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from billing_core.clock import CST
from simulators.payment import errors, params
from simulators.payment.errors import PayError
from simulators.payment.orders import time14
from simulators.payment.platform import Platform

HEADER = ["交易时间", "商户号", "商户订单号", "平台订单号", "商户退款单号", "平台退款单号", "交易类型",
          "支付渠道", "支付方式", "交易金额(元)", "退款金额(元)", "手续费(元)", "商品名称"]
TOTALS = ["总笔数", "支付笔数", "退款笔数", "支付总金额(元)", "退款总金额(元)", "手续费总额(元)", "结算净额(元)"]
CHANNEL_NAMES = {"wechat": "微信", "alipay": "支付宝", "unionpay": "银联"}
TYPE_NAMES = {"NATIVE": "主扫", "MICROPAY": "被扫"}


def yuan(fen: int) -> str:
    """Integer fen as yuan text with two places (``-1.50``)."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def fee_of(amount: int, ppm: int) -> int:
    """The platform's fee on ``amount`` fen at ``ppm`` parts per million, rounded half up."""
    return int((Decimal(amount) * ppm / Decimal(1_000_000)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _day(req: dict[str, Any], p: Platform) -> datetime:
    text = params.text(req, "bill_date", 8)
    if not re.match(r"^\d{8}$", text):
        raise PayError(errors.STATEMENT_DATE, "参数bill_date必须是yyyyMMdd格式的日期")
    try:
        start = datetime.strptime(text, "%Y%m%d").replace(tzinfo=CST)
    except ValueError:
        raise PayError(errors.STATEMENT_DATE, f"参数bill_date不是有效日期：{text}") from None
    if start > p.clock.now().astimezone(CST):
        raise PayError(errors.STATEMENT_DATE, f"{text}的对账单尚未生成（日期在未来）")
    return start


def statement(p: Platform, db: sqlite3.Connection, mch: sqlite3.Row, req: dict[str, Any]) -> dict[str, Any]:
    """The statement of ``bill_date`` (yyyyMMdd) as CSV text plus its totals."""
    start = _day(req, p)
    lo, hi = start.timestamp(), (start + timedelta(days=1)).timestamp()
    rates = {"wechat": mch["fee_wechat"], "alipay": mch["fee_alipay"], "unionpay": mch["fee_unionpay"]}
    rows: list[tuple[float, list[str]]] = []
    paid = refunded = fees = n_pay = n_refund = 0
    for o in db.execute("SELECT * FROM orders WHERE mch_id = ? AND paid_at >= ? AND paid_at < ?",
                        (mch["mch_id"], lo, hi)):
        fee = fee_of(o["total_fee"], rates[o["pay_channel"]])
        paid, fees, n_pay = paid + o["total_fee"], fees + fee, n_pay + 1
        rows.append((o["paid_at"], [time14(o["paid_at"]), mch["mch_id"], o["out_trade_no"], o["transaction_id"], "",
                                    "", "支付", CHANNEL_NAMES[o["pay_channel"]], TYPE_NAMES[o["trade_type"]],
                                    yuan(o["total_fee"]), "0.00", yuan(fee), o["body"]]))
    for r in db.execute("SELECT r.*, o.out_trade_no, o.transaction_id, o.pay_channel, o.trade_type, o.body"
                        " FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.mch_id = ? AND r.state = 'SUCCESS'"
                        " AND r.success_at >= ? AND r.success_at < ?", (mch["mch_id"], lo, hi)):
        fee = -fee_of(r["refund_fee"], rates[r["pay_channel"]])
        refunded, fees, n_refund = refunded + r["refund_fee"], fees + fee, n_refund + 1
        rows.append((r["success_at"], [time14(r["success_at"]), mch["mch_id"], r["out_trade_no"], r["transaction_id"],
                                       r["out_refund_no"], r["refund_id"], "退款", CHANNEL_NAMES[r["pay_channel"]],
                                       TYPE_NAMES[r["trade_type"]], "0.00", yuan(r["refund_fee"]), yuan(fee), r["body"]]))
    rows.sort(key=lambda t: t[0])
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(HEADER)
    out.writerows(line for _, line in rows)
    out.writerow(TOTALS)
    net = paid - refunded - fees
    out.writerow([n_pay + n_refund, n_pay, n_refund, yuan(paid), yuan(refunded), yuan(fees), yuan(net)])
    return {"bill_date": start.strftime("%Y%m%d"), "statement": buf.getvalue(), "pay_count": n_pay,
            "refund_count": n_refund, "pay_total": paid, "refund_total": refunded, "fee_total": fees,
            "net_total": net}
