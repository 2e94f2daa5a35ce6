"""Write-off of an emergency bill before its upload (issue 7 §7), over the in-process demo platform:
queued in the store behind the upload, shown as queued, sent by the upload round right after the
bill's upload and recorded; held (never sent) when the upload ends in a conflict."""

from __future__ import annotations

import pytest

from offline_store import outbox, print_jobs, writeoffs
from workflows.demo.link import DemoSyncClient
from workflows.emergency.writeoff import (
    QUEUED_TEXT,
    RED_SUFFIX,
    NotQueueableError,
    WriteOffHeldError,
    WriteOffQueuedError,
)
from workflows.records import STATE_RED
from workflows.session_errors import AlreadyWrittenOff

from .conftest import outpatient_form

pytestmark = pytest.mark.unit


def _offline_bill(window, clock):  # type: ignore[no-untyped-def]
    services, platform = window
    platform.online = False
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    assert rec.emergency and not rec.uploaded
    return services, platform, rec


def _back_online(services, platform, clock) -> None:  # type: ignore[no-untyped-def]
    platform.online = True
    clock.advance(services.sync.breaker.open_seconds)
    assert services.link.probe() is True


def test_write_off_is_queued_then_sent_after_the_upload(window, clock) -> None:
    services, platform, rec = _offline_bill(window, clock)
    calls = len(platform.calls)
    rec = services.writeoff.write_off(rec, "退费", "张敏")
    assert rec.writeoff_state == "queued" and rec.state != STATE_RED
    assert len(platform.calls) == calls  # nothing was sent: the server does not know the bill
    shown = services.bills.by_bus_no(rec.bus_no)
    assert shown is not None and shown.writeoff_state == "queued" and "冲红已排队" in shown.state_label
    with pytest.raises(WriteOffQueuedError) as again:
        services.writeoff.write_off(shown, "退费", "张敏")
    assert again.value.code == "E8501" and again.value.message == QUEUED_TEXT
    db = services.workflow.db
    [up], [wo] = outbox.pending(db, "emergency_upload"), outbox.pending(db, writeoffs.WRITEOFF_KIND)
    assert wo.id > up.id and wo.payload["billNo"] == rec.bill_no and wo.payload["reason"] == "退费"

    _back_online(services, platform, clock)
    sent = [m for m in platform.calls if m in ("uploadEmergencyBills", "writeOffEBill")]
    assert sent == ["uploadEmergencyBills", "writeOffEBill"]  # upload first, then 冲红
    done = services.bills.by_bus_no(rec.bus_no)
    assert done is not None and done.state == STATE_RED and done.red_bill_no and done.writeoff_state == "done"
    assert services.workflow.status().writeoffs_queued == 0
    # the red notice is stored (same transaction as the red number): the original's document with
    # the red answer and the reason, and without the emergency banner (the red bill is online)
    [red_job] = print_jobs.for_ref(db, rec.bus_no + RED_SUFFIX)
    assert red_job.kind == "red_notice" and "emergency" not in red_job.document
    assert red_job.document["red"]["response"]["eScarletBillNo"] == done.red_bill_no
    assert red_job.document["red"]["reason"] == "退费"
    services.link.probe()
    assert platform.calls.count("writeOffEBill") == 1  # exactly once
    services.workflow.upload_pending()
    assert len(print_jobs.for_ref(db, rec.bus_no + RED_SUFFIX)) == 1  # one red notice per bill
    with pytest.raises(AlreadyWrittenOff):
        services.writeoff.write_off(done, "退费", "张敏")


def test_uploaded_emergency_bill_is_written_off_directly(window, clock) -> None:
    services, platform, rec = _offline_bill(window, clock)
    _back_online(services, platform, clock)
    with pytest.raises(NotQueueableError):
        services.workflow.queue_write_off(rec.bus_no, {"reason": "退费"})
    red = services.writeoff.write_off(rec, "退费", "张敏")  # a stale record: re-read, sent at once
    assert red.state == STATE_RED and red.red_bill_no and red.writeoff_state == ""


def test_queued_write_off_is_held_when_the_upload_conflicts(window, clock) -> None:
    services, platform, rec = _offline_bill(window, clock)
    result = services.writeoff.write_off_batch([rec], "退费", "张敏")
    assert [r.bus_no for r in result.queued] == [rec.bus_no] and not result.done and not result.failed
    platform.online = True
    other = DemoSyncClient(platform, clock=clock)  # another window issued the busNo online meanwhile
    kept = other.his(rec.method, rec.request).payload()
    clock.advance(services.sync.breaker.open_seconds)
    report = services.link.drain() if services.sync.probe() else None
    assert report is not None and report.conflicts == 1
    assert report.writeoffs["held"] == 1 and report.writeoffs["details"][0]["result"] == "E8502"
    assert "writeOffEBill" not in platform.calls  # never sent blindly
    held = services.bills.by_bus_no(rec.bus_no)
    assert held is not None and held.writeoff_state == "held" and held.state != STATE_RED
    assert "冲红未提交" in held.state_label and services.workflow.status().writeoffs_held == 1
    mark = writeoffs.mark_of(services.workflow.db, rec.bus_no)
    assert mark is not None and mark.result["billState"] == "conflict" and mark.result["upload"]
    with pytest.raises(WriteOffHeldError):
        services.writeoff.write_off(held, "退费", "张敏")
    assert kept["billNo"] != rec.bill_no


def test_repeat_after_a_lost_answer_records_the_red_bill_and_a_refusal_is_kept(window, clock) -> None:
    """The write-off reached the platform but its answer was lost (here: sent by hand before the
    round): the repeat is refused as already red, the bill's state says red -> recorded, not twice.
    A refusal of a bill that is not red is kept as ``refused`` (E8503), shown, never retried."""
    services, platform, rec = _offline_bill(window, clock)
    other = _offline_other(services, rec)
    services.writeoff.write_off(rec, "退费", "张敏")
    services.writeoff.write_off(other, "退费", "张敏")
    platform.online = True
    clock.advance(services.sync.breaker.open_seconds)
    assert services.workflow.uploader.upload_pending().accepted == 2  # upload only, write-offs still queued
    first = services.api.call("writeOffEBill", {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no,
                                                "reason": "退费", "operator": "张敏"})
    uploaded = services.bills.by_bus_no(other.bus_no)
    assert uploaded is not None  # exchanged for paper meanwhile: the platform refuses the red-flush
    services.paper.exchange(uploaded, services.paper.next_number()[1], "张敏")
    report = services.workflow.upload_pending()
    by_no = {d["billNo"]: d for d in report.writeoffs["details"]}
    assert by_no[rec.bill_no]["status"] == "done"
    assert by_no[rec.bill_no]["answer"]["eScarletBillNo"] == first["eScarletBillNo"]
    assert by_no[other.bill_no]["status"] == "refused" and report.writeoffs["refused"] == 1
    assert platform.calls.count("writeOffEBill") == 3  # by hand, the repeat, the refused one
    done, refused = services.bills.by_bus_no(rec.bus_no), services.bills.by_bus_no(other.bus_no)
    assert done is not None and done.state == STATE_RED and done.red_bill_no == first["eScarletBillNo"]
    assert refused is not None and refused.writeoff_state == "refused" and "冲红被拒" in refused.state_label
    services.workflow.upload_pending()
    assert platform.calls.count("writeOffEBill") == 3  # nothing re-sent


def _offline_other(services, rec):  # type: ignore[no-untyped-def]
    other = services.issuing.issue(outpatient_form(services, "35.00"), "张敏")
    assert other.emergency and other.bus_no != rec.bus_no
    return other
