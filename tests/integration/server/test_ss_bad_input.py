"""Bad input -> a signed failure envelope with a clear code and Chinese message, and nothing
written (no bill, no outbox item, no audit row) and nothing forwarded to the platform."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from ss_rig import ServerThread, Simulator, load_sample

from billing_core import envelope
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log, bills, outbox

pytestmark = pytest.mark.integration


def _bill(**changes: Any) -> dict[str, Any]:
    return load_sample("outpatient.json") | {"busNo": f"BAD{uuid.uuid4().hex[:16]}"} | changes


def _signed(appid: str, key: str, data_b64: str) -> bytes:
    noise = uuid.uuid4().hex
    env = {"appid": appid, "data": data_b64, "noise": noise, "version": "1.0",
           "sign": envelope.sign(appid, data_b64, noise, key)}
    return envelope.dumps(env).encode()


def _sums_off() -> dict[str, Any]:
    b = _bill()
    b["chargeDetail"] = copy.deepcopy(b["chargeDetail"])
    b["chargeDetail"][0]["amt"] = "0.01"
    return b


def _missing() -> dict[str, Any]:
    b = _bill()
    del b["payer"], b["chargeDetail"]
    return b


CASES: dict[str, tuple[str, Any]] = {
    # name: (expected code prefix, body builder(appid, key) -> bytes)
    "malformed json": ("E2001", lambda a, k: b'{"appid": "HIS01", "data": '),
    "not an object": ("E2001", lambda a, k: b"[1, 2, 3]"),
    "missing envelope keys": ("E2001", lambda a, k: envelope.dumps({"appid": a, "data": "e30="}).encode()),
    "bad base64": ("E2001", lambda a, k: _signed(a, k, "!!!not-base64!!!")),
    "data not json": ("E2001", lambda a, k: _signed(a, k, envelope.b64encode_text("not json"))),
    "wrong signature": ("E2002", lambda a, k: envelope.dumps(
        envelope.encode_request(a, "wrong-key", _bill(), noise="n")).encode()),
    "unknown appid": ("E2003", lambda a, k: envelope.dumps(
        envelope.encode_request("NOBODY", k, _bill(), noise="n")).encode()),
    "missing fields": ("E1", lambda a, k: envelope.dumps(envelope.encode_request(a, k, _missing(), noise="n")).encode()),
    "sums off": ("E1", lambda a, k: envelope.dumps(envelope.encode_request(a, k, _sums_off(), noise="n")).encode()),
    "unknown billing point": ("E2012", lambda a, k: envelope.dumps(
        envelope.encode_request(a, k, _bill(placeCode="999"), noise="n")).encode()),
    "ungranted billing point": ("E2011", lambda a, k: envelope.dumps(
        envelope.encode_request(a, k, _bill(placeCode="005"), noise="n")).encode()),
    "extension not offered": ("E5021", lambda a, k: envelope.dumps(envelope.encode_request(
        a, k, {"placeCode": "001", "count": 5, "operator": "x"}, noise="n")).encode()),
}


def _counts(srv: ServerThread) -> tuple[int, int, int]:
    # a refused signature is itself audited (issue 14: signature_failed, rate-limited): not a write
    # of the refused request, so it is not counted here
    security = audit_log.c.action.in_(("signature_failed", "login_failed"))
    with read_tx(srv.ctx.engine) as conn:
        return tuple(int(conn.execute(select(func.count()).select_from(t).where(*(  # type: ignore[return-value]
            [~security] if t is audit_log else []))).scalar_one()) for t in (bills, outbox, audit_log))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_signed_and_writes_nothing(server: ServerThread, sim: Simulator, case: str) -> None:
    code, build = CASES[case]
    his = server.his()
    server.wait_drained(30)
    before, calls_before = _counts(server), len(sim.calls())
    method = "emergencyStockOut" if case == "extension not offered" else "invoiceEBillOutpatient"
    resp = his.raw(method, build(his.appid, his.key))
    assert resp.status_code == 200
    signer_appid, signer_key = (("NOBODY", "") if case == "unknown appid" else
                                ("", "") if case in ("malformed json", "not an object") else (his.appid, his.key))
    answer = envelope.decode_response(resp.content, signer_appid, signer_key)  # verifies the signature
    assert answer.result.startswith(code), (answer.result, answer.message)
    assert isinstance(answer.message, str) and any("\u4e00" <= ch <= "\u9fff" for ch in answer.message)
    assert _counts(server) == before
    assert len(sim.calls()) == calls_before
