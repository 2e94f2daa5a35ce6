"""The HIS interface answers the same through the simulator's own server (the fast path that
skips Flask) and through the Flask app (any other WSGI server): same checks, same signed answers,
same call log; paths the fast path does not own still reach Flask."""

from __future__ import annotations

import pytest
import requests

from billing_core import envelope
from billing_core.ids import new_noise
from simulators.finance import SimServer
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import APPID, KEY, make_bill

pytestmark = pytest.mark.integration


def _flask(sim: SimServer, method: str, data: dict) -> envelope.Response:
    body = envelope.dumps(envelope.encode_request(APPID, KEY, data, noise=new_noise())).encode("utf-8")
    resp = sim.app.test_client().post(f"/medical-web/api/medical/{method}", data=body,
                                      headers={"Content-Type": "application/json"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return envelope.decode_response(resp.data, APPID, KEY)


def test_both_paths_answer_alike(sim: SimServer, client: FinanceClient) -> None:
    assert sim._srv is not None and sim._srv.fast_post is not None  # noqa: SLF001 - the path under test
    bill = make_bill()
    issued = client.call("invoiceEBillOutpatient", bill)  # over the socket: the fast path
    via_flask = _flask(sim, "getEBillByBusNo", {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
    assert via_flask.ok and via_flask.message["billNo"] == issued["billNo"]
    assert via_flask.message["billQRCode"] == issued["billQRCode"]
    again = _flask(sim, "invoiceEBillOutpatient", bill)  # same busNo through Flask: the same bill
    assert again.ok and again.message["billNo"] == issued["billNo"]
    unknown = _flask(sim, "noSuchMethod", {"busNo": "X"})
    assert unknown.result == "E3991"
    calls = requests.get(f"{sim.url}/_control/calls", params={"method": "noSuchMethod"}, timeout=10).json()["calls"]
    assert calls and calls[-1]["result"] == "E3991"  # logged on the Flask path too


def test_fast_path_refusals_are_signed_envelopes(sim: SimServer) -> None:
    r = requests.post(f"{sim.api_url}/invoiceEBillOutpatient", data=b"{not json", timeout=10,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    got = envelope.parse_envelope(r.content, ("data", "noise", "sign"))  # a response envelope,
    inner = envelope.loads(envelope.b64decode_text(got["data"]))  # not a stack trace
    assert inner["result"].startswith("E2")


def test_paths_the_fast_path_does_not_own_reach_flask(sim: SimServer) -> None:
    assert requests.post(f"{sim.api_url}/a/b", data=b"{}", timeout=10).status_code == 404
    assert requests.get(f"{sim.api_url}/invoiceEBillOutpatient", timeout=10).status_code == 405
