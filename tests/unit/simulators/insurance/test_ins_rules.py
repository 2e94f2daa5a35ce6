"""Gateway, envelope, msgid, sign_no and insured-place rules, settlement uniqueness and the
year's accumulations — in process over the Flask test client."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask

from billing_core.clock import ManualClock
from tests.rigs.insurance import (
    CODE,
    DRUG_B,
    LI,
    OTHER_PAASID,
    OTHER_TOKEN,
    QIAN,
    SINGLE,
    ZHANG,
    InsClient,
    fee_line,
    new_msgid,
    outpatient_settled,
    register,
    settle_data,
    tif_headers,
)

pytestmark = pytest.mark.unit


def _post(client: InsClient, headers: dict[str, str]) -> tuple[int, Any]:
    status, body = client.post_raw(client.envelope("1101", {"data": {}}), SINGLE, headers)
    return status, json.loads(body)


# -- gateway ---------------------------------------------------------------------------------------

def test_gateway_rejects_missing_headers_bad_signature_and_skew(client: InsClient) -> None:
    h = tif_headers()
    del h["x-tif-nonce"]
    status, body = _post(client, h)
    assert status == 500 and body["code"] == 400001 and "x-tif-nonce" in body["msg"]
    h = tif_headers()
    h["x-tif-signature"] = "0" * 64
    assert _post(client, h)[1]["msg"].startswith("鉴权失败：x-tif-signature")
    status, body = _post(client, tif_headers(ts=int(time.time()) - 181))
    assert status == 500 and "180秒" in body["msg"]
    # the signature is compared case-insensitively
    assert _post(client, tif_headers(upper=True))[0] == 200
    # the other institution's paasid signs correctly but does not own this fixmedins_code
    status, body = _post(client, tif_headers(OTHER_PAASID, OTHER_TOKEN))
    assert status == 200 and body["infcode"] == -1 and "x-tif-paasid" in body["err_msg"]
    status, body = _post(client, tif_headers("nobody", OTHER_TOKEN))
    assert status == 500 and "未注册" in body["msg"]


def test_gateway_knobs_wrapped_format_skew_and_replay(client: InsClient, knobs: Any) -> None:
    knobs(gateway_format="wrapped", skew_seconds=10, nonce_replay=True)
    status, body = _post(client, tif_headers(ts=int(time.time()) - 30))
    assert status == 500 and body["type"] == "error" and body["code"] == 400001
    h = tif_headers(nonce="same-nonce")
    assert _post(client, h)[0] == 200
    status, body = _post(client, tif_headers(nonce="same-nonce"))
    assert status == 500 and "重放" in body["message"]


# -- envelope and msgid ----------------------------------------------------------------------------

def test_envelope_fields_are_checked(client: InsClient) -> None:
    assert client.fails("1101", {"data": {}}, msgid="") == "报文字段msgid不能为空"
    assert "格式错误" in client.fails("1101", {"data": {}}, msgid="X" * 30)
    assert "mdtrtarea_admvs" in client.fails("1101", {"data": {}}, mdtrtarea_admvs="4403")
    assert "opter_type" in client.fails("1101", {"data": {}}, opter_type="9")
    assert "inf_time" in client.fails("1101", {"data": {}}, inf_time="2026/12/01")
    assert "加密" in client.fails("1101", "abc")  # type: ignore[arg-type]
    assert "不存在或未开通" in client.fails("8888", {})
    assert "输入节点data" in client.fails("1101", {"wrong": {}})
    assert "sign_no" in client.fails("1101", {"data": {}}, sign_no="")


def test_msgid_is_used_once_even_after_a_failure(client: InsClient) -> None:
    msgid = new_msgid()
    assert "mdtrt_cert_type" in client.fails("1101", {"data": {}}, msgid=msgid)
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"]}}
    assert "报文ID重复" in client.fails("1101", payload, msgid=msgid)
    client.ok("1101", payload)


def test_infcode_as_string_knob(client: InsClient, knobs: Any) -> None:
    knobs(infcode_string=True)
    out = client.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"]}})
    assert out["infcode"] == "0" and out["output"]["baseinfo"]["psn_name"] == "张三"
    assert len(out["inf_refmsgid"]) == 30 and len(out["refmsg_time"]) == 17


# -- sign-in ---------------------------------------------------------------------------------------

def test_sign_no_expiry_owner_and_sign_out(client: InsClient, knobs: Any, clock: ManualClock) -> None:
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"]}}
    assert "不属于操作员" in client.fails("1101", payload, opter="OP999")
    knobs(sign_no_per_opter=False)
    client.ok("1101", payload, opter="OP999")
    knobs(sign_ttl_seconds=60)
    clock.advance(61)
    assert "已过期" in client.fails("1101", payload)
    client.sign_in()
    client.ok("1101", payload)
    client.ok("9002", {"signOut": {"sign_no": client.sign_no, "opter_no": client.opter}})
    assert "已签退" in client.fails("1101", payload)
    assert "无效" in client.fails("1101", payload, sign_no="nope")


# -- persons ---------------------------------------------------------------------------------------

def test_person_info_by_each_voucher(client: InsClient) -> None:
    for cert, no, extra in (("01", ZHANG["ect"], {}), ("02", ZHANG["certno"], {}),
                            ("03", ZHANG["card"], {"card_sn": ZHANG["card_sn"]})):
        out = client.ok("1101", {"data": {"mdtrt_cert_type": cert, "mdtrt_cert_no": no, **extra}})
        assert out["baseinfo"]["psn_no"] == ZHANG["psn_no"]
        assert out["insuinfo"][0]["insuplc_admdvs"] == "440300"
    assert "card_sn" in client.fails("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": ZHANG["card"]}})
    assert "card_sn与卡号不符" in client.fails("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": ZHANG["card"],
                                                                 "card_sn": "X"}})
    assert "未查询到" in client.fails("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "110101200001010000"}})
    assert "姓名" in client.fails("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"],
                                                    "psn_name": "张四"}})


def test_insured_place_required_and_checked(client: InsClient) -> None:
    data = {"data": settle_data("x", LI, "1.00")}
    assert "insuplc_admdvs不能为空" in client.fails("2206", data)
    assert "与人员参保地不符" in client.fails("2206", data, "440300")  # 李四 is insured in 440100
    assert "就诊ID" in client.fails("2206", data, LI["plc"])


# -- settlement rules ------------------------------------------------------------------------------

def _person(app: Flask, psn_no: str) -> dict[str, Any]:
    return dict(app.test_client().get(f"/_sim/persons/{psn_no}").get_json())


def test_accumulations_added_on_settle_and_undone_on_cancel(client: InsClient, app: Flask) -> None:
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    info = out["setlinfo"]
    # 乙 300 (30 first self-pay) + 丙 50: in scope 270, deductible 200, fund 70 % of 70 = 49
    assert (info["act_pay_dedc"], info["hifp_pay"], info["acct_pay"], info["psn_cash_pay"]) == (200, 49, 301, 0)
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"]
    state = _person(app, ZHANG["psn_no"])
    assert state["insurances"][0]["balc"] == "1199.00"
    assert state["accumulations"][0]["deductible_used"] == "200.00"
    assert state["accumulations"][0]["fund_paid"] == "49.00"
    cancel = client.ok("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": ZHANG["psn_no"]}},
                       ZHANG["plc"])
    assert cancel["setlinfo"]["medfee_sumamt"] == -350 and cancel["setlinfo"]["setl_id"] != info["setl_id"]
    state = _person(app, ZHANG["psn_no"])
    assert state["insurances"][0]["balc"] == "1500.00"
    assert state["accumulations"][0]["deductible_used"] == "0.00"
    assert state["accumulations"][0]["fund_paid"] == "0.00"
    assert "已撤销" in client.fails("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id,
                                                     "psn_no": ZHANG["psn_no"]}}, ZHANG["plc"])
    # the lines are unsettled again: the visit settles anew, now with the deductible free again
    again = client.ok("2207", {"data": settle_data(mdtrt_id, ZHANG, "350.00")}, ZHANG["plc"])
    assert again["setlinfo"]["act_pay_dedc"] == 200


def test_one_valid_settlement_per_visit_and_amount_checks(client: InsClient) -> None:
    mdtrt_id, _ = outpatient_settled(client, QIAN)
    assert "不能重复结算" in client.fails("2207", {"data": settle_data(mdtrt_id, QIAN, "350.00")}, QIAN["plc"])
    other = register(client, QIAN)
    client.ok("2204", {"feedetail": [fee_line(other, QIAN, "1", DRUG_B, "2", "30")]}, QIAN["plc"])
    assert "不符" in client.fails("2207", {"data": settle_data(other, QIAN, "61.00")}, QIAN["plc"])
    assert "重复" in client.fails("2204", {"feedetail": [fee_line(other, QIAN, "1", DRUG_B, "1", "30")]}, QIAN["plc"])
    assert "不存在或已失效" in client.fails("2204", {"feedetail": [fee_line(other, QIAN, "2", "NOPE", "1", "1")]},
                                            QIAN["plc"])
    bad = fee_line(other, QIAN, "3", DRUG_B, "1", "30", det_item_fee_sumamt="31.00")
    assert "数量×单价" in client.fails("2204", {"feedetail": [bad]}, QIAN["plc"])
    # 钱七's account (10.00) went on the first visit; the deductible too: 70 % of 54.00 in scope
    out = client.ok("2207", {"data": settle_data(other, QIAN, "60.00")}, QIAN["plc"])["setlinfo"]
    assert (out["act_pay_dedc"], out["hifp_pay"], out["acct_pay"], out["psn_cash_pay"], out["balc"]) == \
        (0, Decimal("37.80"), 0, Decimal("22.20"), 0)


def test_refuse_knob_and_fund_includes_account(client: InsClient, knobs: Any) -> None:
    knobs(refuse={"count": 1, "infcode": -2, "err_msg": "医保中心繁忙", "infnos": ["1101"]})
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"]}}
    out = client.call("1101", payload)
    assert (out["infcode"], out["err_msg"]) == (-2, "医保中心繁忙")
    client.ok("1101", payload)
    knobs(fund_includes_acct=True)
    _, out = outpatient_settled(client, ZHANG)
    assert out["setlinfo"]["fund_pay_sumamt"] == out["setlinfo"]["hifp_pay"] + out["setlinfo"]["acct_pay"]


def test_control_rejects_bad_knobs(app: Flask) -> None:
    http = app.test_client()
    for body in ({"nope": 1}, {"slow": 500}, {"refuse": {"count": 0}}, {"down": "yes"},
                 {"timeout_commit": {"hang_seconds": -1}}, {"gateway_format": "x"}):
        r = http.post("/_sim/knobs", json=body)
        assert r.status_code == 400 and r.get_json()["code"] == "E3601", body
    assert http.post("/_sim/knobs", data="[]", content_type="application/json").get_json()["code"] == "E3602"
    assert http.get("/_sim/persons/404").status_code == 404
    assert http.get("/_sim/knobs").get_json()["skew_seconds"] == 180


def test_second_institution_cannot_see_the_first_ones_visits(client: InsClient, app: Flask) -> None:
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    from tests.rigs.insurance import OTHER_CODE, flask_transport

    other = InsClient("", code=OTHER_CODE, paasid=OTHER_PAASID, token=OTHER_TOKEN, transport=flask_transport(app))
    other.sign_in()
    assert "不存在" in other.fails("5203", {"data": {"psn_no": ZHANG["psn_no"], "setl_id": out["setlinfo"]["setl_id"]}},
                                   ZHANG["plc"])
    assert CODE != OTHER_CODE and mdtrt_id
