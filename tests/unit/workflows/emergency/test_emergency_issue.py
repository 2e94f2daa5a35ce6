"""Emergency issuing through the Qt-free workflow with the link down (no sockets)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_core.errors import ValidationError
from billing_core.printjob import PrintJob, QrCode, Row
from billing_core.qr_payload import parse as parse_qr
from offline_store import journal, outbox, print_jobs, stock
from workflows.emergency import chain
from workflows.errors import BusNoReusedError, NoStockError, PrintFailedError
from workflows.printing import REPRINT_MARK

from .conftest import METHOD, outpatient

pytestmark = pytest.mark.unit


def _text(job: PrintJob) -> str:
    """Every printed text of a job (paragraphs and row cells)."""
    parts = []
    for e in job.elements:
        if isinstance(e, Row):
            parts.append(" ".join(c.text for c in e.cells))
        else:
            parts.append(getattr(e, "text", ""))
    return "\n".join(parts)


def test_emergency_bill_is_numbered_signed_chained_and_committed_before_print(workflow, db, printer, signer) -> None:
    a = workflow.issue(METHOD, outpatient("BUS-A"))
    b = workflow.issue(METHOD, outpatient("BUS-B"))
    assert (a.mode, a.bill_batch_code, a.bill_no) == ("emergency", "42060126", "9000000001")
    assert b.bill_no == "9000000002"
    assert len(a.random) == 6 and int(a.random, 16) >= 0
    assert printer.jobs == []  # issue() never prints: write before print
    ea, eb = journal.by_bus_no(db, "BUS-A"), journal.by_bus_no(db, "BUS-B")
    assert ea is not None and eb is not None
    assert chain.verify(signer.public_key_hex, ea.request, ea.sign_value)
    assert ea.prev_hash == chain.genesis("T1") and eb.prev_hash == ea.hash
    records = [(e.prev_hash, chain.link_record(e.request, bill_batch_code=e.bill_batch_code, bill_no=e.bill_no,
                                               random=e.random, issue_time=e.issue_time, terminal_id=e.terminal_id,
                                               sign_value=e.sign_value), e.hash) for e in (ea, eb)]
    assert chain.verify_chain(chain.genesis("T1"), records)
    assert [i.ref for i in outbox.pending(db)] == ["BUS-A", "BUS-B"]
    assert outbox.pending(db)[0].payload["idempotencyKey"] == "T1:42060126:9000000001"
    result = workflow.print_notice(a)
    assert result.printed and not result.reprint
    text = _text(printer.jobs[0])
    assert "应急票据" in text and "9000000001" in text and a.random in text and "T1" in text
    qr = [e for e in printer.jobs[0].elements if isinstance(e, QrCode)][0]
    parsed = parse_qr(qr.data)
    assert (parsed.bill_no, parsed.random, parsed.total_amt) == ("9000000001", a.random, Decimal("386.50"))


def test_same_busno_is_answered_from_the_journal_and_other_content_refused(workflow, db) -> None:
    first = workflow.issue(METHOD, outpatient("BUS-1"))
    again = workflow.issue(METHOD, outpatient("BUS-1"))
    assert again.duplicate and again.bill_no == first.bill_no and again.random == first.random
    assert stock.remaining(db) == 49  # one number used, not two
    changed = outpatient("BUS-1")
    changed["payer"] = "李四"
    with pytest.raises(BusNoReusedError) as exc:
        workflow.issue(METHOD, changed)
    assert exc.value.code == "E8402"


def test_invalid_request_uses_no_number(workflow, db) -> None:
    bad = outpatient("BUS-BAD")
    del bad["payer"]
    with pytest.raises(ValidationError):
        workflow.issue(METHOD, bad)
    assert stock.remaining(db) == 50 and journal.entries(db) == []


def test_no_stock_left_is_a_clear_error(db, clock, signer) -> None:
    from .conftest import make_workflow
    wf = make_workflow(db, clock, signer, stock_size=1)
    wf.issue(METHOD, outpatient("BUS-1"))
    with pytest.raises(NoStockError) as exc:
        wf.issue(METHOD, outpatient("BUS-2"))
    assert exc.value.code == "E8201" and "应急票据号码已用完" in exc.value.message


def test_failed_print_is_kept_and_resumed_as_reprint(workflow, db, printer) -> None:
    outcome = workflow.issue(METHOD, outpatient("BUS-P"))
    printer.fail = True
    with pytest.raises(PrintFailedError) as exc:
        workflow.print_notice(outcome)
    assert exc.value.code == "E8601"
    assert [j.state for j in print_jobs.for_ref(db, "BUS-P")] == ["failed"]
    printer.fail = False
    results = workflow.resume_prints()
    assert [r.reprint for r in results] == [True]
    assert REPRINT_MARK in _text(printer.jobs[0])
    assert print_jobs.unfinished(db) == []
    extra = workflow.reprint_notice("BUS-P")
    assert extra.reprint and len(printer.jobs) == 2
