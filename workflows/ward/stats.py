"""Ward statistics (seed 004): admissions and settlements by date, department, local/other-place,
insured/self-pay and channel; the abnormal-payment board (failures, refunds, reversals, money
waiting for the HIS); order queries; tables for CSV/XLSX export (workflows.tabular).

Sources: the HIS's stays of the ward (admissions) and this station's durable orders (collections
and discharges; each carries ``result["receipt"]["stats"]`` = department, admission, insured,
place written when the order was made) plus insured discharges (offline_store.ins_orders).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from offline_store.kiosk_orders import KioskOrder
from workflows.his import Inpatient
from workflows.tabular import Table

LOCAL, OTHER = "本地", "异地"
INSURED, SELF_PAY = "医保", "自费"
CHANNEL_TEXT = {"wechat": "微信", "alipay": "支付宝", "unionpay": "银联", "cash": "现金", "": "押金抵扣",
                "insurance": "医保统筹+个账", "none": "—"}
KIND_TEXT = {"deposit": "押金补缴", "discharge": "出院结算", "insured": "医保出院结算", "admission": "入院登记"}
DIMENSIONS = {"day": "日期", "dept": "科室", "place": "参保地", "insurance": "险种", "channel": "支付渠道",
              "kind": "业务"}


def stats_tags(dept: str, admission_no: str, *, insured: bool = False, place: str = LOCAL,
               total_fen: int | None = None) -> dict[str, Any]:
    """What an order records for the statistics when it is made (``total_fen``: a settlement's
    bill total, counted instead of the part paid on top)."""
    tags: dict[str, Any] = {"dept": dept, "admissionNo": admission_no, "insured": insured, "place": place}
    if total_fen is not None:
        tags["totalFen"] = total_fen
    return tags


@dataclass(frozen=True, slots=True)
class Record:
    """One countable event: an admission, a collection or a settlement (amount in fen)."""

    kind: str
    day: str
    dept: str
    place: str
    insurance: str
    channel: str
    fen: int
    ref: str


def admission_records(stays: Iterable[Inpatient], insured: dict[str, str] | None = None) -> list[Record]:
    """Admissions of the ward's stays; ``insured``: admission number -> place (本地 / 异地) of the
    insured ones (from the insured settlements)."""
    marks = insured or {}
    return [Record("admission", s.admitted_on.isoformat(), s.dept_name, marks.get(s.admission_no, LOCAL),
                   INSURED if s.admission_no in marks else SELF_PAY, "none", 0, s.admission_no) for s in stays]


def order_records(orders: Iterable[KioskOrder]) -> list[Record]:
    """Collections and discharges that moved money (settled or later, not reversed)."""
    out: list[Record] = []
    for o in orders:
        if o.state not in ("settled", "billed", "printed"):
            continue
        if (o.result.get("reversal") or {}).get("state") == "done":
            continue
        tags = dict((o.result.get("receipt") or {}).get("stats") or {})
        channel = o.pay_channel if o.amount_fen else ""
        out.append(Record(o.flow, o.day, str(tags.get("dept", "")), str(tags.get("place", LOCAL)),
                          INSURED if tags.get("insured") else SELF_PAY, channel,
                          int(tags.get("totalFen", o.amount_fen)), o.order_no))
    return out


def summarize(records: Sequence[Record], by: Sequence[str]) -> Table:
    """Count and amount grouped by the ``by`` dimensions (day, dept, place, insurance, channel,
    kind), with a total row; amounts in yuan with two places, checked against the records."""
    bad = [d for d in by if d not in DIMENSIONS]
    if bad or not by:
        raise ValueError(f"unknown dimensions {bad}")
    groups: dict[tuple[str, ...], list[int]] = {}
    for r in records:
        key = tuple(_dim(r, d) for d in by)
        g = groups.setdefault(key, [0, 0])
        g[0] += 1
        g[1] += r.fen
    rows = [(*k, str(c), _yuan(f)) for k, (c, f) in sorted(groups.items())]
    total = sum(r.fen for r in records)
    assert total == sum(f for _, f in groups.values())
    rows.append(("合计", *[""] * (len(by) - 1), str(len(records)), _yuan(total)))
    title = "按" + "、".join(DIMENSIONS[d] for d in by) + "统计"
    return Table(title, (*[DIMENSIONS[d] for d in by], "笔数", "金额"), tuple(rows))


def _dim(r: Record, d: str) -> str:
    value = str(getattr(r, d))
    if d == "channel":
        return CHANNEL_TEXT.get(value, value)
    if d == "kind":
        return KIND_TEXT.get(value, value)
    return value


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


@dataclass(frozen=True, slots=True)
class Abnormal:
    """One row of the abnormal-payment board."""

    order_no: str
    day: str
    kind: str
    what: str
    fen: int
    message: str


def abnormal(orders: Iterable[KioskOrder]) -> list[Abnormal]:
    """Failures, refunds, reversals, money paid but not yet with the HIS, refunds pending."""
    out: list[Abnormal] = []
    for o in orders:
        kind = KIND_TEXT.get(o.flow, o.flow)
        if o.state == "failed":
            out.append(Abnormal(o.order_no, o.day, kind, "支付失败", o.amount_fen, o.message))
        elif o.state in ("refunding", "refunded"):
            out.append(Abnormal(o.order_no, o.day, kind, "HIS拒绝已退款" if o.state == "refunded" else "退款处理中",
                                o.amount_fen, o.message))
        elif o.state in ("created", "paid"):
            out.append(Abnormal(o.order_no, o.day, kind, "已支付待入账" if o.state == "paid" else "支付待确认",
                                o.amount_fen, o.message))
        rev = o.result.get("reversal") or {}
        if rev:
            what = {"done": "已撤销退款", "refused": "撤销被拒"}.get(str(rev.get("state")), "撤销处理中")
            out.append(Abnormal(o.order_no, o.day, kind, what, int(rev.get("refundFen", o.amount_fen)),
                                str(rev.get("reason", ""))))
        for line in o.result.get("refunds", []):
            what = {"done": "押金余额已原路退", "manual": "押金余额待人工退"}.get(line["state"], "押金余额退款处理中")
            out.append(Abnormal(line["outRefundNo"], o.day, kind, what, int(line["fen"]), line.get("message", "")))
    return out


def abnormal_table(rows: Sequence[Abnormal]) -> Table:
    """The board as a table."""
    return Table("异常支付", ("订单号", "日期", "业务", "类型", "金额", "说明"),
                 tuple((a.order_no, a.day, a.kind, a.what, _yuan(a.fen), a.message) for a in rows))


def query(orders: Iterable[KioskOrder], *, order_no: str = "", admission_no: str = "", day: str = "",
          state: str = "") -> list[KioskOrder]:
    """Orders matching every given filter (order number may be a part)."""
    out = []
    for o in orders:
        tags = (o.result.get("receipt") or {}).get("stats") or {}
        adm = str(o.params.get("admissionNo") or tags.get("admissionNo", ""))
        if (order_no and order_no not in o.order_no) or (admission_no and admission_no != adm) \
                or (day and day != o.day) or (state and state != o.state):
            continue
        out.append(o)
    return out


def orders_table(orders: Sequence[KioskOrder]) -> Table:
    """Orders as a table (order queries)."""
    state_text = {"created": "待支付", "paid": "已支付待入账", "settled": "已入账", "billed": "已开票",
                  "printed": "完成", "refunding": "退款中", "refunded": "已退款", "failed": "失败"}
    return Table("订单查询", ("订单号", "日期", "业务", "住院号", "金额", "渠道", "状态", "说明"),
                 tuple((o.order_no, o.day, KIND_TEXT.get(o.flow, o.flow), str(o.params.get("admissionNo", "")),
                        _yuan(o.amount_fen), CHANNEL_TEXT.get(o.pay_channel, o.pay_channel),
                        state_text.get(o.state, o.state), o.message) for o in orders))
