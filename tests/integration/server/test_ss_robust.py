"""Issue 14 §6-§8 over HTTP against the finance simulator process and the server, on SQLite and
PostgreSQL: the write-off race while the platform is down, replayed envelopes, request limits."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from ss_rig import HisClient, ServerThread, Simulator, Stack, load_sample, other_sample

from billing_core import envelope, request_stamp
from billing_core.ids import new_noise
from sync_server.store.db import read_tx
from sync_server.store.schema import bills, outbox, red_bills

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerThread]]:
    """A stack of its own (the race test stops the simulator)."""
    with Stack(tmp_path_factory.mktemp("robust"), request.param).start(settle=True) as st:
        yield st.sim, st.server


def _issue(his: HisClient) -> dict[str, Any]:
    bill = load_sample("outpatient.json") | {"busNo": f"RB{uuid.uuid4().hex[:16]}", "placeCode": "001"}
    return dict(his.ok("invoiceEBillOutpatient", bill))


def _ref(ans: dict[str, Any]) -> dict[str, str]:
    return {"billBatchCode": ans["billBatchCode"], "billNo": ans["billNo"]}


def _signed(his: HisClient, data: Any, noise: str | None = None) -> bytes:
    return envelope.dumps(envelope.encode_request(his.appid, his.key, data, noise=noise or new_noise())).encode()


def _answer(his: HisClient, resp: requests.Response) -> envelope.Response:
    assert resp.status_code != 500 and resp.headers["Content-Type"].startswith("application/json"), resp.text[:200]
    return envelope.decode_response(resp.content, his.appid, his.key)


def test_concurrent_write_offs_while_platform_down_one_wins(rig: tuple[Simulator, ServerThread]) -> None:
    """4 concurrent writeOffEBill of one bill, platform stopped: one S0000 (queued), three E5025,
    one red bill, one outbox item (issue 14 §6)."""
    sim, srv = rig
    his = srv.his()
    ans = _issue(his)
    srv.wait_drained(30)
    sim.stop()
    try:
        with read_tx(srv.ctx.engine) as conn:
            bid = conn.execute(select(bills.c.id).where(bills.c.bill_no == ans["billNo"])).scalar_one()
            out_before = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        data = other_sample("writeOffEBill") | _ref(ans)
        results: list[tuple[str, Any]] = []
        gate = threading.Barrier(4)

        def one() -> None:
            client = srv.his()
            gate.wait()
            results.append(client.call("writeOffEBill", data))

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        codes = sorted(r[0] for r in results)
        assert codes == ["E5025", "E5025", "E5025", "S0000"], results
        assert next(m for c, m in results if c == "S0000")["queued"] == "1"
        with read_tx(srv.ctx.engine) as conn:
            assert conn.execute(select(func.count()).select_from(outbox)).scalar_one() == out_before + 1
            assert conn.execute(select(func.count()).select_from(red_bills)
                                .where(red_bills.c.bill_id == bid)).scalar_one() == 1
            assert conn.execute(select(bills.c.is_scarlet).where(bills.c.id == bid)).scalar_one() == 1
    finally:
        sim.start()
    srv.wait_drained(60)
    with read_tx(srv.ctx.engine) as conn:
        dead = conn.execute(select(func.count()).select_from(outbox).where(outbox.c.state == "dead")).scalar_one()
    assert dead == 0


def test_replayed_envelope_is_refused_once_accepted(rig: tuple[Simulator, ServerThread]) -> None:
    """sendBillNotice sent 3 times with one envelope -> one platform call, then E2060 (issue 14 §7);
    an issue request re-signed with a new noise is still answered with the same bill."""
    sim, srv = rig
    his = srv.his()
    bill = load_sample("outpatient.json") | {"busNo": f"RP{uuid.uuid4().hex[:16]}", "placeCode": "001"}
    first = his.ok("invoiceEBillOutpatient", bill)
    assert his.ok("invoiceEBillOutpatient", bill)["billNo"] == first["billNo"]  # new noise: idempotent repeat
    body = _signed(his, other_sample("sendBillNotice") | _ref(first))
    before = len(sim.calls("sendBillNotice"))
    codes = [_answer(his, his.raw("sendBillNotice", body)).result for _ in range(3)]
    assert codes == ["S0000", "E2060", "E2060"]
    assert len(sim.calls("sendBillNotice")) == before + 1
    # an identical issue envelope is refused too; a refused request may be retried as it was
    issue_body = _signed(his, bill)
    assert _answer(his, his.raw("invoiceEBillOutpatient", issue_body)).ok
    assert _answer(his, his.raw("invoiceEBillOutpatient", issue_body)).result == "E2060"
    bad = _signed(his, load_sample("outpatient.json") | {"busNo": f"RQ{uuid.uuid4().hex[:8]}", "placeCode": "999"})
    assert [_answer(his, his.raw("invoiceEBillOutpatient", bad)).result for _ in range(2)] == ["E2012", "E2012"]


def test_copies_of_one_issue_envelope_racing_issue_one_bill(rig: tuple[Simulator, ServerThread]) -> None:
    """Issuing records the noise inside its claim transaction (no transaction of its own): four
    copies of one signed envelope sent at once -> one S0000, three E2060, one platform call; a
    repeat answered from the record (no write of its own) is recorded too."""
    sim, srv = rig
    his = srv.his()
    bill = load_sample("outpatient.json") | {"busNo": f"RC{uuid.uuid4().hex[:16]}", "placeCode": "001"}
    body = _signed(his, bill)
    before = len(sim.calls("invoiceEBillOutpatient"))
    start = threading.Barrier(4)
    codes: list[str] = []

    def send() -> None:
        start.wait()
        codes.append(_answer(his, his.raw("invoiceEBillOutpatient", body)).result)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == ["E2060", "E2060", "E2060", "S0000"]
    assert len(sim.calls("invoiceEBillOutpatient")) == before + 1
    repeat = _signed(his, bill)  # a new noise: answered from the record, nothing written by it
    assert [_answer(his, his.raw("invoiceEBillOutpatient", repeat)).result for _ in range(2)] == ["S0000", "E2060"]


def test_terminal_requests_carry_a_signed_method_and_time(rig: tuple[Simulator, ServerThread]) -> None:
    """The terminal API refuses a plain noise (E2061), a stamp of another method (E2062), an old
    stamp (E2061), and a replayed stamped envelope (E2060)."""
    _, srv = rig
    term = srv.terminal()
    now = int(time.time() * 1000)

    def send(method: str, noise: str) -> str:
        return _answer(term, term.raw(method, _signed(term, {"terminalId": term.appid}, noise))).result

    assert send("heartbeat", new_noise()) == "E2061"
    assert send("heartbeat", request_stamp.make("catalog", now)) == "E2062"
    assert send("heartbeat", request_stamp.make("heartbeat", now - 3_600_000)) == "E2061"
    stamp = request_stamp.make("heartbeat", now)
    assert send("heartbeat", stamp) == "S0000"
    assert send("heartbeat", stamp) == "E2060"


def _counts(srv: ServerThread) -> tuple[int, int]:
    with read_tx(srv.ctx.engine) as conn:
        return (int(conn.execute(select(func.count()).select_from(bills)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(outbox)).scalar_one()))


def _deep_data_body(his: HisClient, depth: int) -> bytes:
    text = '{"a":' * depth + "1" + "}" * depth
    b64 = base64.b64encode(text.encode()).decode()
    noise = new_noise()
    return envelope.dumps({"appid": his.appid, "data": b64, "noise": noise, "version": "1.0",
                           "sign": envelope.sign(his.appid, b64, noise, his.key)}).encode()


def test_limits_answer_signed_codes_and_write_nothing(rig: tuple[Simulator, ServerThread]) -> None:
    """Body > 8 MB (E5060), deep JSON in data (E5061, signed) and envelope (E5061, no HTML 500),
    1,001 charge lines (E5062 naming chargeDetail), amounts 1e30/1e50 (E1004): nothing written."""
    sim, srv = rig
    his = srv.his()
    before, calls = _counts(srv), len(sim.calls())
    base = load_sample("outpatient.json") | {"placeCode": "001"}

    def bill(**changes: Any) -> dict[str, Any]:
        return base | {"busNo": f"LM{uuid.uuid4().hex[:16]}"} | changes

    big = his.raw("invoiceEBillOutpatient", b"{" + b" " * (9 * 1024 * 1024) + b"}")
    assert envelope.decode_response(big.content, "", "").result == "E5060"
    assert _answer(his, his.raw("invoiceEBillOutpatient", _deep_data_body(his, 5000))).result == "E5061"
    assert _answer(his, his.raw("invoiceEBillOutpatient", _deep_data_body(his, 40))).result == "E5061"
    outer = his.raw("invoiceEBillOutpatient", ('{"appid":' + "[" * 5000 + "]" * 5000 + "}").encode())
    assert outer.status_code == 200 and envelope.decode_response(outer.content, "", "").result == "E5061"
    lines = bill(chargeDetail=base["chargeDetail"] * 1001)
    got = _answer(his, his.raw("invoiceEBillOutpatient", _signed(his, lines)))
    assert got.result == "E5062" and "chargeDetail" in str(got.message)
    for amount in (1e30, "1e50", "1000000000000000000000000000000.00"):
        got = _answer(his, his.raw("invoiceEBillOutpatient", _signed(his, bill(totalAmt=amount))))
        assert got.result == "E1004" and "totalAmt" in str(got.message), (amount, got)
    # Flask-level errors on the interface paths: an envelope, not an HTML page
    wrong = requests.get(f"{srv.url}/invoiceEBillOutpatient", timeout=10)
    assert wrong.headers["Content-Type"].startswith("application/json")
    assert envelope.decode_response(wrong.content, "", "").result == "E5021"
    assert _counts(srv) == before and len(sim.calls()) == calls
    assert json.loads(base64.b64decode(json.loads(big.content)["data"]))["message"]


def test_notice_page_is_masked_and_rate_limited(rig: tuple[Simulator, ServerThread]) -> None:
    """/notice masks the payer and ID; after 10 failed guesses the address is locked out (429),
    the right code included; the simulator's H5 404 does not reflect markup (issue 14 §11)."""
    from sync_server.api import notice_guard

    sim, srv = rig
    his = srv.his()
    ans = _issue(his)
    base = f"http://127.0.0.1:{srv.port}/notice/{ans['billBatchCode']}/{ans['billNo']}"
    page = requests.get(f"{base}/{ans['random']}", timeout=10)
    assert page.status_code == 200
    assert "张*" in page.text and "张伟" not in page.text
    assert "440100D15600012345" not in page.text and "440***********2345" in page.text
    for i in range(notice_guard.MAX_FAILURES):
        assert requests.get(f"{base}/{i:06x}", timeout=10).status_code == 404
    locked = requests.get(f"{base}/{ans['random']}", timeout=10)
    assert locked.status_code == 429 and "分钟后再试" in locked.text
    h5 = requests.get(f"{sim.base}/medical-web/h5/ebill", params={"billBatchCode": "<script>alert(1)</script>",
                                                                  "billNo": "1", "random": "x"}, timeout=10)
    assert h5.status_code == 404 and "<script>" not in h5.text


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_replay_refused_by_a_sibling_server_on_the_same_database(sim_shared: Simulator, tmp_path: Any,
                                                                  kind: str) -> None:
    """Two server instances on one database (as ``--processes N`` runs them): an envelope accepted
    by one is refused by the other (the UNIQUE row is in the database, not in a process)."""
    from ss_rig import db_config, drop_pg_schema

    cfg = db_config(kind)
    if kind == "sqlite":
        cfg = {"database_url": f"sqlite:///{tmp_path / 'shared.db'}"}
    first = ServerThread(tmp_path / "a", sim_shared.url, **cfg)
    # the same data dir too, as sibling processes share it: its keys/data.key seals the database
    second = ServerThread(tmp_path / "a", sim_shared.url, **cfg)
    try:
        his = first.his()
        body = _signed(his, {"placeCode": "001"}, new_noise())
        assert _answer(his, his.raw("getValidBillBatchCode", body)).ok
        other = second.his()
        assert other.key == his.key  # one database, one set of callers
        assert _answer(other, other.raw("getValidBillBatchCode", body)).result == "E2060"
    finally:
        second.stop()
        first.stop()
        if cfg.get("database_schema"):
            drop_pg_schema(cfg["database_schema"])


@pytest.fixture(scope="module")
def sim_shared(stack_sim: Simulator) -> Simulator:
    """The module's finance simulator (tests/rigs/stack.py)."""
    return stack_sim
