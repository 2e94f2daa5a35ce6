"""What an order looks like to the patient and staff: its result screen, its receipt document
and its list view (pure functions over a stored :class:`~offline_store.kiosk_orders.KioskOrder`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from offline_store.kiosk_orders import KioskOrder
from workflows.his import Payment
from workflows.issuing import Identity
from workflows.kiosk.models import BillInfo, FlowResult, OrderView, ReceiptInfo

CST = timezone(timedelta(hours=8))
#: The payment platform's channel -> the finance platform's payChannelCode (docs/HIS_ADAPTER.md §3).
CHANNEL_CODES = {"wechat": "05", "alipay": "04", "unionpay": "08", "cash": "02"}
PAY_TEXT = {"prepayment": "预交金账户", "qr": "扫码支付", "code": "付款码支付", "cash": "现金", "none": "无需支付",
            "wechat": "微信", "alipay": "支付宝", "unionpay": "银联"}


def receipt_doc(order: KioskOrder, identity: Identity, now: datetime, reprint: bool) -> dict[str, Any]:
    """The kiosk receipt document of an order (print_templates.kiosk_receipts)."""
    ctx: dict[str, Any] = dict(order.result.get("receipt") or {})
    rows = [list(r) for r in ctx.get("rows") or []]
    if order.result.get("queueNo"):
        rows.append(["就诊序号", order.result["queueNo"]])
    if order.result.get("hospitalCard"):
        rows.append(["就诊卡号", order.result["hospitalCard"]])
    if order.result.get("balance") is not None:
        rows.append(["余额", f"{order.result['balance']}元"])
    if order.result.get("refundDue"):
        rows.append(["退还押金", f"{order.result['refundDue']}元"])
    notes = []
    if any(b.get("emergency") for b in order.bills):
        notes.append("同步服务器暂不可用，本次开具应急电子票据。")
    pay = PAY_TEXT.get(order.pay_channel or order.pay_method, order.pay_method)
    return {"flow": ctx.get("kind") or order.flow, "hospital": identity.hospital_name,
            "terminal": identity.terminal_id, "orderNo": order.order_no,
            "time": now.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
            "patient": ctx.get("patient") or {}, "rows": rows, "items": ctx.get("items") or [],
            "amount": f"{Decimal(order.amount_fen) / 100:.2f}", "payMethod": pay,
            "bills": order.bills, "notes": notes, "reprint": reprint}


def flow_result(order: KioskOrder) -> FlowResult:
    """The flow result screen of an order in its current state."""
    state = order.state
    ok = state in ("settled", "billed", "printed")
    bill = next((bill_info(b) for b in order.bills if not b.get("pending")), None)
    notes: list[str] = []
    if bill is not None and bill.emergency:
        notes.append("同步服务器暂不可用，已开具应急电子票据，联网后自动上传")
    if state == "settled":
        notes.append("电子票据稍后开具，可在自助机“打印电子票据”或人工窗口打印")
    problem = str(order.result.get("printProblem") or "")
    if problem:
        notes.append(problem)
    receipt = None
    if state in ("billed", "printed"):
        receipt = ReceiptInfo(state == "printed", state == "printed", problem, order.order_no)
    if ok:
        message = "办理成功"
    elif state == "refunded":
        message = order.message or "结算失败，已原路退款"
    elif state in ("created", "paid", "refunding"):
        message = (order.message or "业务处理中") + "，请勿重复缴费；如有疑问请凭订单号到人工窗口咨询"
    else:
        message = order.message or "业务未完成"
    balance = order.result.get("balance")
    return FlowResult(ok=ok, flow=order.flow, message=message, order_no=order.order_no, state=state,
                      amount=Decimal(order.amount_fen) / 100,
                      settlement_no=order.settlements[-1] if order.settlements else "", bill=bill,
                      receipt=receipt, refunded=state == "refunded",
                      balance=None if balance is None else Decimal(str(balance)),
                      queue_no=str(order.result.get("queueNo") or ""),
                      # not the state: the result screen shows ``code`` as 错误代码 ("错误代码：failed")
                      code="",
                      notes=tuple(notes))


def print_message(problem: str) -> str:
    """The receipt problem as shown to the patient."""
    if not problem:
        return ""
    return f"{problem}。凭条未能打印，请凭订单号到人工窗口补打"


def bill_info(b: dict[str, Any]) -> BillInfo:
    """A stored bill entry as the screens show it."""
    return BillInfo(str(b.get("billBatchCode", "")), str(b.get("billNo", "")), str(b.get("random", "")),
                    bool(b.get("emergency")))


def order_view(o: KioskOrder) -> OrderView:
    """An order as staff lists show it."""
    bill = next((b for b in o.bills if not b.get("pending")), {})
    return OrderView(o.order_no, o.flow, Decimal(o.amount_fen) / 100, o.pay_method, o.state,
                     o.settlements[-1] if o.settlements else "", str(bill.get("billNo", "")),
                     bool(bill.get("emergency")), o.message, o.created_at, o.updated_at)


def his_payment(order: KioskOrder) -> dict[str, Any]:
    """The payment fields of the order's HIS money call (deterministic: a resend is the same body)."""
    if order.amount_fen == 0:
        return {}
    if order.pay_method == "prepayment":
        return Payment.prepayment().wire()
    wire = Payment.paid(CHANNEL_CODES.get(order.pay_channel, "99"), order.order_no,
                        Decimal(order.amount_fen) / 100).wire()
    if order.operation == "inpatient.settleDischarge":
        wire.pop("payMethod")  # discharge takes the external part without a payMethod (HIS_ADAPTER §3.4)
    return wire


def settled_fields(order: KioskOrder, data: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """From a HIS money answer: the settlement numbers (card fee, top-up, the settlement) and the
    order's result extras (queue number, appointment, new card, balance, deposit refund)."""
    settlements = [data[k] for k in ("cardFee", "topUp", "settlement") if data.get(k)]
    result = dict(order.result)
    appointment = data.get("appointment") or {}
    if appointment.get("queueNo") is not None:
        result["queueNo"] = str(appointment["queueNo"])
    if appointment.get("appointmentNo"):
        result["appointmentNo"] = appointment["appointmentNo"]
    if data.get("hospitalCard"):
        result["hospitalCard"] = data["hospitalCard"]
    last = settlements[-1] if settlements else {}
    if order.flow == "deposit" and last.get("depositBalance") is not None:
        result["balance"] = str(last["depositBalance"])
    elif last.get("prepayBalance") is not None:
        result["balance"] = str(last["prepayBalance"])
    if last.get("refundDue") not in (None, "0.00"):
        result["refundDue"] = str(last["refundDue"])
    return [s["settlementNo"] for s in settlements], result
