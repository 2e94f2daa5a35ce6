"""Order rules: idempotency on out_trade_no, payment codes by prefix, plans, close / reverse,
expiry and late success on the simulator's clock."""

from __future__ import annotations

import pytest

from billing_core.clock import ManualClock
from tests.rigs.payment import ALIPAY_CODE, UNIONPAY_CODE, WECHAT_CODE, Control
from workflows.payment_client import PaymentClient, PaymentError

pytestmark = pytest.mark.unit


def _err(fn: object, *args: object, **kw: object) -> PaymentError:
    with pytest.raises(PaymentError) as exc:
        fn(*args, **kw)  # type: ignore[operator]
    return exc.value


@pytest.mark.parametrize(("code", "channel"), [(WECHAT_CODE, "wechat"), (ALIPAY_CODE, "alipay"),
                                               ("300000000000000000000000", "alipay"), (UNIONPAY_CODE, "unionpay")])
def test_payment_code_prefix_decides_the_channel(client: PaymentClient, code: str, channel: str) -> None:
    order = client.micropay(f"M{code[:6]}{len(code)}", 990, "门诊缴费", code)
    assert (order.trade_state, order.channel, order.pay_channel, order.trade_type) == (
        "SUCCESS", channel, channel, "MICROPAY")
    assert order.transaction_id and order.time_end


@pytest.mark.parametrize("code", ["164567890123456789", "1345678901234567", "2412345678901234567", "621234",
                                  "6212345678901234567890", "13456789012345678x", "99"])
def test_unknown_payment_code_is_a_clear_error_and_creates_nothing(client: PaymentClient, code: str) -> None:
    err = _err(client.micropay, "BADCODE", 100, "药费", code)
    assert err.code == "E3714" and "付款码" in err.message
    assert _err(client.query, "BADCODE").code == "E3710"


def test_same_number_same_amount_is_the_same_order_other_amount_is_refused(client: PaymentClient) -> None:
    first = client.unified_order("IDEM1", 1250, "挂号费")
    again = client.unified_order("IDEM1", 1250, "挂号费")
    assert again.code_url == first.code_url and again.trade_state == "NOTPAY"
    err = _err(client.unified_order, "IDEM1", 1300, "挂号费")
    assert err.code == "E3711" and "1250" in err.message
    assert _err(client.micropay, "IDEM1", 1250, "挂号费", WECHAT_CODE).code == "E3711"  # other trade type
    assert client.query("IDEM1").total_fee == 1250


def test_bad_parameters_name_the_field(client: PaymentClient) -> None:
    assert "total_fee" in _err(client.unified_order, "P1", 0, "挂号费").message
    assert "out_trade_no" in _err(client.unified_order, "含中文", 10, "挂号费").message
    assert "channel" in _err(client.unified_order, "P2", 10, "挂号费", channel="paypal").message
    assert "notify_url" in _err(client.unified_order, "P3", 10, "挂号费", notify_url="ftp://x").message
    assert _err(client.unified_order, "P4", 10, "").code == "E3701"


def test_qr_order_is_paid_when_the_patient_scans(client: PaymentClient, control: Control) -> None:
    order = client.unified_order("Q1", 5000, "住院押金", channel="aggregate")
    assert order.trade_state == "NOTPAY" and "/qr/" in order.code_url
    control.scan("Q1", "unionpay")
    paid = client.query("Q1")
    assert paid.paid and paid.pay_channel == "unionpay"
    assert _err(client.close, "Q1").code == "E3712"
    with pytest.raises(AssertionError, match="E3721"):  # the control call answers 400: code no longer valid
        control.scan("Q1")


def test_fail_plan_gives_payerror_with_the_reason(client: PaymentClient, control: Control) -> None:
    control.knobs(next={"outcome": "fail", "reason": "银行卡余额不足"})
    order = client.micropay("FAIL1", 100, "药费", ALIPAY_CODE)
    assert order.trade_state == "PAYERROR" and order.pay_err_msg == "银行卡余额不足"
    assert "余额不足" in order.trade_state_desc and order.pay_err_code == "E3720"
    assert client.micropay("FAIL2", 100, "药费", ALIPAY_CODE).trade_state == "SUCCESS"  # `next` is one-shot


def test_confirm_plan_waits_for_the_patients_phone(client: PaymentClient, control: Control) -> None:
    control.plan("CONF1", outcome="confirm")
    assert client.micropay("CONF1", 100, "药费", WECHAT_CODE).trade_state == "USERPAYING"
    assert client.query("CONF1").trade_state == "USERPAYING"
    control.confirm("CONF1")
    assert client.query("CONF1").trade_state == "SUCCESS"


def test_late_success_by_time_and_by_queries(client: PaymentClient, control: Control, clock: ManualClock) -> None:
    control.plan("LATE1", outcome="late", late_seconds=30)
    assert client.micropay("LATE1", 100, "药费", WECHAT_CODE).trade_state == "USERPAYING"
    clock.advance(29)
    assert client.query("LATE1").trade_state == "USERPAYING"
    clock.advance(1)
    assert client.query("LATE1").trade_state == "SUCCESS"
    control.plan("LATE2", outcome="late", late_queries=3)
    client.unified_order("LATE2", 100, "挂号费")
    control.scan("LATE2")
    assert [client.query("LATE2").trade_state for _ in range(3)] == ["USERPAYING", "USERPAYING", "SUCCESS"]


def test_abandoned_order_closes_at_expiry(client: PaymentClient, control: Control, clock: ManualClock) -> None:
    control.plan("AB1", outcome="abandon")
    client.unified_order("AB1", 100, "挂号费", expire_seconds=60)
    control.scan("AB1")
    clock.advance(59)
    assert client.query("AB1").trade_state == "USERPAYING"
    clock.advance(1)
    assert client.query("AB1").trade_state == "CLOSED"
    control.plan("AB2", outcome="abandon")
    client.micropay("AB2", 100, "药费", WECHAT_CODE)
    clock.advance(300)  # 被扫 orders expire after 5 minutes by default
    assert client.query("AB2").trade_state == "CLOSED"


def test_close_and_reverse_rules(client: PaymentClient, control: Control, clock: ManualClock) -> None:
    client.unified_order("CL1", 100, "挂号费")
    assert client.close("CL1").trade_state == "CLOSED"
    assert client.close("CL1").trade_state == "CLOSED"  # idempotent
    assert _err(client.reverse, "CL1").code == "E3715"
    control.plan("RV1", outcome="confirm")
    client.micropay("RV1", 100, "药费", WECHAT_CODE)
    assert _err(client.close, "RV1").code == "E3715"
    assert client.reverse("RV1").trade_state == "REVOKED"
    with pytest.raises(AssertionError, match="E3721"):  # nothing left to confirm
        control.confirm("RV1")
    # a late payment that is due wins over the close that comes after it
    control.plan("CL2", outcome="late", late_seconds=5)
    client.unified_order("CL2", 100, "挂号费")
    control.scan("CL2")
    clock.advance(6)
    assert _err(client.close, "CL2").code == "E3712"
    assert client.query("CL2").paid
