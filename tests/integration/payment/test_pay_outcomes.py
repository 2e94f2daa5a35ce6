"""Each payment outcome through the real client and session against the simulator process:
success, fail, timeout then late success, abandoned, refund to the original channel, restart."""

from __future__ import annotations

import time

import pytest

from tests.rigs.payment import ALIPAY_CODE, KEY, MCH_ID, UNIONPAY_CODE, WECHAT_CODE, PaySimProcess
from workflows.payment_client import PaymentClient, PaymentError, PaymentUnavailable
from workflows.payment_session import PaymentSession, PayState

pytestmark = pytest.mark.integration
FAST = (0.1, 0.1, 0.2, 0.3)


def test_demo_json_names_the_merchant(sim: PaySimProcess) -> None:
    merchants = sim.demo()["merchants"]
    assert {"mch_id": MCH_ID, "key": KEY} == {k: merchants[0][k] for k in ("mch_id", "key")}


def test_code_and_qr_payments_succeed(sim: PaySimProcess, client: PaymentClient, no: str) -> None:
    session = PaymentSession(client, backoff=FAST, qr_deadline=10)
    assert session.pay(1250, "code", WECHAT_CODE, "挂号费", no + "C").paid
    sim.control.plan(no + "Q", outcome="late", late_seconds=0.3)  # scanned, paid a moment later
    order = client.unified_order(no + "Q", 5000, "住院押金")
    sim.control.scan(no + "Q", "alipay")
    result = session.pay(5000, "qr", subject="住院押金", out_trade_no=no + "Q")
    assert result.paid and result.order is not None and result.order.code_url == order.code_url
    assert result.order.pay_channel == "alipay"


def test_failed_payment(sim: PaySimProcess, client: PaymentClient, no: str) -> None:
    sim.control.plan(no, outcome="fail", reason="用户余额不足", channel_err_code="NOTENOUGH")
    result = PaymentSession(client, backoff=FAST).pay(300, "code", ALIPAY_CODE, "药费", no)
    assert result.state is PayState.FAILED and "余额不足" in result.message
    assert client.query(no).trade_state == "PAYERROR"


def test_timeout_then_late_success(sim: PaySimProcess, no: str) -> None:
    """GIVEN a platform that holds the micropay answer 3 s (client timeout 0.5 s) and takes the
    money 1 s after the code was scanned, THEN the client raises PaymentUnavailable, the order is
    USERPAYING meanwhile, and the session's polling reports it paid."""
    sim.control.plan(no, outcome="timeout", hang_seconds=3, late_seconds=1)
    quick = PaymentClient(sim.url, MCH_ID, KEY, timeout=0.5)
    t0 = time.monotonic()
    with pytest.raises(PaymentUnavailable) as exc:
        quick.micropay(no, 800, "药费", UNIONPAY_CODE)
    assert exc.value.code == "E5701" and exc.value.sent and time.monotonic() - t0 < 2
    assert quick.query(no).trade_state == "USERPAYING"
    result = PaymentSession(quick, backoff=FAST, code_deadline=10).pay(800, "code", UNIONPAY_CODE, "药费", no)
    assert result.paid and result.order is not None and result.order.pay_channel == "unionpay"
    quick.close_http()


def test_abandoned_payment_is_closed_and_not_paid(sim: PaySimProcess, client: PaymentClient, no: str) -> None:
    sim.control.plan(no, outcome="abandon")
    session = PaymentSession(client, backoff=FAST, qr_deadline=0.8)
    result = session.pay(100, "qr", subject="挂号费", out_trade_no=no)
    assert result.state is PayState.NOT_PAID and client.query(no).trade_state == "CLOSED"
    # and an order left alone closes at its expiry
    client.unified_order(no + "E", 100, "挂号费", expire_seconds=1)
    time.sleep(1.1)
    assert client.query(no + "E").trade_state == "CLOSED"


def test_refund_to_the_original_channel(sim: PaySimProcess, client: PaymentClient, no: str) -> None:
    client.unified_order(no, 10000, "住院押金")
    sim.control.scan(no, "alipay")
    session = PaymentSession(client, backoff=FAST)
    part = session.refund(no, 3000, "出院结算退还押金")
    assert (part.channel, part.refund_status, part.refunded_total) == ("alipay", "SUCCESS", 3000)
    assert session.refund(no, 3000, "出院结算退还押金") == part  # idempotent repeat
    rest = session.refund(no, 7000, "余额全部退还")
    assert rest.refunded_total == 10000
    with pytest.raises(PaymentError) as exc:
        session.refund(no, 1, "再退一分")
    assert exc.value.code == "E3731" and "可退0分" in exc.value.message
    assert client.query(no).trade_state == "REFUND"


def test_down_and_restart_keep_state(sim: PaySimProcess, client: PaymentClient, no: str) -> None:
    client.micropay(no, 600, "药费", WECHAT_CODE)
    sim.control.knobs(down=True)
    with pytest.raises(PaymentUnavailable) as exc:
        client.query(no)
    assert exc.value.code == "E3706"
    sim.control.knobs(down=False)
    sim.stop()
    with pytest.raises(PaymentUnavailable) as gone:
        client.query(no)
    assert gone.value.sent is False
    sim.start()
    assert client.query(no).paid
    wrong = PaymentClient(sim.url, MCH_ID, "wrong-key", timeout=5)
    with pytest.raises(PaymentError) as bad:
        wrong.query(no)
    assert bad.value.code == "E3702" and not isinstance(bad.value, PaymentUnavailable)
    wrong.close_http()
