"""Documents the window prints: the e-bill notice (normal / EMERGENCY / red) and the paper form.

These are built from the window's :class:`BillRecord` with billing_core's printer-neutral
elements, so they print on the receipt printer (ESC/POS driver) or render to PDF. print_templates
(built in parallel) owns the full designs; this module keeps the window printing until its notice
and paper templates are committed, and is the single place to switch over.
"""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import format_yuan, to_chinese_upper
from billing_core.printjob import Column, Cut, PrintJob, QrCode, Row, Rule, Text
from billing_core.qr_payload import BillQr
from workflows.cashier.entry import KINDS
from workflows.cashier.records import BillRecord

VERIFY = "请登录财政电子票据公共查验平台，或用微信、支付宝扫描二维码查验电子票据。"
EMERGENCY = "本票据为网络中断时应急开具，网络恢复后自动上传财政电子票据平台，上传后方可查验。"


def _mask_tel(tel: str) -> str:
    return tel[:3] + "****" + tel[-4:] if len(tel) >= 11 else tel


def notice_job(rec: BillRecord, hospital: str, *, red: bool = False, width_mm: int = 80) -> PrintJob:
    """The notice (告知单) for a bill, or for its red bill when ``red``."""
    title = "电子票据告知单（红字）" if red else "电子票据告知单"
    job = PrintJob(title, width_mm)
    job.add(Text(hospital, "center", bold=True), Text(title, "center", bold=True, scale=2), Rule())
    if rec.emergency and not red:
        job.add(Text("【应急票据】", "center", bold=True, scale=2), Text(EMERGENCY), Rule())
    batch, no = (rec.red_batch_code, rec.red_bill_no) if red else (rec.bill_batch_code, rec.bill_no)
    amount = -rec.amount if red else rec.amount
    rows = [("票据类型", KINDS[rec.kind].label if rec.kind in KINDS else rec.kind), ("票据代码", batch),
            ("票据号码", no), ("校验码", rec.random if not red else "见红字票据"), ("交款人", rec.payer),
            ("开票日期", f"{rec.create_time[:4]}-{rec.create_time[4:6]}-{rec.create_time[6:8]}"),
            ("金额(小写)", format_yuan(amount)), ("金额(大写)", to_chinese_upper(amount)),
            ("收款人", rec.payee)]
    if rec.tel:
        rows.append(("手机号码", _mask_tel(rec.tel)))
    if red:
        rows += [("原票据号码", rec.bill_no), ("冲红原因", rec.red_reason)]
    for k, v in rows:
        job.add(Row((Column(k, 2), Column(v, 5))))
    job.add(Rule())
    if not red:
        qr = BillQr(rec.bill_batch_code, rec.bill_no, rec.random, Decimal(rec.total), rec.create_time[:8])
        job.add(QrCode(qr.text(), 30, "扫码查验电子票据"))
    job.add(Text(VERIFY), Cut())
    return job


def paper_form_fields(rec: BillRecord, hospital: str) -> list[tuple[float, float, str, float]]:
    """Values at millimetre positions on the 241 x 93 mm pre-printed paper bill: ``(x, y, text, pt)``."""
    out: list[tuple[float, float, str, float]] = [
        (20, 12, hospital, 11), (150, 12, f"票据代码：{rec.paper_batch_code}", 9),
        (150, 18, f"票据号码：{rec.paper_no}", 9),
        (20, 24, f"交款人：{rec.payer}", 10), (110, 24, f"开票日期：{rec.create_time[:8]}", 10),
        (20, 30, f"电子票据：{rec.bill_batch_code} {rec.bill_no}  校验码：{rec.random}", 9),
    ]
    y = 38.0
    for line in rec.request.get("chargeDetail", [])[:8]:
        out.append((20, y, f"{line.get('chargeName', '')}", 10))
        out.append((120, y, f"{line.get('amt', '')}", 10))
        y += 5
    out += [(20, 80, f"合计（大写）：{to_chinese_upper(rec.amount)}", 10),
            (150, 80, f"（小写）{format_yuan(rec.amount)}", 10), (20, 87, f"收款人：{rec.payee}", 9)]
    return out
