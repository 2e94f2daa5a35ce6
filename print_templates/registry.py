"""Every printable document by name: the one table the preview CLI, samples and terminals use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from billing_core.printjob import PageJob, PrintJob
from print_templates.bill_list import bill_list_job
from print_templates.cash_reports import cash_slip_job, daily_report_job
from print_templates.errors import UnknownDocumentError
from print_templates.model import Json, bill_from_sample, require
from print_templates.notice import notice_job, notice_page
from print_templates.paper_bill import paper_bill_job
from print_templates.receipts import receipt_job
from print_templates.thermal import mark_reprint


@dataclass(frozen=True, slots=True)
class Document:
    """A document kind: its Chinese name, whether it prints on a thermal roll, and its builder."""

    name: str
    label: str
    thermal: bool
    build: Callable[..., PageJob | PrintJob]


def _notice(sample: Json, width_mm: int = 80) -> PrintJob:
    return notice_job(bill_from_sample(sample, "电子票据告知单"), width_mm)


def _notice_sheet(sample: Json, width_mm: int = 0) -> PageJob:
    return notice_page(bill_from_sample(sample, "电子票据告知单"))


def _paper(sample: Json, width_mm: int = 0, background: bool = True) -> PageJob:
    return paper_bill_job(sample, background=background)


def _list(sample: Json, width_mm: int = 0) -> PageJob:
    return bill_list_job(sample)


def _receipt(kind: str, sample: Json, width_mm: int = 80) -> PrintJob:
    return receipt_job(sample, kind, width_mm)


DOCUMENTS: dict[str, Document] = {
    d.name: d
    for d in (
        Document("notice", "电子票据告知单", True, _notice),
        Document("notice_sheet", "电子票据告知单（A5）", False, _notice_sheet),
        Document("paper_bill", "换开纸质票据", False, _paper),
        Document("bill_list", "电子票据清单", False, _list),
        Document("receipt_registration", "挂号凭条", True, partial(_receipt, "registration")),
        Document("receipt_outpatient", "门诊缴费凭条", True, partial(_receipt, "outpatient")),
        Document("receipt_prepay_topup", "门诊预交金充值凭条", True, partial(_receipt, "prepay_topup")),
        Document("receipt_inpatient_deposit", "住院预交金凭条", True, partial(_receipt, "inpatient_deposit")),
        Document("receipt_discharge", "出院结算凭条", True, partial(_receipt, "discharge")),
        Document("receipt_paper_exchange", "换开纸质票据凭条", True, partial(_receipt, "paper_exchange")),
        Document("cash_slip", "现金收账信息", True, cash_slip_job),
        Document("daily_report", "收费员日结单", True, daily_report_job),
    )
}


def document(name: str) -> Document:
    """The document called ``name`` or UnknownDocumentError listing the known ones."""
    try:
        return DOCUMENTS[name]
    except KeyError:
        raise UnknownDocumentError(f"未知的打印单据类型“{name}”，可选：{'、'.join(DOCUMENTS)}") from None


def build(name: str, sample: Json, width_mm: int = 80) -> PageJob | PrintJob:
    """Build document ``name`` for ``sample`` (``width_mm`` applies to thermal documents).

    A sample with ``"reprint": {"reason": .., "copyNo": 2}`` is a reprint from the store: thermal
    documents get a 补打 line under the title (the paper bill has its own 重打 field, §7).
    """
    doc = document(name)
    if not doc.thermal:
        return doc.build(sample)
    job = doc.build(sample, width_mm=width_mm)
    reprint = sample.get("reprint")
    if reprint:
        mark_reprint(job, str(require(reprint, "reason", doc.label)), int(reprint.get("copyNo") or 2))
    return job
