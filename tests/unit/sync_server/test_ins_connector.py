"""The insurance connector's wire pieces against the spec (insurance_platform.md §1-§4, §7), with
expectations computed independently here (hashlib, zipfile, the spec's formulas), not by the
code under test."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from decimal import Decimal

import pytest

from billing_core.crypto import SM2PrivateKey, sm4_encrypt_ecb
from sync_server.connectors import insurance_crypto as crypto
from sync_server.connectors.insurance_envelope import (
    REQUEST_FIELDS,
    Institution,
    Operator,
    build_request,
    make_msgid,
    names_person,
    parse_response,
)
from sync_server.connectors.insurance_errors import InsuranceBadResponse
from sync_server.connectors.insurance_gateway import (
    SINGLE_PATH,
    tif_headers,
    tif_signature,
    tif_valid,
    transaction_url,
)
from sync_server.connectors.insurance_types import Person, Settlement, money
from sync_server.connectors.masking import mask_sensitive

pytestmark = pytest.mark.unit

INST = Institution("H44030300001", "演示医院", "440300")


def test_tif_signature_is_sha256_of_ts_token_nonce_ts() -> None:
    ts, token, nonce = "1700000000", "pass-token", "abc123"
    expected = hashlib.sha256(b"1700000000pass-tokenabc1231700000000").hexdigest()
    assert tif_signature(ts, token, nonce) == expected
    assert tif_signature(ts, token, nonce, upper=True) == expected.upper()
    headers = tif_headers("paas", token, 1700000000.9, nonce="n1")
    assert headers["x-tif-timestamp"] == "1700000000"  # seconds, not ms
    assert headers["x-tif-signature"] == hashlib.sha256(b"1700000000pass-tokenn11700000000").hexdigest()
    shouted = {k.upper(): v.upper() if k == "x-tif-signature" else v for k, v in headers.items()}
    assert tif_valid(shouted, token, 1700000100)  # header names and hex compared case-insensitively
    assert not tif_valid(headers, token, 1700000181)  # more than 180 s away
    assert not tif_valid(headers, "other", 1700000000)
    assert not tif_valid({k: v for k, v in headers.items() if k != "x-tif-nonce"}, token, 1700000000)


def test_url_styles() -> None:
    assert transaction_url("http://h/", "single", "2207") == "http://h" + SINGLE_PATH
    assert transaction_url("http://h", "per_infno", "2207") == "http://h/2207"
    assert transaction_url("http://h", "service_path", "2207") == "http://h/fsi/api/outpatientSettleService/saveSettletment"
    assert transaction_url("http://h", "service_path", "2201").endswith("outpatientRregistration")  # the platform's typo
    assert transaction_url("http://h/route/", "proxy", "2207") == "http://h/route"
    with pytest.raises(ValueError, match="style"):
        transaction_url("http://h", "soap", "2207")


def test_msgid_and_envelope() -> None:
    when = datetime(2026, 12, 3, 9, 8, 7)
    msgid = make_msgid("H44030300001", when, 12345)
    assert msgid == "H44030300001" + "20261203090807" + "2345" and len(msgid) == 30
    assert make_msgid("H4403", when, 7)[:12] == "H44030000000"
    env = build_request(INST, Operator("OP1", "张收费"), "2207", msgid, when, {"data": {"psn_no": "1"}},
                        sign_no="S1", insuplc_admdvs="440100")
    assert tuple(env) == REQUEST_FIELDS
    assert env["inf_time"] == "2026-12-03 09:08:07" and env["sign_no"] == "S1" and env["infver"] == "V1.0"
    assert env["opter_type"] == "1" and env["fixmedins_code"] == "H44030300001" and env["insuplc_admdvs"] == "440100"
    assert names_person({"data": {"psn_no": "1"}}) and names_person({"feedetail": [{"psn_no": "1"}]})
    assert not names_person({"signIn": {"opter_no": "OP1"}})


@pytest.mark.parametrize("body", [
    {"infcode": 0, "err_msg": None, "output": {"a": 1}},
    {"infcode": "0", "err_msg": "success", "output": {"a": 1}},
    {"code": 0, "type": "success", "message": "", "data": {"infcode": 0, "output": {"a": 1}}},
])
def test_response_success_shapes(body: dict[str, object]) -> None:
    answer = parse_response(json.dumps(body).encode())
    assert answer.ok and answer.output == {"a": 1}


def test_response_failure_and_unusable() -> None:
    failed = parse_response(json.dumps({"infcode": -1, "err_msg": "人员不存在", "output": None}).encode())
    assert not failed.ok and failed.infcode == "-1" and failed.err_msg == "人员不存在" and failed.output == {}
    for raw in (b"<html>", json.dumps({"code": 400001, "msg": "鉴权失败"}).encode(), b"[1]",
                json.dumps({"infcode": True}).encode()):
        with pytest.raises(InsuranceBadResponse):
            parse_response(raw)


def test_money_is_decimal_from_numbers_and_strings() -> None:
    assert money(4.52) == Decimal("4.52") and money("1373.63") == Decimal("1373.63")
    assert money(None) == Decimal("0.00") and money(0) == Decimal("0.00") and money(-12.5) == Decimal("-12.50")
    s = Settlement.parse({"setlinfo": {"setl_id": "S1", "medfee_sumamt": 4.52, "fund_pay_sumamt": 0, "acct_pay": 4.52,
                                       "psn_cash_pay": 0, "psn_part_amt": 4.52, "medins_setl_id": "M1", "balc": None},
                          "setldetail": [{"fund_pay_type": "310200", "fund_payamt": 4.52}]})
    assert (s.medfee_sumamt, s.acct_pay, s.details[0].fund_payamt, s.balc) == (
        Decimal("4.52"), Decimal("4.52"), Decimal("4.52"), Decimal("0.00"))
    assert Settlement.parse_many({"setlinfo": [{"setl_id": "A"}, {"setl_id": "B"}]})[1].setl_id == "B"
    assert Settlement.parse_many({}) == ()


def test_person_picks_the_normal_insurance_row() -> None:
    p = Person.parse({"baseinfo": {"psn_no": "P1", "psn_name": "张三"},
                      "insuinfo": [{"insutype": "390", "psn_insu_stas": "4"},
                                   {"insutype": "310", "psn_insu_stas": "1", "insuplc_admdvs": "440300", "balc": "8.5"}]})
    active = p.active()
    assert active is not None and active.insutype == "310" and active.balc == Decimal("8.50")
    assert p.active("390") is None


def test_personal_fields_are_masked() -> None:
    masked = mask_sensitive({"data": {"mdtrt_cert_no": "440106199001011234", "certno": "440106199001011234",
                                      "psn_name": "张三丰", "psn_no": "P1"}})
    assert masked["data"] == {"mdtrt_cert_no": "440***********1234", "certno": "440***********1234",
                              "psn_name": "张**", "psn_no": "P1"}


def test_sm4_sm2_envelope_round_trip() -> None:
    platform, hospital = SM2PrivateKey.generate(), SM2PrivateKey.generate()
    ours = crypto.EnvelopeCipher(platform.public_key.to_hex(), hospital.to_hex())
    text, cainfo = ours.seal_input({"data": {"psn_no": "1", "name": "张三"}})
    assert text == text.upper() and cainfo
    # the platform's side: open with its key, answer with one encrypted to the hospital
    theirs = crypto.EnvelopeCipher(hospital.public_key.to_hex(), platform.to_hex())
    assert theirs.open_output(text, cainfo) == {"data": {"psn_no": "1", "name": "张三"}}
    answer_text, answer_cainfo = theirs.seal_input({"setlinfo": {"setl_id": "S1"}})
    assert ours.open_output(answer_text, answer_cainfo) == {"setlinfo": {"setl_id": "S1"}}
    assert ours.open_output({"plain": 1}, "") == {"plain": 1}
    with pytest.raises(InsuranceBadResponse):
        ours.open_output(answer_text, cainfo)  # the wrong key


def test_app_scheme_key_derivation_and_signature() -> None:
    app_id, secret = "1GJ8AS0O30000001", "0123456789ABCDEF0123456789ABCDEF"
    k1 = sm4_encrypt_ecb(app_id[:16].encode(), secret.encode())
    assert crypto.app_data_key(app_id, secret) == k1.hex().upper()[:16].encode()
    enc = crypto.app_encrypt(app_id, secret, {"b": 1, "a": "中"})
    assert enc == enc.upper() and crypto.app_decrypt(app_id, secret, enc) == {"b": 1, "a": "中"}
    params = {"appId": app_id, "encType": "SM4", "signType": "SM2", "timestamp": 1700000000000, "version": "2.0.1",
              "data": {"z": 1, "b": [2]}, "encData": "X", "signData": "Y", "extra": {"e": 1}, "Blank": "", "n": None}
    text = crypto.app_sign_text(params, secret)
    assert text == ('appId=1GJ8AS0O30000001&data={"b":[2],"z":1}&encType=SM4&signType=SM2&timestamp=1700000000000'
                    '&version=2.0.1&key=' + secret)
    key = SM2PrivateKey.generate()
    priv = base64.b64encode(key.to_bytes()).decode()
    pub = base64.b64encode(key.public_key.to_bytes()).decode()
    sig = crypto.app_sign(priv, params, secret)
    assert len(base64.b64decode(sig)) == 64
    assert crypto.app_verify(pub, params, secret, sig)
    assert not crypto.app_verify(pub, params | {"version": "2.0.2"}, secret, sig)
    assert not crypto.app_verify(pub, params, secret, sig, user_id_is_secret=True)  # the other user id
