"""Refunds (limits, idempotency, original channel), the daily statement's lines and totals,
face verification, and state kept across a restart."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance, ImageOps

from billing_core.clock import CST, ManualClock
from simulators.payment import statement as stmt
from simulators.payment.app import create_app
from simulators.payment.platform import Platform
from tests.rigs.payment import (
    ALIPAY_CODE,
    FACE,
    KEY,
    MCH_ID,
    UNIONPAY_CODE,
    WECHAT_CODE,
    Control,
    flask_transport,
)
from workflows.payment_client import PaymentClient, PaymentError

pytestmark = pytest.mark.unit


def _code(fn: object, *args: object, **kw: object) -> str:
    with pytest.raises(PaymentError) as exc:
        fn(*args, **kw)  # type: ignore[operator]
    return exc.value.code


def test_refunds_never_exceed_what_was_paid_and_go_back_to_the_channel(client: PaymentClient) -> None:
    client.micropay("RF1", 1000, "药费", ALIPAY_CODE)
    first = client.refund("RF1", "RF1-A", 300, "退药")
    assert (first.refund_status, first.channel, first.refunded_total) == ("SUCCESS", "alipay", 300)
    assert client.query("RF1").trade_state == "REFUND" and client.query("RF1").refund_fee == 300
    assert _code(client.refund, "RF1", "RF1-B", 701) == "E3731"
    second = client.refund("RF1", "RF1-B", 700, "退药")
    assert second.refunded_total == 1000
    assert _code(client.refund, "RF1", "RF1-C", 1) == "E3731"
    assert [r.out_refund_no for r in client.refunds_of("RF1")] == ["RF1-A", "RF1-B"]


def test_refund_is_idempotent_on_out_refund_no(client: PaymentClient) -> None:
    client.micropay("RF2", 1000, "药费", WECHAT_CODE)
    a = client.refund("RF2", "RF2-A", 400)
    assert client.refund("RF2", "RF2-A", 400) == a
    assert client.refund_query("RF2-A") == a
    assert _code(client.refund, "RF2", "RF2-A", 500) == "E3732"
    client.micropay("RF3", 1000, "药费", WECHAT_CODE)
    assert _code(client.refund, "RF3", "RF2-A", 400) == "E3732"  # the number belongs to another order
    assert client.query("RF2").refund_fee == 400


def test_refund_of_unpaid_order_and_failing_channel(client: PaymentClient, control: Control) -> None:
    client.unified_order("RF4", 1000, "挂号费")
    assert _code(client.refund, "RF4", "RF4-A", 100) == "E3730"
    assert _code(client.refund, "RF4", "RF4-A", 100, total_fee=999) == "E3701"
    assert _code(client.refund_query, "RF4-A") == "E3734"
    client.micropay("RF5", 1000, "药费", UNIONPAY_CODE)
    control.knobs(refund_fail=True)
    assert _code(client.refund, "RF5", "RF5-A", 100) == "E3733"
    control.knobs(refund_fail=None)
    assert client.refund("RF5", "RF5-A", 100).refund_status == "SUCCESS"  # the failed try left nothing behind


def test_fee_rounding_half_up() -> None:
    assert stmt.fee_of(1250, 2000) == 3  # 2.5 fen -> 3
    assert stmt.fee_of(1249, 2000) == 2
    assert stmt.fee_of(100_000, 1500) == 150
    assert stmt.yuan(-1) == "-0.01" and stmt.yuan(123456) == "1234.56"


def test_statement_lines_and_totals_equal_the_orders(client: PaymentClient, control: Control,
                                                     clock: ManualClock) -> None:
    client.micropay("ST1", 1250, "挂号费", WECHAT_CODE)
    client.micropay("ST2", 33333, "住院押金", UNIONPAY_CODE)
    client.unified_order("ST3", 5000, "门诊缴费")
    control.scan("ST3", "alipay")
    client.unified_order("ST4", 700, "未支付")  # not paid: not on the statement
    client.refund("ST2", "ST2-R", 10000, "押金退还")
    day = clock.now().astimezone(CST).date()
    s = client.statement(day)
    assert (s.pay_count, s.refund_count) == (3, 1)
    assert s.pay_total == 1250 + 33333 + 5000 and s.refund_total == 10000
    fees = stmt.fee_of(1250, 2000) + stmt.fee_of(33333, 1500) + stmt.fee_of(5000, 2000) - stmt.fee_of(10000, 1500)
    assert s.fee_total == fees and s.net_total == s.pay_total - s.refund_total - fees
    assert sum(r.amount for r in s.rows) == s.pay_total and sum(r.refund for r in s.rows) == s.refund_total
    assert sum(r.fee for r in s.rows) == s.fee_total
    assert {(r.out_trade_no, r.kind, r.channel) for r in s.rows} == {
        ("ST1", "支付", "微信"), ("ST2", "支付", "银联"), ("ST3", "支付", "支付宝"), ("ST2", "退款", "银联")}
    totals = list(csv.reader(io.StringIO(s.csv_text)))[-1]
    assert totals[3:] == ["395.83", "100.00", stmt.yuan(fees), stmt.yuan(s.net_total)]
    assert Decimal(totals[6]) * 100 == s.net_total
    clock.advance(86400)
    assert client.statement(day).pay_count == 3  # a closed day does not change
    assert client.statement(clock.now().astimezone(CST).date()).pay_count == 0
    from datetime import timedelta
    assert _code(client.statement, clock.now().astimezone(CST).date() + timedelta(days=1)) == "E3740"


def _jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def test_face_verify_matches_the_enrolled_face_only(client: PaymentClient, control: Control) -> None:
    face = FACE.read_bytes()
    control.enrol("13800138000", face, name="张三", patient_id="P0001")
    control.enrol("13900139000", _jpeg(ImageOps.flip(Image.open(FACE).convert("RGB"))), name="李四",
                  id_card_no="44010619850202123X", patient_id="P0002")
    relit = _jpeg(ImageEnhance.Brightness(Image.open(FACE).convert("RGB")).enhance(1.25))
    who = client.face_verify("13800138000", relit)
    assert (who.name, who.patient_id, who.id_card_no) == ("张三", "P0001", "440106199001011234")
    assert who.score > Decimal("0.95")
    assert _code(client.face_verify, "13900139000", face) == "E3752"  # someone else's phone
    assert _code(client.face_verify, "13700137000", face) == "E3751"  # nobody enrolled
    assert _code(client.face_verify, "12345", face) == "E3701"
    assert _code(client.face_verify, "13800138000", b"not an image") == "E3750"
    blank = _jpeg(Image.new("RGB", (200, 200), (40, 40, 40)))
    assert _code(client.face_verify, "13800138000", blank) == "E3750"


def test_state_survives_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    clock = ManualClock()
    p = Platform(tmp_path / "d", clock)
    client = PaymentClient("http://sim", MCH_ID, KEY, clock=clock, transport=flask_transport(create_app(p)))
    client.micropay("RS1", 800, "药费", WECHAT_CODE)
    client.refund("RS1", "RS1-A", 300)
    Control.of_app(create_app(p)).plan("RS2", outcome="late", late_seconds=100)
    client.unified_order("RS2", 100, "挂号费")
    p.close()
    p2 = Platform(tmp_path / "d", clock)
    client2 = PaymentClient("http://sim", MCH_ID, KEY, clock=clock, transport=flask_transport(create_app(p2)))
    assert client2.query("RS1").refund_fee == 300
    assert client2.refund("RS1", "RS1-A", 300).refunded_total == 300
    Control.of_app(create_app(p2)).scan("RS2")
    clock.advance(100)
    assert client2.query("RS2").paid  # the plan was kept too
    p2.close()
