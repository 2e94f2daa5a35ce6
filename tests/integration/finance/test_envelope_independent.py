"""An independent envelope check: requests built by hand (hashlib/base64/json only, no project
code) in the shape real HIS send — numbers as strings, V3.1 names, ``text/plain`` — are accepted;
a tampered one is refused. The answer is verified by hand too (spec §1.3-§1.4)."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
import uuid

import pytest

pytestmark = pytest.mark.integration

APPID, KEY = "DEMOHOSP01", "demo-finance-key-2026"


def md5_sign(appid: str, data: str, noise: str, key: str) -> str:
    plain = f"appid={appid}&data={data}&noise={noise}&key={key}&version=1.0"
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def post(url: str, body: bytes) -> dict:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "text/plain;charset=utf8"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())


def open_answer(env: dict, signed: bool = True) -> tuple[str, object]:
    if signed:  # signed with the caller's appid and key, as real clients check (spec §1.4)
        assert env["sign"] == md5_sign(APPID, env["data"], env["noise"], KEY)
    inner = json.loads(base64.b64decode(env["data"]).decode("utf-8"))
    text = base64.b64decode(inner["message"]).decode("utf-8")
    return inner["result"], (json.loads(text) if text.startswith("{") else text)


def his_bill() -> dict:
    """An outpatient bill as an older HIS sends it: every number a string, V3.1 dept names
    (category = name, patientCategory = code), the V2/V3.1 money fields, a 14-digit time padded."""
    return {
        "busNo": f"HIS{uuid.uuid4().hex[:16]}", "busType": "02", "payer": "王五", "busDateTime": "20261123093000" + "000",
        "placeCode": "001", "payee": "收费员丙", "author": "收费员丙", "totalAmt": "36.80", "payerType": "1",
        "cardType": "3101", "cardNo": "A0009", "patientNo": "MZ0009", "sex": "女", "age": "42",
        "category": "内科门诊", "patientCategory": "NK01", "consultationDate": "20261123",
        "accountPay": "0.00", "fundPay": "0.00", "otherfundPay": "0.00", "ownPay": "0.00",
        "selfConceitedAmt": "0.00", "selfPayAmt": "0.00", "selfCashPay": "36.80",
        "chequePay": "0", "transferAccountPay": "0", "cashPay": "0",
        "payChannelDetail": [{"payChannelCode": "05", "payChannelValue": "36.80"}],
        "chargeDetail": [{"sortNo": "1", "chargeCode": "CF02", "chargeName": "检查费", "unit": "次", "std": "36.80",
                          "number": "1", "amt": "36.80", "selfAmt": "0.00"}],
        "listDetail": [{"listDetailNo": "1", "chargeCode": "CF02", "name": "血常规", "std": "36.8000", "number": "1",
                        "amt": "36.8000", "selfAmt": "0.0000", "medicalCareType": "1"}],
    }


def envelope(data: dict, key: str = KEY) -> dict:
    data_b64 = base64.b64encode(json.dumps(data, ensure_ascii=False).encode("utf-8")).decode("ascii")
    noise = str(uuid.uuid4())
    return {"appid": APPID, "data": data_b64, "noise": noise, "version": "1.0",
            "sign": md5_sign(APPID, data_b64, noise, key)}


def test_hand_built_request_is_accepted(sim) -> None:
    bill = his_bill()
    env = envelope(bill)
    result, payload = open_answer(post(f"{sim.api_url}/invoiceEBillOutpatient", json.dumps(env).encode("utf-8")))
    assert result == "S0000", payload
    assert isinstance(payload, dict) and len(payload["billNo"]) == 10
    lookup = envelope({"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
    result, found = open_answer(post(f"{sim.api_url}/getEBillByBusNo", json.dumps(lookup).encode("utf-8")))
    assert result == "S0000" and found["billNo"] == payload["billNo"]
    detail = envelope({"billBatchCode": found["billBatchCode"], "billNo": found["billNo"], "random": found["random"]})
    result, got = open_answer(post(f"{sim.api_url}/getBillDetail", json.dumps(detail).encode("utf-8")))
    assert result == "S0000" and got["payer"] == "王五" and got["totalAmt"] == "36.80"


def test_tampered_request_is_refused(sim) -> None:
    bill = his_bill()
    env = envelope(bill)
    bill["totalAmt"] = "3.68"  # change the data after signing
    env["data"] = base64.b64encode(json.dumps(bill, ensure_ascii=False).encode("utf-8")).decode("ascii")
    result, message = open_answer(post(f"{sim.api_url}/invoiceEBillOutpatient", json.dumps(env).encode("utf-8")))
    assert result == "E2002" and "签名" in str(message)
    wrong_key = envelope(his_bill(), key="guessed-key")
    result, _ = open_answer(post(f"{sim.api_url}/invoiceEBillOutpatient", json.dumps(wrong_key).encode("utf-8")))
    assert result == "E2002"
    lookup = envelope({"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
    result, _ = open_answer(post(f"{sim.api_url}/getEBillByBusNo", json.dumps(lookup).encode("utf-8")))
    assert result != "S0000"  # nothing was issued


def test_malformed_envelopes(sim) -> None:
    # no readable appid: the refusal cannot be signed with any caller's key
    result, _ = open_answer(post(f"{sim.api_url}/testServerConnect", b"{not json"), signed=False)
    assert result == "E2001"
    env = envelope({"testValue": "x"})
    env["data"] = "%%%not-base64%%%"
    env["sign"] = md5_sign(APPID, env["data"], env["noise"], KEY)
    result, _ = open_answer(post(f"{sim.api_url}/testServerConnect", json.dumps(env).encode("utf-8")))
    assert result == "E2001"
