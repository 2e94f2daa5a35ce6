"""The e-bill and printing steps of a kiosk order (used by :mod:`workflows.kiosk.checkout`).

Issuing goes through the terminal's IssuingWorkflow with busNo = the HIS settlement number and
placeCode = the kiosk's billing point: online through the sync server, from emergency stock when
the server is unreachable, idempotent on busNo (a resumed order gets the bill already issued).
The HIS is then told which bill (``ebill.report``); a report that cannot be delivered now is
marked and repeated by the next resume round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from billing_core.errors import BillingError
from devices.errors import DeviceError
from print_templates.kiosk_receipts import kiosk_receipt_job
from workflows.errors import PrintFailedError
from workflows.his import HisClient, HisError, Settlement
from workflows.issuing import IssuingWorkflow

log = logging.getLogger(__name__)

VOUCHER = "invoicePayMentVoucher"
#: A device fault callback: (role, Chinese detail).
FaultHook = Callable[[str, str], None]


def issue_bills(workflow: IssuingWorkflow, his: HisClient, place_code: str, settlements: list[Settlement],
                known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue (or find) the e-bill of every settlement that has one and report it to the HIS.

    ``known`` are the bills recorded before (a resumed order): reported ones are kept as they are.
    Each entry: settlementNo, method, billBatchCode, billNo, random, emergency, reported, pending
    (True: no bill could be issued now, e.g. no emergency stock left; the next round retries).
    """
    done = {b["settlementNo"]: b for b in known if not b.get("pending")}
    out: list[dict[str, Any]] = []
    for s in settlements:
        if not s.ebill_method or not s.ebill_request:
            continue  # a reversal or a settlement without a bill of its own
        entry = done.get(s.settlement_no)
        if entry is None:
            entry = _issue(workflow, place_code, s)
        if not entry.get("pending") and not entry.get("reported"):
            entry = dict(entry, reported=_report(his, s.settlement_no, entry))
        out.append(entry)
    return out


def _issue(workflow: IssuingWorkflow, place_code: str, s: Settlement) -> dict[str, Any]:
    base: dict[str, Any] = {"settlementNo": s.settlement_no, "method": s.ebill_method}
    if s.ebill.status == "issued" and s.ebill.bill_no:  # reported before a crash
        return base | {"billBatchCode": s.ebill.bill_batch_code, "billNo": s.ebill.bill_no,
                       "random": s.ebill.random, "emergency": False, "reported": True, "pending": False}
    request = dict(s.ebill_request or {}) | {"placeCode": place_code}
    try:
        outcome = workflow.issue(str(s.ebill_method), request)
    except BillingError as exc:  # no stock, limits, a business refusal: the bill waits, money is safe
        log.warning("kiosk: e-bill of %s not issued: %s %s", s.settlement_no, exc.code, exc.message)
        return base | {"pending": True, "error": f"{exc.code} {exc.message}"}
    return base | {"billBatchCode": outcome.bill_batch_code, "billNo": outcome.bill_no, "random": outcome.random,
                   "emergency": outcome.emergency, "reported": False, "pending": False,
                   "voucher": s.ebill_method == VOUCHER}


def _report(his: HisClient, settlement_no: str, bill: dict[str, Any]) -> bool:
    try:
        his.report_ebill(settlement_no, bill["billBatchCode"], bill["billNo"], bill["random"],
                         emergency=bool(bill.get("emergency")))
    except HisError as exc:  # unreachable now (reported later) or refused (logged for staff)
        log.warning("kiosk: ebill.report of %s failed: %s", settlement_no, exc.code)
        return False
    return True


def print_receipt(printer: Any | None, doc: dict[str, Any], width_mm: int, fault: FaultHook | None) -> str:
    """Print a kiosk receipt; '' when printed, else the Chinese reason (the printer is reported faulty)."""
    if printer is None:
        return "本机未配置凭条打印机"
    try:
        if not printer.is_open:
            printer.open()
        printer.print_job(kiosk_receipt_job(doc, width_mm))
    except DeviceError as exc:
        if fault is not None:
            fault("receipt_printer", exc.message)
        return exc.message
    return ""


def print_notices(workflow: IssuingWorkflow, bills: list[dict[str, Any]], fault: FaultHook | None) -> str:
    """Print the e-bill notice of every issued bill; '' when all printed, else the reason. A job
    that did not print stays in the store (补打 later)."""
    for bill in bills:
        if bill.get("pending"):
            continue
        try:
            result = workflow.print_notice(bill["settlementNo"])
        except PrintFailedError as exc:
            if fault is not None:
                fault("receipt_printer", exc.message)
            return exc.message
        except DeviceError as exc:
            if fault is not None:
                fault("receipt_printer", exc.message)
            return exc.message
        if not result.printed:
            return result.error or "告知单未打印"
    return ""
