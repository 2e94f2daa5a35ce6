"""Keep-alive serving of the simulator and the connector's pooled transport: connections are reused,
``down`` still refuses work on established connections, per-call timeout and headers. Own simulator:
these tests take it down."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator

import pytest

from simulators.finance import SimServer
from sync_server.connectors.errors import PlatformInDoubt, PlatformUnreachable
from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import APPID, KEY, control, make_bill, start_sim

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ksim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    server = start_sim(tmp_path_factory, "finance-keepalive")
    yield server
    server.stop()


@pytest.fixture
def kclient(ksim: SimServer) -> Iterator[FinanceClient]:
    if not ksim.is_up:
        ksim.go_up()
    c = FinanceClient(ksim.api_url, APPID, KEY, timeout=5, query_retries=0)
    yield c
    if not ksim.is_up:
        ksim.go_up()
    control(ksim, "faults", {"latency": 0})
    c.close()


def test_connection_is_kept_alive(ksim: SimServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", ksim.port, timeout=5)
    conn.request("GET", "/_control/faults")
    first = conn.getresponse()
    first.read()
    sock = conn.sock
    conn.request("GET", "/_control/faults")
    second = conn.getresponse()
    second.read()
    assert first.status == second.status == 200 and not second.will_close
    assert conn.sock is sock  # the same TCP connection served both requests
    conn.close()


def test_down_closes_pooled_connections(ksim: SimServer, kclient: FinanceClient) -> None:
    assert kclient.test_server_connect() == "成功"  # leaves an idle keep-alive connection in the pool
    ksim.go_down()
    with pytest.raises(PlatformUnreachable) as err:
        kclient.issue("invoiceEBillOutpatient", make_bill())
    assert not err.value.in_doubt  # refused, not sent: the pooled connection was closed by going down
    ksim.go_up()
    assert kclient.test_server_connect() == "成功"


def test_busy_connection_gets_its_answer_then_down_refuses(ksim: SimServer, kclient: FinanceClient) -> None:
    control(ksim, "faults", {"latency": 0.5})
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(kclient.test_server_connect()))
    t.start()
    time.sleep(0.2)  # the call is being handled
    ksim.go_down()
    t.join(5)
    assert got == ["成功"]  # an accepted request is answered, as before going down
    with pytest.raises(PlatformUnreachable):
        kclient.test_server_connect()
    ksim.go_up()


def test_per_call_timeout_and_headers(ksim: SimServer, kclient: FinanceClient) -> None:
    assert kclient.call("testServerConnect", {"testValue": "x"}, headers={"Idempotency-Key": "k-1"}) == "成功"
    control(ksim, "faults", {"latency": 0.5})
    with pytest.raises(PlatformInDoubt):
        kclient.call("testServerConnect", {"testValue": "x"}, timeout=0.15)
    assert kclient.timeout == 5  # the client's own default is untouched
    assert kclient.call("testServerConnect", {"testValue": "x"}) == "成功"
