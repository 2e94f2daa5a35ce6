"""Paper exchange / reprint / void / void blank and write-off with the paper-first rule."""

from __future__ import annotations

import pytest

from workflows.records import STATE_RED
from workflows.session_errors import (
    AlreadyExchanged,
    AlreadyWrittenOff,
    NotExchanged,
    PaperFirst,
    PaperNumberMismatch,
    ReasonRequired,
)

from .conftest import outpatient_form

pytestmark = pytest.mark.unit


def test_exchange_once_on_the_confirmed_number(window) -> None:
    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    batch, nxt = services.paper.next_number()
    with pytest.raises(PaperNumberMismatch):
        services.paper.exchange(rec, str(int(nxt) + 1), "张敏")
    rec = services.paper.exchange(rec, nxt, "张敏")
    assert (rec.paper_batch_code, rec.paper_no) == (batch, nxt)
    with pytest.raises(AlreadyExchanged) as exc:
        services.paper.exchange(rec, services.paper.next_number()[1], "张敏")
    assert exc.value.code == "E5830"
    assert platform.calls.count("turnPaper") == 1


def test_reprint_needs_reason_and_voids_old_paper(window) -> None:
    services, _ = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    with pytest.raises(NotExchanged):
        services.paper.reprint(rec, services.paper.next_number()[1], "卡纸", "张敏")
    rec = services.paper.exchange(rec, services.paper.next_number()[1], "张敏")
    first = rec.paper_no
    with pytest.raises(ReasonRequired):
        services.paper.reprint(rec, services.paper.next_number()[1], "  ", "张敏")
    rec = services.paper.reprint(rec, services.paper.next_number()[1], "打印错位", "张敏")
    assert rec.paper_no != first and rec.voided_papers == [first]


def test_void_blank_skips_numbers(window) -> None:
    services, _ = window
    _, nxt = services.paper.next_number()
    n = int(nxt)
    assert services.paper.void_blank(str(n), str(n + 2), "撕坏", "张敏") == 3
    assert int(services.paper.next_number()[1]) == n + 3


def test_write_off_plain_bill(window) -> None:
    services, _ = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    with pytest.raises(ReasonRequired):
        services.writeoff.write_off(rec, "", "张敏")
    rec = services.writeoff.write_off(rec, "患者退费", "张敏")
    assert rec.state == STATE_RED and rec.red_bill_no
    with pytest.raises(AlreadyWrittenOff):
        services.writeoff.write_off(rec, "再次", "张敏")


def test_paper_first_rule(window) -> None:
    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    rec = services.paper.exchange(rec, services.paper.next_number()[1], "张敏")
    with pytest.raises(PaperFirst) as exc:
        services.writeoff.write_off(rec, "退费", "张敏")
    assert exc.value.code == "E5841" and "writeOffEBill" not in platform.calls
    rec = services.writeoff.write_off(rec, "退费", "张敏", void_paper_first=True)
    assert rec.state == STATE_RED and not rec.paper_no and rec.voided_papers
    assert "invalidPaper" in platform.calls and "writeOffEBill" not in platform.calls


def test_paper_exchanged_elsewhere_is_caught(window) -> None:
    """GIVEN paper exchanged at a kiosk (the window's record does not know) WHEN writing off THEN paper-first."""
    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    _, nxt = services.paper.next_number()
    platform.call("turnPaper", {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no,
                                "pBillBatchCode": platform.paper_batch_code, "pBillNo": nxt})
    with pytest.raises(PaperFirst):
        services.writeoff.write_off(rec, "退费", "张敏")


def test_batch_write_off_reports_each(window) -> None:
    services, _ = window
    recs = [services.issuing.issue(outpatient_form(services), "张敏") for _ in range(3)]
    services.paper.exchange(recs[1], services.paper.next_number()[1], "张敏")
    result = services.writeoff.write_off_batch(recs, "批量退费", "张敏")
    assert len(result.done) == 2 and len(result.failed) == 1
    assert result.failed[0][0] == recs[1].bill_no and "E5841" in result.failed[0][1]


def test_online_stock_counts_electronic_ranges_only(window) -> None:
    from workflows.online_stock import online_stock

    services, _ = window
    before = online_stock(services.api, "001", services.paper.paper_batch_code)
    services.issuing.issue(outpatient_form(services), "张敏")
    assert online_stock(services.api, "001", services.paper.paper_batch_code) == before - 1
    assert online_stock(services.api, "001", "") > before  # counting the paper range too would inflate it


def test_push_notice_records_masked_target(window) -> None:
    from workflows.delivery import NoticeTargetInvalid, send_notice

    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    with pytest.raises(NoticeTargetInvalid):
        send_notice(services.api, services.bills, services.events, rec, "12345")
    rec = send_notice(services.api, services.bills, services.events, rec)  # the bill's own phone
    assert rec.notice_sent == "1201:138****8000" and "sendBillNotice" in platform.calls
    assert rec.delivery_label == "已推送138****8000"
    rec = send_notice(services.api, services.bills, services.events, rec, "liuyang@example.com")
    assert rec.notice_sent == "1202:li***@example.com"


def test_every_call_shares_the_one_breaker(window, clock) -> None:
    """Paper, write-off and queries go through the same SyncClient as issuing: once an issue saw the
    link drop, they fail fast (E8101) without touching the server, and recover with it."""
    from workflows.errors import LinkDownError

    services, platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    platform.online = False
    services.issuing.issue(outpatient_form(services), "张敏")  # emergency: the breaker opens
    platform.online = True
    calls = len(platform.calls)
    with pytest.raises(LinkDownError) as exc:
        services.paper.next_number()
    with pytest.raises(LinkDownError):
        services.writeoff.write_off(rec, "退费", "张敏")
    assert exc.value.code == "E8101" and len(platform.calls) == calls  # nothing reached the server
    clock.advance(services.sync.breaker.open_seconds)
    assert services.paper.next_number()[1] and services.issuing.online
