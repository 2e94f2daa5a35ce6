"""The connector alone (no sync server) against the simulator process: URL styles A/B/C, the
gateway's refusals as unusable answers, infcode as a string, the wrapped gateway format, sign_no
renewal after the platform expired it. Transactions journalled in memory (MemoryLog)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sync_server.connectors.insurance import InsuranceClient
from sync_server.connectors.insurance_envelope import Institution, Operator
from sync_server.connectors.insurance_errors import (
    InsuranceBadResponse,
    InsuranceRejected,
    InsuranceUnreachable,
)
from sync_server.connectors.insurance_transport import Endpoint, InsuranceTransport, MemoryLog
from tests.rigs.insurance import CODE, PAASID, TOKEN, ZHANG, InsSimProcess
from tests.rigs.stack import free_port

pytestmark = pytest.mark.integration

OP = Operator("OPW1", "接口测试员")


def _client(url: str, style: str = "single", token: str = TOKEN) -> InsuranceClient:
    transport = InsuranceTransport(Endpoint(url, style, PAASID, token, 1.0, 5.0),
                                   Institution(CODE, "演示医院", "440300"), journal=MemoryLog(CODE))
    return InsuranceClient(transport)


@pytest.fixture
def knobs(ins_sim: InsSimProcess) -> Iterator[InsSimProcess]:
    try:
        yield ins_sim
    finally:
        ins_sim.knobs(infcode_string=None, gateway_format=None, sign_ttl_seconds=None)


@pytest.mark.parametrize("style", ["single", "per_infno", "service_path"])
def test_url_styles(ins_sim: InsSimProcess, style: str) -> None:
    client = _client(ins_sim.url, style)
    try:
        assert client.sign_in(OP).sign_no
        person = client.person_info(OP, "02", ZHANG["certno"])
        assert person.psn_no == ZHANG["psn_no"]
        log = client.transport.journal
        assert isinstance(log, MemoryLog) and {r["outcome"] for r in log.rows.values()} == {"ok"}
        assert all(len(m) == 30 and m.startswith(CODE) for m in log.rows)
    finally:
        client.close()


def test_gateway_refusal_and_answer_shapes(knobs: InsSimProcess) -> None:
    bad = _client(knobs.url, token="wrong-token")
    good = _client(knobs.url)
    down = _client(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(InsuranceBadResponse):  # HTTP 500 {code:400001}: not an envelope
            bad.sign_in(OP)
        knobs.knobs(gateway_format="wrapped")
        with pytest.raises(InsuranceBadResponse):  # the wrapper carries no envelope on a refusal
            bad.sign_in(OP)
        knobs.knobs(infcode_string=True)
        assert good.person_info(OP, "02", ZHANG["certno"]).psn_no == ZHANG["psn_no"]
        with pytest.raises(InsuranceRejected) as refused:
            good.person_info(OP, "02", "440106199912319999")
        assert refused.value.infcode == "-1" and refused.value.code == "E5604"
        with pytest.raises(InsuranceUnreachable) as unreachable:
            down.sign_in(OP)
        assert not unreachable.value.in_doubt and unreachable.value.code == "E5601"
    finally:
        for c in (bad, good, down):
            c.close()


def test_expired_sign_no_is_renewed(knobs: InsSimProcess) -> None:
    client = _client(knobs.url)
    try:
        first = client.sign_in(OP).sign_no
        knobs.knobs(sign_ttl_seconds=1)
        time.sleep(1.2)
        assert client.person_info(OP, "02", ZHANG["certno"]).psn_no == ZHANG["psn_no"]  # refused, re-signed, repeated
        assert client.sign_no(OP) != first
    finally:
        client.close()
