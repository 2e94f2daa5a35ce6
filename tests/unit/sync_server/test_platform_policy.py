"""connectors.policy with a scripted transport (no sockets): the issuing outcomes of DESIGN.md §3
(lookup before any re-send), the breaker counting only refusals to connect, the write-off state
check and the carry-forward outcome — the platform-call sequence of each case is asserted."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from billing_core.breaker import Breaker
from billing_core.clock import ManualClock
from sync_server.connectors.errors import PlatformInDoubt, PlatformRejected, PlatformUnreachable
from sync_server.connectors.finance_transport import FinanceTransport
from sync_server.connectors.policy import Outcome, PlatformClient

pytestmark = pytest.mark.unit

BILL = {"busNo": "B1", "busDateTime": "20261123090000000", "placeCode": "001"}
FOUND = {"billBatchCode": "44060126", "billNo": "0000000001", "random": "abc123"}
ISSUE = "invoiceEBillOutpatient"
Step = Callable[[], Any]


def refused() -> Any:
    raise PlatformUnreachable("refused")


def lost() -> Any:
    raise PlatformInDoubt("lost")


def rejected(code: str = "E3002") -> Step:
    def step() -> Any:
        raise PlatformRejected(code, "拒绝")
    return step


def answer(value: Any) -> Step:
    return lambda: value


@pytest.fixture
def script(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[dict[str, list[Step]], list[str]]]:
    """Per-method queues of what the platform does; the methods called, in order."""
    plan: dict[str, list[Step]] = {}
    log: list[str] = []

    def fake_call(self: FinanceTransport, method: str, data: Mapping[str, Any], **_: Any) -> Any:
        log.append(method)
        return plan[method].pop(0)()

    monkeypatch.setattr(FinanceTransport, "call", fake_call)
    yield plan, log


def client(breaker: Breaker | None = None) -> PlatformClient:
    return PlatformClient("http://127.0.0.1:9/x", "A", "k", query_retries=0, breaker=breaker)


def test_not_sent_goes_to_emergency_without_a_lookup(script) -> None:  # noqa: ANN001
    plan, log = script
    plan[ISSUE] = [refused]
    out = client().resolve_issue(ISSUE, BILL)
    assert out.kind is Outcome.NOT_SENT and not out.error.in_doubt and log == [ISSUE]


def test_lost_answer_is_resolved_by_lookup_not_by_resending(script) -> None:  # noqa: ANN001
    plan, log = script
    plan[ISSUE] = [lost]
    plan["getEBillByBusNo"] = [answer(FOUND)]
    out = client().resolve_issue(ISSUE, BILL)
    assert out.kind is Outcome.RECOVERED and out.recovered and out.payload == FOUND and out.attempts == 1
    assert log == [ISSUE, "getEBillByBusNo"]


def test_resend_only_after_not_found(script) -> None:  # noqa: ANN001
    plan, log = script
    plan[ISSUE] = [lost, answer(FOUND)]
    plan["getEBillByBusNo"] = [rejected("E3001")]
    out = client().resolve_issue(ISSUE, BILL)
    assert out.kind is Outcome.ISSUED and out.attempts == 2 and log == [ISSUE, "getEBillByBusNo", ISSUE]
    plan[ISSUE] = [lost, lost]
    plan["getEBillByBusNo"] = [rejected("E3001")]
    assert client().resolve_issue(ISSUE, BILL).kind is Outcome.IN_DOUBT  # no third send


def test_failed_lookup_leaves_it_in_doubt_and_issue_raises(script) -> None:  # noqa: ANN001
    plan, log = script
    plan[ISSUE] = [lost]
    plan["getEBillByBusNo"] = [refused]
    out = client().resolve_issue(ISSUE, BILL)
    assert out.kind is Outcome.IN_DOUBT and out.error.in_doubt and log == [ISSUE, "getEBillByBusNo"]
    plan[ISSUE] = [lost]
    plan["getEBillByBusNo"] = [refused]
    with pytest.raises(PlatformInDoubt):
        client().issue(ISSUE, BILL)


def test_a_refusal_is_answered_by_the_bill_the_platform_holds(script) -> None:  # noqa: ANN001
    plan, log = script
    plan[ISSUE] = [rejected("E3002")]
    plan["getEBillByBusNo"] = [answer(FOUND)]
    assert client().resolve_issue(ISSUE, BILL).kind is Outcome.RECOVERED  # duplicate_busno=reject
    plan[ISSUE] = [rejected("E1001")]
    plan["getEBillByBusNo"] = [rejected("E3001")]
    out = client().resolve_issue(ISSUE, BILL)
    assert out.kind is Outcome.REJECTED and out.error.code == "E1001"
    with pytest.raises(PlatformRejected):
        out.result()


def test_lookup_first_for_a_dead_process_claim(script) -> None:  # noqa: ANN001
    plan, log = script
    plan["getEBillByBusNo"] = [answer(FOUND)]
    out = client().resolve_issue(ISSUE, BILL, lookup_first=True)
    assert out.kind is Outcome.RECOVERED and out.attempts == 0 and log == ["getEBillByBusNo"]


def test_breaker_counts_refusals_only_and_short_circuits_as_not_sent(script) -> None:  # noqa: ANN001
    plan, log = script
    clock = ManualClock()
    c = client(Breaker(clock, failure_threshold=3, open_seconds=2.0, single_probe=False))
    plan["testServerConnect"] = [refused, refused, lost, refused, refused, refused, answer("成功")]
    for _ in range(6):
        with pytest.raises(PlatformUnreachable):
            c.call("testServerConnect", {})
    assert c.is_open() and len(log) == 6  # the in-doubt failure in the middle restarted the count
    with pytest.raises(PlatformUnreachable) as err:
        c.call("testServerConnect", {})
    assert "熔断" in err.value.message and not err.value.in_doubt and len(log) == 6  # nothing sent
    clock.advance(2.0)
    assert c.call("testServerConnect", {}) == "成功" and not c.is_open()


def test_write_off_checks_the_state_before_a_resend(script) -> None:  # noqa: ANN001
    plan, log = script
    data = {"billBatchCode": "44060126", "billNo": "0000000001"}
    plan["getEBillStatesByBillInfo"] = [answer({"isScarlet": "1", "scarletBillNo": "0000000009",
                                                 "scarletBillBatchCode": "44060127"})]
    red = client().write_off("writeOffEBill", data, check_first=True)
    assert red["eScarletBillNo"] == "0000000009" and log == ["getEBillStatesByBillInfo"]
    plan["getEBillStatesByBillInfo"] = [answer({"isScarlet": "0"})]
    plan["writeOffEBill"] = [answer({"eScarletBillNo": "0000000010"})]
    assert client().write_off("writeOffEBill", data, check_first=True)["eScarletBillNo"] == "0000000010"
    plan["writeOffEBill"] = [answer({"eScarletBillNo": "0000000011"})]
    log.clear()
    client().write_off("writeOffEBill", data, check_first=False)
    assert log == ["writeOffEBill"]  # a first attempt is sent without asking


@pytest.mark.parametrize(("found", "kind"), [(None, "refused"), (FOUND, "carried"),
                                             ({**FOUND, "billNo": "0000000002"}, "conflict")])
def test_carry_forward_refusal_is_resolved_by_lookup(script, found: Any, kind: str) -> None:  # noqa: ANN001
    plan, log = script
    upload = {"bill": BILL, "billBatchCode": FOUND["billBatchCode"], "billNo": FOUND["billNo"]}
    plan["uploadEmergencyEBill"] = [rejected("E4012")]
    plan["getEBillByBusNo"] = [answer(found) if found else rejected("E3001")]
    out = client().ext.carry_forward(upload, idem_key="cf:1")
    assert out.kind == kind and log == ["uploadEmergencyEBill", "getEBillByBusNo"]


def test_carry_forward_lost_answer_is_left_to_the_outbox(script) -> None:  # noqa: ANN001
    plan, log = script
    plan["uploadEmergencyEBill"] = [lost]
    with pytest.raises(PlatformInDoubt):
        client().ext.carry_forward({"bill": BILL}, idem_key="cf:1")
    assert log == ["uploadEmergencyEBill"]  # not re-sent at once
