"""requestId idempotency, the query by requestId, fault knobs, and caller authentication."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from simulators.his.context import HisContext
from tests.rigs.his_rig import Caller, rid

pytestmark = pytest.mark.unit


def test_a_repeat_answers_the_first_result_and_moves_money_once(his: Caller, demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    before = his.ok("prepay.balance", {"patientId": p})["balance"]
    body = {"requestId": rid(), "patientId": p, "amount": "100.00", "payMethod": "external", "payChannel": "05",
            "payRef": "WX777", "payAmount": "100.00"}
    first = his.ok("prepay.topUp", body)["settlement"]
    again = his.ok("prepay.topUp", body)["settlement"]
    assert again["settlementNo"] == first["settlementNo"]
    assert float(his.ok("prepay.balance", {"patientId": p})["balance"]) == float(before) + 100
    assert len(his.ok("settlement.list", {"patientId": p, "kind": "prepay"})["settlements"]) == 1
    code, msg, _ = his.call("prepay.topUp", body | {"amount": "200.00", "payAmount": "200.00"})
    assert code == "E3570" and body["requestId"] in msg
    assert his.call("outpatient.settle", body | {"chargeIds": ["X"]})[0] == "E3570"  # same id, other operation
    found = his.ok("request.query", {"requestId": body["requestId"]})
    assert found["operation"] == "prepay.topUp" and found["code"] == "0"
    assert found["data"]["settlement"]["settlementNo"] == first["settlementNo"]
    assert his.call("request.query", {"requestId": rid()})[0] == "E3571"


def test_a_business_refusal_is_recorded_but_an_input_error_is_not(his: Caller, ctx: HisContext,
                                                                  demo: dict[str, Any]) -> None:
    p = demo["patients"][0]["id"]
    charge = his.ok("charge.pending", {"patientId": p})["charges"][0]
    ctx.faults.refuse_settlements = 1
    body = {"requestId": rid(), "patientId": p, "chargeIds": [charge["chargeId"]], "payMethod": "prepayment"}
    code, msg, _ = his.call("outpatient.settle", body)
    assert code == "E3563" and "拒绝" in msg
    assert his.call("outpatient.settle", body)[0] == "E3563"  # the first result, even with the knob spent
    assert his.ok("request.query", {"requestId": body["requestId"]})["code"] == "E3563"
    assert his.ok("charge.pending", {"patientId": p})["charges"][0]["status"] == "pending"
    # an input error leaves no record: the corrected call reuses the requestId
    fixed = {"requestId": rid(), "patientId": p, "chargeIds": [charge["chargeId"]]}
    assert his.call("outpatient.settle", fixed)[0] == "E3510"
    assert his.call("request.query", {"requestId": fixed["requestId"]})[0] == "E3571"
    assert his.ok("outpatient.settle", fixed | {"payMethod": "prepayment"})["settlement"]["kind"] == "outpatient"


def test_request_ids_belong_to_their_caller(his: Caller, ctx: HisContext, demo: dict[str, Any]) -> None:
    other = ctx.config["callers"][1]
    second = Caller(his.client, ctx, other["appid"], other["key"])
    body = {"requestId": rid(), "patientId": demo["patients"][0]["id"], "amount": "1.00", "payMethod": "external",
            "payChannel": "02", "payRef": "CASH1", "payAmount": "1.00"}
    his.ok("prepay.topUp", body)
    assert second.call("request.query", {"requestId": body["requestId"]})[0] == "E3571"


def test_authentication(his: Caller, ctx: HisContext) -> None:
    body = b"{}"
    assert his.raw("dept.list", body, key="wrong").get_json()["code"] == "E3504"
    assert his.raw("dept.list", body, appid="NOBODY").get_json()["code"] == "E3503"
    assert his.client.post("/his/api/dept.list", data=body).get_json()["code"] == "E3502"
    stale = int(ctx.now().timestamp() * 1000) - 301_000
    assert his.raw("dept.list", body, ts=stale).get_json()["code"] == "E3505"
    ok = his.raw("dept.list", body, nonce="nonce-0001")
    assert ok.get_json()["code"] == "0"
    assert his.raw("dept.list", body, nonce="nonce-0001").get_json()["code"] == "E3506"
    # the answer is signed over the request's timestamp and nonce
    ts = ok.request.headers["X-His-Timestamp"]
    expected = hmac.new(his.key.encode(), f"{ts}\nnonce-0001\n".encode() + ok.data, hashlib.sha256).hexdigest()
    assert ok.headers["X-His-Signature"] == expected
    assert his.raw("nothing.here", body).get_json()["code"] == "E3507"
    assert his.raw("dept.list", b"[1, 2]").get_json()["code"] == "E3501"


def test_down_knob_answers_503_for_n_calls(his: Caller, ctx: HisContext) -> None:
    ctx.faults.down_calls = 2
    assert his.raw("dept.list", b"{}").status_code == 503
    resp = his.raw("dept.list", b"{}")
    assert resp.status_code == 503 and resp.get_json()["code"] == "E3590"
    assert his.raw("dept.list", b"{}").status_code == 200


def test_control_endpoints_seed_what_tests_need(his: Caller) -> None:
    c = his.client
    p = c.post("/_sim/patients", json={"name": "周杰", "sex": "男", "prepay": "12.00"}).get_json()["patient"]
    assert p["prepayBalance"] == "12.00" and len(p["idNo"]) == 18 and p["hospitalCard"]
    ch = c.post("/_sim/charges", json={"patientId": p["patientId"], "count": 20, "seed": 1}).get_json()["charge"]
    assert len(ch["lines"]) == 20
    stay = c.post("/_sim/inpatients", json={"patientId": p["patientId"], "days": 2, "deposit": "800"}).get_json()
    assert stay["inpatient"]["deposit"] == "800.00"
    knobs = c.post("/_sim/faults", json={"slow": 0.5, "slowCalls": 1}).get_json()
    assert knobs["slow"] == 0.5 and knobs["slowCalls"] == 1
    assert c.post("/_sim/config", json={"bogus": 1}).status_code == 400
    cfg = c.post("/_sim/config", json={"syncKey": "secret", "placeCode": "005"}).get_json()
    assert cfg["syncKey"] == "***" and cfg["placeCode"] == "005"
    assert json.loads((his.ctx.data_dir / "config.json").read_text())["placeCode"] == "005"


def test_issuer_his_needs_a_sync_server(his: Caller, demo: dict[str, Any]) -> None:
    body = {"requestId": rid(), "patientId": demo["patients"][0]["id"], "amount": "5.00", "payMethod": "external",
            "payChannel": "05", "payRef": "WX9", "payAmount": "5.00", "issuer": "his"}
    code, msg, _ = his.call("prepay.topUp", body)
    assert code == "E3581" and "同步服务器" in msg
    assert his.call("request.query", {"requestId": body["requestId"]})[0] == "E3571"
    assert his.call("prepay.topUp", body | {"issuer": "kiosk"})[0] == "E3511"
