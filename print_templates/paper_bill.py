"""The paper bill (换开纸质票据) printed on pre-numbered stock (spec §7 turnPaper / reTurnPaper).

The e-bill is exchanged for paper once (seed 001 5.(1)); a reprint on new stock after a misprint
or loss (5.(2)/(3), reTurnPaper / printPaper) is marked on the paper with its reason and the
voided paper number. The paper number sent to the platform must be the one physically printed
(§7), so the number is part of the input and shown on the preview where the stock carries it.
"""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import format_yuan, to_chinese_upper, wire
from billing_core.printjob import Page, PageJob, PageLine, PageRect, PageText
from print_templates.forms import FormDef, load_form
from print_templates.model import BillView, Json, bill_from_sample, require

TITLE = "换开纸质票据"


def _items(bill: BillView, slots: int) -> list[tuple[str, Decimal]]:
    """Charge categories for the grid; overflow folds into one "详见清单" line (never lost)."""
    rows = [(c.name, c.amt) for c in bill.charges]
    if len(rows) <= slots:
        return rows
    rest = sum((amt for _, amt in rows[slots - 1:]), Decimal("0.00"))
    return rows[: slots - 1] + [("其他费用（详见清单）", rest)]


def _background(form: FormDef) -> list[PageText | PageLine | PageRect]:
    out: list[PageText | PageLine | PageRect] = []
    for b in form.background:
        kind = b.get("type")
        if kind == "rect":
            out.append(PageRect(b["x"], b["y"], b["w"], b["h"], line_mm=0.3))
        elif kind == "line":
            out.append(PageLine(b["x1"], b["y1"], b["x2"], b["y2"], width_mm=0.2))
        elif kind == "text":
            out.append(PageText(b["x"], b["y"], b["text"], size_pt=float(b.get("size_pt", 8)),
                                bold=bool(b.get("bold", False)), align=b.get("align", "left"), fit="none"))
    return out


def paper_values(bill: BillView, paper: Json) -> dict[str, str]:
    """The text of every form field, by field name."""
    ins = bill.insurance
    values = {
        "pbill_code": str(require(paper, "pBillBatchCode", TITLE)),
        "pbill_no": str(require(paper, "pBillNo", TITLE)),
        "payer": bill.payer,
        "bus_no": bill.bus_no,
        "date": bill.create_time.strftime("%Y-%m-%d"),
        "care_type": ins.care_type or "自费",
        "patient_no": bill.patient_no,
        "sex": bill.sex,
        "total_upper": to_chinese_upper(bill.total_amt),
        "total": format_yuan(bill.total_amt),
        "ins_fund": wire(ins.fund_pay),
        "ins_account": wire(ins.account_pay),
        "ins_other": wire(ins.other_fund_pay),
        "ins_self_pay": wire(ins.self_conceited_amt + ins.self_pay_amt),
        "ins_own": wire(ins.own_pay),
        "ins_cash": wire(ins.self_cash_pay if ins.insured else bill.total_amt),
        "ebill": f"电子票据代码 {bill.bill_batch_code}  号码 {bill.bill_no}  校验码 {bill.random}",
        "hospital": bill.hospital,
        "payee": bill.payee,
        "reprint_mark": "",
    }
    reprint = paper.get("reprint")
    if reprint:
        values["reprint_mark"] = (f"重打（原纸质号码{require(reprint, 'oldPBillNo', TITLE)}已作废，"
                                  f"原因：{require(reprint, 'reason', TITLE)}）")
    return values


def paper_bill_job(sample: Json, form: FormDef | None = None, *, background: bool = True) -> PageJob:
    """The paper bill for a sample with a ``paper`` part ``{"form", "pBillBatchCode", "pBillNo",
    "reprint"?: {"oldPBillNo", "reason"}}``.

    :param background: draw the pre-printed form (previews); False for the real pre-printed stock.
    """
    paper: Json = require(sample, "paper", TITLE)
    form = form or load_form(str(paper.get("form") or "demo"))
    bill = bill_from_sample(sample, TITLE)
    values = paper_values(bill, paper)
    page = Page(form.width_mm, form.height_mm)
    if background:
        page.add(*_background(form))
    for name, box in form.fields.items():
        text = values.get(name, "")
        if not text or (box.preprinted and not background):
            continue
        page.add(PageText(box.x, box.y, text, size_pt=box.size_pt, bold=box.bold, align=box.align,  # type: ignore[arg-type]
                          width_mm=box.w, height_mm=box.h, fit="shrink", name=name))
    grid = form.items
    for i, (name, amt) in enumerate(_items(bill, grid.slots)):
        nx, nw, ax, aw = grid.blocks[i // grid.rows]
        y = grid.y + (i % grid.rows) * grid.row_h
        page.add(PageText(nx, y, name, size_pt=grid.size_pt, width_mm=nw, height_mm=grid.row_h, name=f"item{i}"),
                 PageText(ax, y, wire(amt), size_pt=grid.size_pt, align="right", width_mm=aw,
                          height_mm=grid.row_h, name=f"item{i}_amt"))
    return PageJob(f"{TITLE} {values['pbill_code']}-{values['pbill_no']}", [page])
