"""The server's check of terminal signatures and chain links agrees with the terminal's own
rules (workflows/emergency/chain.py), and refuses any altered field."""

from __future__ import annotations

import json

import pytest

from billing_core.bills import validate_request
from billing_core.crypto import SM2PrivateKey
from billing_core.envelope import dumps
from sync_server.emergency import terminal_chain as server_chain
from tests.integration.emergency.rig import METHOD, outpatient
from workflows.emergency import chain

pytestmark = pytest.mark.unit


def _upload(key: SM2PrivateKey) -> dict:  # type: ignore[type-arg]
    bill = json.loads(dumps(validate_request(METHOD, outpatient("U-1", "12.30"))))  # as it travels
    signer = chain.BillSigner(key)
    sign = signer.sign(validate_request(METHOD, outpatient("U-1", "12.30")))  # signed as normalised
    prev = chain.online_seed({"billBatchCode": "42060126", "billNo": "0000000001", "random": "abcdef",
                              "createTime": "20261123090000000"})
    record = chain.link_record(bill, bill_batch_code="42060126", bill_no="0009000001", random="0a1b2c",
                               issue_time="20261123100000000", terminal_id="TERM01", sign_value=sign)
    return {"bill": bill, "billBatchCode": "42060126", "billNo": "0009000001", "random": "0a1b2c",
            "issueTime": "20261123100000000", "terminalId": "TERM01", "signValue": sign, "prevHash": prev,
            "hash": chain.link(prev, record), "public": signer.public_key_hex}


def test_server_accepts_what_the_terminal_makes() -> None:
    up = _upload(SM2PrivateKey.generate())
    assert server_chain.verify_signature(up["public"], up["bill"], up["signValue"])
    assert server_chain.link_of(up) == up["hash"]
    assert server_chain.genesis("TERM01") == chain.genesis("TERM01")
    seed = {"billBatchCode": "42060126", "billNo": "0000000001", "random": "abcdef", "createTime": "20261123090000000"}
    assert server_chain.online_seed(seed) == chain.online_seed(seed) == up["prevHash"]


@pytest.mark.parametrize("field,value", [("billNo", "0009000002"), ("random", "ffffff"),
                                         ("issueTime", "20261123100000001"), ("terminalId", "KIOSK01"),
                                         ("prevHash", "0" * 64)])
def test_any_altered_field_breaks_the_link(field: str, value: str) -> None:
    up = _upload(SM2PrivateKey.generate())
    assert server_chain.link_of(up | {field: value}) != up["hash"]


def test_altered_bill_or_other_key_fails_the_signature() -> None:
    up = _upload(SM2PrivateKey.generate())
    assert not server_chain.verify_signature(up["public"], up["bill"] | {"totalAmt": "12.31"}, up["signValue"])
    other = chain.BillSigner(SM2PrivateKey.generate()).public_key_hex
    assert not server_chain.verify_signature(other, up["bill"], up["signValue"])
    assert not server_chain.verify_signature(up["public"], up["bill"], "zz")
    assert server_chain.link_of(up | {"bill": up["bill"] | {"busNo": "U-2"}}) != up["hash"]
