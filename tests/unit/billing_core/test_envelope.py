"""billing_core.envelope against vectors made by printf/base64/md5sum (fixtures/envelope)."""

from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core import envelope as env
from billing_core.errors import EnvelopeError, PlatformError, SignatureError

pytestmark = pytest.mark.unit

VECTORS = [
    line.split("\t")
    for line in (Path(__file__).parents[2] / "fixtures/envelope/vectors.tsv")
    .read_text(encoding="utf-8").splitlines()
]


@pytest.mark.parametrize("vec", VECTORS, ids=[v[0] for v in VECTORS])
def test_request_matches_independent_vectors(vec: list[str]) -> None:
    _, appid, key, noise, text, data_b64, sign = vec
    built = env.encode_request(appid, key, text, noise=noise)
    assert built == {"appid": appid, "data": data_b64, "noise": noise, "version": "1.0", "sign": sign}
    decoded = env.decode_request(json.dumps(built), {appid: key}.get)
    assert decoded.data == json.loads(text, parse_float=Decimal)


def test_key_goes_before_version_not_alphabetical() -> None:
    # An alphabetical sort would put key first; the platform's order is fixed (§1.3).
    plain = "appid=A&data=ZA==&noise=n&key=K&version=1.0"
    assert env.sign("A", "ZA==", "n", "K") == hashlib.md5(plain.encode()).hexdigest().upper()


def test_decimals_travel_as_numeric_strings_never_floats() -> None:
    built = env.encode_request("A", "K", {"totalAmt": Decimal("12.50"), "payer": "张三"}, noise="n")
    text = base64.b64decode(built["data"]).decode("utf-8")
    assert text == '{"totalAmt":"12.50","payer":"张三"}'
    back = env.decode_request(built, {"A": "K"}.get)
    assert back.data == {"totalAmt": "12.50", "payer": "张三"}


def test_json_numbers_decode_as_decimal() -> None:
    built = env.encode_request("A", "K", '{"amt":128.5,"n":3}', noise="n")
    data = env.decode_request(built, {"A": "K"}.get).data
    assert data["amt"] == Decimal("128.5") and isinstance(data["amt"], Decimal)
    assert data["n"] == 3


@pytest.mark.parametrize(
    ("mutate", "error", "code"),
    [
        (lambda e: {**e, "sign": e["sign"].lower()}, SignatureError, "E2002"),
        (lambda e: {**e, "sign": "0" * 32}, SignatureError, "E2002"),
        (lambda e: {**e, "noise": e["noise"] + "x"}, SignatureError, "E2002"),
        (lambda e: {**e, "data": env.b64encode_text('{"a":2}')}, SignatureError, "E2002"),
        (lambda e: {k: v for k, v in e.items() if k != "noise"}, EnvelopeError, "E2001"),
        (lambda e: {**e, "version": "2.0"}, EnvelopeError, "E2001"),
        (lambda e: {**e, "data": 5}, EnvelopeError, "E2001"),
        (lambda e: {**e, "appid": "nobody"}, env.UnknownCallerError, "E2003"),
    ],
)
def test_tampered_or_malformed_requests_are_refused(mutate, error, code) -> None:  # noqa: ANN001
    good = env.encode_request("A", "K", {"a": 1}, noise="n1")
    with pytest.raises(error) as err:
        env.decode_request(mutate(good), {"A": "K"}.get)
    assert err.value.code == code


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", "{\"appid\":"])
def test_non_json_bodies_are_envelope_errors(body: bytes | str) -> None:
    with pytest.raises(EnvelopeError):
        env.decode_request(body, {"A": "K"}.get)


def test_bad_base64_data_with_valid_signature_is_an_envelope_error() -> None:
    data = "@@not-base64@@"
    req = {"appid": "A", "data": data, "noise": "n", "version": "1.0", "sign": env.sign("A", data, "n", "K")}
    with pytest.raises(EnvelopeError) as err:
        env.decode_request(req, {"A": "K"}.get)
    assert "Base64" in err.value.message


def test_response_round_trip_payload_text_and_failure() -> None:
    ok = env.encode_response("A", "K", "S0000", {"billNo": "0000000001"}, noise="r1")
    assert set(ok) == {"data", "noise", "sign"}
    inner = json.loads(base64.b64decode(ok["data"]))
    # message is always base64, even for JSON payloads (§1.4)
    assert json.loads(base64.b64decode(inner["message"])) == {"billNo": "0000000001"}
    assert env.decode_response(ok, "A", "K").payload() == {"billNo": "0000000001"}
    assert env.decode_response(env.encode_response("A", "K", "S0000", "成功", noise="r"), "A", "K").message == "成功"
    failed = env.decode_response(env.encode_response("A", "K", "E3001", "票据不存在", noise="r"), "A", "K")
    assert not failed.ok
    with pytest.raises(PlatformError) as err:
        failed.payload()
    assert (err.value.code, err.value.message) == ("E3001", "票据不存在")


def test_response_signature_is_checked_with_the_callers_credentials() -> None:
    resp = env.encode_response("A", "K", "S0000", "成功", noise="r")
    with pytest.raises(SignatureError):
        env.decode_response(resp, "A", "other-key")
    with pytest.raises(SignatureError):
        env.decode_response({**resp, "noise": "tampered"}, "A", "K")
