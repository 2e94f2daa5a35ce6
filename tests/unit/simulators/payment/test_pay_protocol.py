"""The signed protocol: the signing rule itself, and what the simulator refuses before any
business happens (bad signature, unknown merchant, stale timestamp, replayed nonce, down)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from flask import Flask

from billing_core import paysign
from billing_core.clock import ManualClock
from tests.rigs.payment import KEY, MCH_ID, OTHER_KEY, OTHER_MCH_ID, WECHAT_CODE, Control
from workflows.payment_client import PaymentClient, PaymentError, PaymentUnavailable

pytestmark = pytest.mark.unit


def test_sign_string_and_hmac_match_an_independent_computation() -> None:
    params = {"mch_id": "10000100", "body": "挂号费", "total_fee": 1250, "empty": "", "none": None,
              "refunds": [{"b": 1, "a": "x"}], "sign": "ignored", "paid": True}
    expected = ('body=挂号费&mch_id=10000100&paid=true&refunds=[{"a":"x","b":1}]&total_fee=1250&key=K')
    assert paysign.sign_string(params, "K") == expected
    digest = hmac.new(b"K", expected.encode("utf-8"), hashlib.sha256).hexdigest().upper()
    assert paysign.sign(params, "K") == digest
    assert len(digest) == 64 and digest == digest.upper()


def test_verify_refuses_tampering_missing_sign_and_other_sign_types() -> None:
    msg = paysign.signed({"a": "1", "b": "2"}, "K")
    paysign.verify(msg, "K")
    for bad in ({**msg, "a": "9"}, {k: v for k, v in msg.items() if k != "sign"}, {**msg, "sign_type": "MD5"}):
        with pytest.raises(paysign.PaySignatureError) as exc:
            paysign.verify(bad, "K")
        assert exc.value.code == "E3702"
    with pytest.raises(paysign.PaySignatureError):
        paysign.verify(msg, "other key")


def _raw(app: Flask, clock: ManualClock, path: str = "/pay/orderquery", key: str = KEY,
         **params: Any) -> tuple[int, dict[str, Any]]:
    req = {"mch_id": MCH_ID, "nonce_str": paysign.nonce(), "timestamp": str(int(clock.now().timestamp())), **params}
    resp = app.test_client().post(path, data=json.dumps(paysign.signed(req, key)))
    return resp.status_code, resp.get_json()


def test_every_answer_is_signed_with_the_merchants_key(app: Flask, clock: ManualClock) -> None:
    status, out = _raw(app, clock, out_trade_no="NOPE1")
    assert status == 200 and out["result_code"] == "FAIL" and out["err_code"] == "E3710"
    paysign.verify(out, KEY)
    with pytest.raises(paysign.PaySignatureError):
        paysign.verify(out, OTHER_KEY)


def test_wrong_key_stale_timestamp_and_replayed_nonce_are_refused(app: Flask, clock: ManualClock) -> None:
    _, out = _raw(app, clock, key="not-the-key", out_trade_no="X1")
    assert out["return_code"] == "FAIL" and out["err_code"] == "E3702" and "sign" not in out
    _, out = _raw(app, clock, timestamp=str(int(clock.now().timestamp()) - 301), out_trade_no="X1")
    assert out["err_code"] == "E3704" and "300秒" in out["err_code_des"]
    _, out = _raw(app, clock, nonce_str="abcdefgh12345678", out_trade_no="X1")
    assert out["err_code"] == "E3710"  # first use of the nonce: the query itself runs
    _, out = _raw(app, clock, nonce_str="abcdefgh12345678", out_trade_no="X1")
    assert out["err_code"] == "E3705"


def test_unknown_merchant_not_json_and_unknown_operation(app: Flask, clock: ManualClock) -> None:
    resp = app.test_client().post("/pay/orderquery", data=json.dumps({"mch_id": "999", "sign": "x"}))
    assert resp.get_json()["err_code"] == "E3703" and "sign" not in resp.get_json()
    resp = app.test_client().post("/pay/orderquery", data=b"<xml/>")
    assert resp.status_code == 400 and resp.get_json()["err_code"] == "E3707"
    _, out = _raw(app, clock, path="/pay/transfer")
    assert out["err_code"] == "E3708"


def test_client_maps_refusals_and_down_to_its_two_exception_types(client: PaymentClient, control: Control,
                                                                   app: Flask, clock: ManualClock) -> None:
    with pytest.raises(PaymentError) as exc:
        client.query("NOPE2")
    assert exc.value.code == "E3710" and "NOPE2" in exc.value.message
    assert not isinstance(exc.value, PaymentUnavailable)
    control.knobs(down=True)
    with pytest.raises(PaymentUnavailable) as down:
        client.micropay("D1", 100, "药费", WECHAT_CODE)
    assert down.value.code == "E3706" and down.value.sent is False
    control.knobs(down=False)
    assert client.micropay("D1", 100, "药费", WECHAT_CODE).trade_state == "SUCCESS"
    other = PaymentClient("http://sim", OTHER_MCH_ID, OTHER_KEY, clock=clock, transport=client._transport)
    with pytest.raises(PaymentError) as isolated:
        other.query("D1")  # another merchant does not see this merchant's orders
    assert isolated.value.code == "E3710"


def test_client_refuses_an_answer_with_a_forged_signature(app: Flask, clock: ManualClock) -> None:
    inner = app.test_client()

    def tampering(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
        out = inner.post(url.replace("http://sim", ""), data=body).get_json()
        out["trade_state"] = "SUCCESS"  # a man in the middle "pays" the order
        return 200, json.dumps(out).encode()

    client = PaymentClient("http://sim", MCH_ID, KEY, clock=clock, transport=tampering)
    PaymentClient("http://sim", MCH_ID, KEY, clock=clock, transport=lambda u, b, t: (
        200, inner.post(u.replace("http://sim", ""), data=b).get_data())).unified_order("F1", 100, "挂号费")
    with pytest.raises(PaymentUnavailable) as exc:
        client.query("F1")
    assert exc.value.code == "E5703"


def test_knobs_are_checked_before_anything_changes(control: Control, app: Flask) -> None:
    c = app.test_client()
    for bad in ({"next": {"outcome": "maybe"}}, {"down": "yes"}, {"notify_retry": [-1]}, {"colour": 1},
                {"next": {"outcome": "late", "late_seconds": -3}}):
        resp = c.post("/_sim/knobs", json={"refund_fail": True, **bad})
        assert resp.status_code == 400 and resp.get_json()["err_code"] == "E3701", bad
    assert control.knobs() == {}
