"""Documents a terminal prints, built with print_templates from a :class:`BillRecord`.

print_templates owns the designs (notice normal / EMERGENCY / red, the paper bill form); this
module only turns a record into the template's input: ``{"hospital", "request", "response",
"emergency"?, "red"?, "paper"?}`` (print_templates.model.bill_from_sample).
"""

from __future__ import annotations

from typing import Any

from billing_core.printjob import PageJob, PrintJob
from print_templates.model import bill_from_sample
from print_templates.notice import notice_job as _notice_job
from print_templates.paper_bill import paper_bill_job
from workflows.records import BillRecord


def bill_sample(rec: BillRecord, hospital: str, place_name: str = "", *, red: bool = False,
                terminal_id: str = "") -> dict[str, Any]:
    """The template input of a record (its red bill when ``red``)."""
    sample: dict[str, Any] = {
        "hospital": {"name": hospital, "placeName": place_name or rec.place_code},
        "request": rec.request,
        "response": {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no, "random": rec.random,
                     "createTime": rec.create_time},
    }
    if rec.emergency and not red:
        sample["emergency"] = {"terminalId": terminal_id or "本窗口"}
    if red:
        sample["red"] = {"reason": rec.red_reason, "response": {
            "eScarletBillBatchCode": rec.red_batch_code, "eScarletBillNo": rec.red_bill_no,
            "eScarletRandom": rec.red_random or "------", "createTime": rec.red_create_time or rec.create_time}}
    return sample


def notice_job(rec: BillRecord, hospital: str, *, red: bool = False, place_name: str = "",
               width_mm: int = 80) -> PrintJob:
    """The notice (告知单) of a bill, or of its red bill, on the receipt printer."""
    return _notice_job(bill_from_sample(bill_sample(rec, hospital, place_name, red=red)), width_mm)


def paper_job(rec: BillRecord, hospital: str, *, place_name: str = "", background: bool = True,
              paper_no: str = "", paper_batch_code: str = "") -> PageJob:
    """The paper bill on the number of ``rec`` (or ``paper_no`` for a preview before exchange);
    a reprint names the voided paper number and the reason."""
    sample = bill_sample(rec, hospital, place_name)
    paper: dict[str, Any] = {"pBillBatchCode": paper_batch_code or rec.paper_batch_code,
                             "pBillNo": paper_no or rec.paper_no}
    if rec.voided_papers and rec.paper_no and not paper_no:
        paper["reprint"] = {"oldPBillNo": rec.voided_papers[-1], "reason": rec.reprint_reason or "重打"}
    sample["paper"] = paper
    return paper_bill_job(sample, background=background)
