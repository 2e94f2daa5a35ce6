"""The payment session's state machine on a manual clock, against the real payment simulator app
(in this process, over the Flask test client): every outcome, the deadline race, resume, refund."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from billing_core.clock import ManualClock
from simulators.payment.app import create_app
from simulators.payment.platform import Platform
from tests.rigs.payment import ALIPAY_CODE, KEY, MCH_ID, WECHAT_CODE, Control
from workflows.events import Events
from workflows.payment_client import PaymentClient, PaymentUnavailable
from workflows.payment_session import (
    PAY_FAILED,
    PAY_PAID,
    PAY_WAITING_CONFIRM,
    PAY_WAITING_SCAN,
    PaymentInputError,
    PaymentSession,
    PayState,
)

pytestmark = pytest.mark.unit


class Rig:
    """Simulator + client + session sharing one manual clock; ``sleep`` advances it and runs
    whatever the test scheduled for that moment (the patient's phone)."""

    def __init__(self, tmp: Path) -> None:
        self.clock = ManualClock()
        self.platform = Platform(tmp / "pay", self.clock)
        self.app: Flask = create_app(self.platform)
        self.control = Control.of_app(self.app)
        self._http = self.app.test_client()
        self.at: dict[float, Callable[[], Any]] = {}
        #: op name -> action run just before that request reaches the platform
        self.before: dict[str, Callable[[], Any]] = {}
        #: op names whose answer is lost once (the request was carried out)
        self.lose_answer: set[str] = set()
        self.calls: list[str] = []
        self.start = self.clock.monotonic()
        self.client = PaymentClient("http://sim", MCH_ID, KEY, clock=self.clock, transport=self.transport)
        self.events = Events()
        self.seen: list[tuple[str, dict[str, Any]]] = []
        self.events.subscribe(lambda name, payload: self.seen.append((name, payload)))
        self.session = PaymentSession(self.client, self.events, clock=self.clock, sleep=self.sleep,
                                      qr_deadline=30, code_deadline=20)

    def transport(self, url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        op = urlsplit(url).path.rsplit("/", 1)[-1]
        self.calls.append(op)
        if op in self.before:
            self.before.pop(op)()
        resp = self._http.post(urlsplit(url).path, data=body)
        if op in self.lose_answer:
            self.lose_answer.discard(op)
            raise TimeoutError(url)
        return resp.status_code, resp.get_data()

    def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)
        now = self.clock.monotonic() - self.start
        for t in sorted(self.at):
            if t <= now:
                self.at.pop(t)()

    def names(self) -> list[str]:
        return [n for n, _ in self.seen if n != "pay_state"]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    r = Rig(tmp_path)
    yield r
    r.platform.close()


def test_code_payment_succeeds_at_once(rig: Rig) -> None:
    result = rig.session.pay(1250, "code", WECHAT_CODE, "挂号费", "S1")
    assert result.paid and result.state is PayState.PAID and result.order and result.order.pay_channel == "wechat"
    assert rig.calls == ["micropay"] and rig.names() == [PAY_PAID]


def test_qr_payment_waits_for_the_scan(rig: Rig) -> None:
    rig.at[4] = lambda: rig.control.scan("S2", "alipay")
    result = rig.session.pay(5000, "qr", subject="住院押金", out_trade_no="S2")
    assert result.paid and result.order and result.order.pay_channel == "alipay"
    waiting = [p for n, p in rig.seen if n == PAY_WAITING_SCAN]
    assert len(waiting) == 1 and "/qr/" in waiting[0]["code_url"] and waiting[0]["amount_fen"] == 5000
    assert rig.calls[0] == "unifiedorder" and set(rig.calls[1:]) == {"orderquery"}
    # backoff: queries at 1, 2, 4 s -> paid seen at the third query
    assert len(rig.calls) == 4


def test_userpaying_then_confirm_on_the_phone(rig: Rig) -> None:
    rig.control.plan("S3", outcome="confirm")
    rig.at[3] = lambda: rig.control.confirm("S3")
    result = rig.session.pay(300, "code", ALIPAY_CODE, "药费", "S3")
    assert result.paid and rig.names() == [PAY_WAITING_CONFIRM, PAY_PAID]


def test_failed_payment_reports_the_reason(rig: Rig) -> None:
    rig.control.plan("S4", outcome="fail", reason="用户余额不足")
    result = rig.session.pay(300, "code", WECHAT_CODE, "药费", "S4")
    assert result.state is PayState.FAILED and not result.paid and "余额不足" in result.message
    failed = [p for n, p in rig.seen if n == PAY_FAILED]
    assert failed and "余额不足" in failed[0]["message"]


def test_abandoned_qr_is_closed_at_the_deadline_and_reported_not_paid(rig: Rig) -> None:
    rig.control.plan("S5", outcome="abandon")
    rig.at[2] = lambda: rig.control.scan("S5")
    result = rig.session.pay(100, "qr", subject="挂号费", out_trade_no="S5")
    assert result.state is PayState.NOT_PAID and not result.paid and "关闭" in result.message
    assert rig.calls[-2:] == ["closeorder", "orderquery"]
    assert rig.clock.monotonic() - rig.start == pytest.approx(30)
    assert rig.client.query("S5").trade_state == "CLOSED"


def test_payment_that_lands_while_closing_is_reported_paid(rig: Rig) -> None:
    """GIVEN a 主扫 order nobody paid until the deadline, WHEN the patient's payment lands just
    before the close reaches the platform, THEN the close is refused (E3712) and the session
    reports PAID: a late payment is never lost."""
    rig.control.plan("S6", outcome="confirm")
    rig.at[1] = lambda: rig.control.scan("S6")
    rig.before["closeorder"] = lambda: rig.control.confirm("S6")
    result = rig.session.pay(100, "qr", subject="挂号费", out_trade_no="S6")
    assert result.paid and rig.calls[-2:] == ["closeorder", "orderquery"]
    assert rig.names() == [PAY_WAITING_SCAN, PAY_WAITING_CONFIRM, PAY_PAID]


def test_code_payment_that_lands_while_reversing_is_reported_paid(rig: Rig) -> None:
    rig.control.plan("S7", outcome="confirm")
    rig.before["reverse"] = lambda: rig.control.confirm("S7")
    result = rig.session.pay(100, "code", WECHAT_CODE, "药费", "S7")
    assert result.paid and rig.client.query("S7").trade_state == "SUCCESS"


def test_lost_answer_then_late_success_is_found_by_query(rig: Rig) -> None:
    rig.control.plan("S8", outcome="late", late_seconds=5)
    rig.lose_answer.add("micropay")
    result = rig.session.pay(100, "code", WECHAT_CODE, "药费", "S8")
    assert result.paid and rig.calls.count("micropay") == 1


def test_request_that_never_arrived_is_sent_again_with_the_same_number(rig: Rig) -> None:
    def refuse() -> None:
        rig.control.knobs(down=True)
        rig.at[1.5] = lambda: rig.control.knobs(down=False)

    rig.before["micropay"] = refuse
    result = rig.session.pay(100, "code", WECHAT_CODE, "药费", "S9")
    assert result.paid and rig.calls.count("micropay") == 2


def test_platform_unreachable_at_the_end_is_unknown_and_resume_settles_it(rig: Rig) -> None:
    rig.control.plan("S10", outcome="confirm")
    rig.at[19] = lambda: rig.control.knobs(down=True)
    result = rig.session.pay(100, "code", WECHAT_CODE, "药费", "S10")
    assert result.state is PayState.UNKNOWN and not result.paid and "切勿重复缴费" in result.message
    rig.control.knobs(down=False)
    rig.control.confirm("S10")  # the patient did pay, on the phone
    again = PaymentSession(rig.client, clock=rig.clock, sleep=rig.sleep)
    assert again.resume("S10", 100, "code").paid


def test_resume_of_an_unknown_number_is_not_paid(rig: Rig) -> None:
    assert rig.session.resume("NEVER", 100).state is PayState.NOT_PAID


def test_cancel_closes_the_order(rig: Rig) -> None:
    rig.at[2] = rig.session.cancel
    result = rig.session.pay(100, "qr", subject="挂号费", out_trade_no="S11")
    assert result.state is PayState.NOT_PAID and "取消" in result.message
    assert rig.clock.monotonic() - rig.start < 5


def test_bad_input_sends_nothing(rig: Rig) -> None:
    for kwargs in ({"amount_fen": 0}, {"method": "cash"}, {"method": "code"}, {"out_trade_no": ""},
                   {"subject": ""}, {"out_trade_no": "X" * 33}):
        args: dict[str, Any] = {"amount_fen": 100, "method": "qr", "subject": "挂号费", "out_trade_no": "B1", **kwargs}
        with pytest.raises(PaymentInputError) as exc:
            rig.session.pay(**args)
        assert exc.value.code == "E5711"
    assert rig.calls == []


def test_refund_is_idempotent_and_survives_a_lost_answer(rig: Rig) -> None:
    rig.session.pay(1000, "code", WECHAT_CODE, "药费", "R1")
    rig.lose_answer.add("refund")
    first = rig.session.refund("R1", 400, "退药")
    again = rig.session.refund("R1", 400, "退药")
    assert first == again and first.refunded_total == 400 and rig.calls.count("refund") == 3
    other = rig.session.refund("R1", 400, "第二次退药", out_refund_no="R1-2")
    assert other.refunded_total == 800
    rig.control.knobs(down=True)
    with pytest.raises(PaymentUnavailable):
        rig.session.refund("R1", 100, "退药", attempts=2)
