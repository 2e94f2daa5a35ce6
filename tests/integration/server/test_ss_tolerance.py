"""Issue 14, tolerance of real HIS clients: requests shaped as public HIS clients send them, over
HTTP to a running sync server (SQLite and PostgreSQL) in front of the finance simulator process.

* rules of ours stricter than the spec only warn (seven otherInfo rows numbered "1"), the spec's
  rules still refuse, on the server and on the simulator;
* ``billBusDate`` (17 digits) in the issue and write-off answers of simulator and server;
* numbers where strings are specified and the reverse; ``Content-Encoding: UTF-8``; a Gson-style
  envelope with ``\\u003d`` escapes; 13/17-digit timestamp noises.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests
from ss_rig import HisClient, ServerThread, Simulator, load_sample

from billing_core import envelope
from billing_core.ids import new_noise

pytestmark = pytest.mark.integration

OUTPATIENT = "invoiceEBillOutpatient"


def _bill(prefix: str) -> dict[str, Any]:
    return load_sample("outpatient.json") | {"busNo": f"{prefix}{uuid.uuid4().hex[:16]}"}


def _seven_rows_numbered_one(bill: dict[str, Any]) -> dict[str, Any]:
    # what the reported client sends: every otherInfo row carries infoNo "1"
    names = ("医保结算方式", "就诊科室", "医保类型", "结算号", "个人编号", "门诊号", "备注")
    return bill | {"otherInfo": [{"infoNo": "1", "infoName": n, "infoValue": f"值{i}"} for i, n in enumerate(names)]}


def _gson_body(appid: str, key: str, data: dict[str, Any], noise: str) -> bytes:
    """The envelope as a Java client serialising with Gson's defaults writes it: HTML-safe
    escaping turns every '=' of the base64 padding into \\u003d (the signature is over the real
    text, the escape is only JSON)."""
    data_b64 = envelope.b64encode_text(json.dumps(data, ensure_ascii=False))
    if not data_b64.endswith("="):  # make sure there is padding to escape
        data = data | {"remark": data.get("remark", "") + "x"}
        data_b64 = envelope.b64encode_text(json.dumps(data, ensure_ascii=False))
    if not data_b64.endswith("="):
        data = data | {"remark": data.get("remark", "") + "x"}
        data_b64 = envelope.b64encode_text(json.dumps(data, ensure_ascii=False))
    assert data_b64.endswith("=")
    sign = envelope.sign(appid, data_b64, noise, key)
    escaped = data_b64.replace("=", "\\u003d")
    return (f'{{"appid":"{appid}","data":"{escaped}","noise":"{noise}","version":"1.0",'
            f'"sign":"{sign}"}}').encode()


def _post(client: HisClient, method: str, body: bytes, headers: dict[str, str]) -> tuple[str, Any]:
    resp = requests.post(f"{client.url}/{method}", data=body, headers=headers, timeout=60)
    assert resp.status_code == 200, resp.text[:300]
    answer = envelope.decode_response(resp.content, client.appid, client.key)
    return answer.result, answer.message


def test_repeated_info_no_is_issued_with_a_warning(server: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    bill = _seven_rows_numbered_one(_bill("TINFO"))
    with caplog.at_level(logging.WARNING, logger="sync_server.bills.validation"):
        answer = server.his().ok(OUTPATIENT, bill)
    assert answer["billNo"]
    assert any("E1009" in r.getMessage() and "otherInfo[1].infoNo" in r.getMessage() for r in caplog.records)


def test_spec_rules_still_refuse_on_the_server(server: ServerThread) -> None:
    bill = _bill("TSUM") | {"totalAmt": "999.99"}  # Σ chargeDetail ≠ totalAmt: spec §3.5
    result, message = server.his().call(OUTPATIENT, bill)
    assert result == "E1010", message


def test_simulator_refuses_the_spec_and_accepts_the_rest(sim: Simulator) -> None:
    client = sim.client()
    result, message = client.call(OUTPATIENT, _bill("SSUM") | {"totalAmt": "999.99"})
    assert result == "E1010", message
    result, message = client.call(OUTPATIENT, _bill("SLIST") | {"chargeDetail": []})
    assert result == "E1015", message
    answer = client.ok(OUTPATIENT, _seven_rows_numbered_one(_bill("SINFO")))
    assert answer["billNo"]


def test_simulator_answers_carry_bill_bus_date(sim: Simulator) -> None:
    client = sim.client()
    bill = _bill("SBD")
    issued = client.ok(OUTPATIENT, bill)
    assert issued["billBusDate"] == bill["busDateTime"]
    red = client.ok("writeOffEBill", {
        "billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"], "reason": "退费",
        "operator": "李娜", "busDateTime": "20261123100000123", "placeCode": bill["placeCode"]})
    assert red["billBusDate"] == "20261123100000123"


def test_server_answers_carry_bill_bus_date(server: ServerThread) -> None:
    client = server.his()
    bill = _bill("TBD")
    issued = client.ok(OUTPATIENT, bill)
    assert len(issued["billBusDate"]) == 17 and issued["billBusDate"] == bill["busDateTime"]
    # the repeat is answered from the server's records: the same business time
    assert client.ok(OUTPATIENT, bill)["billBusDate"] == bill["busDateTime"]
    red = client.ok("writeOffEBill", {
        "billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"], "reason": "退费",
        "operator": "李娜", "busDateTime": "20261123100000456", "placeCode": bill["placeCode"]})
    assert red["eScarletBillNo"] and red["billBusDate"] == "20261123100000456"


def test_numbers_for_strings_and_the_reverse(server: ServerThread) -> None:
    bill = _bill("TNUM")
    # a client with typed fields: amounts as JSON numbers (12.3 style, not always two places),
    # text fields holding numbers (age 45, tel), integers as strings (sortNo "1")
    bill |= {"totalAmt": Decimal("386.5"), "age": 45, "payerType": 1, "sex": "男",
             "accountPay": Decimal("76.5"), "fundPay": 210, "otherfundPay": 0,
             "payChannelDetail": [{"payChannelCode": c["payChannelCode"], "payChannelValue": Decimal(c["payChannelValue"])}
                                  for c in bill["payChannelDetail"]],
             "chargeDetail": [c | {"sortNo": str(c["sortNo"])} for c in bill["chargeDetail"]]}
    assert server.his().ok(OUTPATIENT, bill)["billNo"]
    assert server.his().ok("getEBillByBusNo", {"busNo": bill["busNo"], "busDateTime": int(bill["busDateTime"])})


def test_content_encoding_utf8_is_identity(server: ServerThread) -> None:
    client = server.his()
    bill = _bill("TENC")
    body = envelope.dumps(envelope.encode_request(client.appid, client.key, bill, noise=new_noise())).encode()
    result, message = _post(client, OUTPATIENT, body,
                            {"Content-Type": "application/json;charset=UTF-8", "Content-Encoding": "UTF-8"})
    assert result == "S0000", message


def test_gson_escaped_envelope_with_timestamp_noises(server: ServerThread) -> None:
    client = server.his()
    noises = (str(int(time.time() * 1000)), time.strftime("%Y%m%d%H%M%S") + "123")  # 13 and 17 digits
    for noise in noises:
        bill = _bill("TGSON")
        body = _gson_body(client.appid, client.key, bill, noise)
        assert b"\\u003d" in body
        result, message = _post(client, OUTPATIENT, body, {"Content-Type": "application/json; charset=utf-8"})
        assert result == "S0000", f"noise {noise}: {result} {message}"
        assert message["billBusDate"] == bill["busDateTime"]


def test_simulator_takes_the_same_client_shapes(sim: Simulator) -> None:
    client = sim.client()
    bill = _bill("SGSON") | {"age": 45, "chargeDetail": [c | {"sortNo": str(c["sortNo"])}
                                                         for c in load_sample("outpatient.json")["chargeDetail"]]}
    body = _gson_body(client.appid, client.key, bill, str(int(time.time() * 1000)))
    result, message = _post(client, OUTPATIENT, body,
                            {"Content-Type": "application/json;charset=UTF-8", "Content-Encoding": "UTF-8"})
    assert result == "S0000", message
    assert message["billBusDate"] == bill["busDateTime"]


def test_queued_write_off_answer_carries_bill_bus_date(server: ServerThread, sim: Simulator) -> None:
    # last in the module: it takes the platform down for two seconds and waits for the outbox
    client = server.his()
    bill = _bill("TQBD")
    issued = client.ok(OUTPATIENT, bill)
    sim.faults(down=2)
    time.sleep(0.3)
    red = client.ok("writeOffEBill", {
        "billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"], "reason": "退费",
        "operator": "李娜", "busDateTime": "20261123100000789", "placeCode": bill["placeCode"]})
    assert red["queued"] == "1" and red["billBusDate"] == "20261123100000789"
    server.wait_drained(60)
    assert sim.platform_bills(bill["busNo"])[0][2] == 1
