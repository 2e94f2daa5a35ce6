"""The in-process workflow against the stand-in server over real HTTP on 127.0.0.1: link
classification and events, in-doubt bills settled as conflicts, stock hand-out, 申退 return,
revocation of a lost terminal's block, catalog refresh."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_core.clock import SystemClock
from offline_store import catalog, stock
from offline_store.db import Database
from tests.integration.terminal.helpers import METHOD, outpatient
from tests.rigs.tcp_proxy import TcpProxy
from workflows.emergency.chain import BillSigner
from workflows.errors import AnswerLostError, LinkDownError, NoStockError
from workflows.issuing import Identity, IssuingWorkflow
from workflows.link import LinkEvent
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "terminal.db")
    yield database
    database.close()


def _workflow(db: Database, url: str, terminal_key) -> IssuingWorkflow:  # type: ignore[no-untyped-def]
    sync = SyncClient(url, "T1", "key-T1", connect_timeout=0.5, read_timeout=2, failure_threshold=1,
                      open_seconds=0.05, max_open_seconds=0.05)
    return IssuingWorkflow(sync, db, None, SystemClock(), Identity("T1", "001", "测试医院"), BillSigner(terminal_key))


def _probe_until_up(wf: IssuingWorkflow) -> None:
    import time
    for _ in range(100):
        if wf.sync.probe():
            return
        time.sleep(0.05)
    raise AssertionError("link did not come back")


def test_refused_link_is_not_sent_and_comes_back_by_itself(db, server, terminal_key) -> None:
    wf = _workflow(db, server.url, terminal_key)
    events: list[LinkEvent] = []
    wf.sync.events.subscribe(events.append)
    assert wf.sync.his(METHOD, outpatient("X")).ok
    server.stop()
    with pytest.raises(LinkDownError) as exc:
        wf.sync.his(METHOD, outpatient("Y"))
    assert exc.value.code == "E8101" and not exc.value.sent
    assert not wf.status().link_up and [e.up for e in events] == [False]
    server.start()
    _probe_until_up(wf)
    assert wf.status().link_up and [e.up for e in events] == [False, True]


def test_lost_answer_gives_in_doubt_emergency_bill_settled_as_conflict(db, server, terminal_key) -> None:
    with TcpProxy(("127.0.0.1", server.port)) as proxy:
        wf = _workflow(db, f"http://127.0.0.1:{proxy.port}", terminal_key)
        wf.request_stock(10, "收费员")
        proxy.drop_reply_of = proxy.requests_seen + 1
        with pytest.raises(AnswerLostError):
            wf.sync.his(METHOD, outpatient("PROBE"))  # classification of a lost answer
        _probe_until_up(wf)
        # The server issues online and the answer is lost; the getEBillByBusNo lookup finds it.
        proxy.drop_reply_of = proxy.requests_seen + 1
        found = wf.issue(METHOD, outpatient("LOOKUP"))
        assert found.mode == "online" and found.bill_no == server.state.online["LOOKUP"]["billNo"]
        _probe_until_up(wf)
        # Answer lost and the lookup refused too (link cut right after): emergency, in doubt.
        proxy.drop_reply_of = proxy.requests_seen + 1
        proxy.drop_after_requests = proxy.requests_seen + 1
        outcome = wf.issue(METHOD, outpatient("DOUBT"))
        proxy.drop_after_requests = None
        assert outcome.mode == "emergency" and outcome.in_doubt
        assert "DOUBT" in server.state.online  # the server did issue
        _probe_until_up(wf)
        report = wf.upload_pending()
        assert report.conflicts == 1 and report.remaining == 0
        status = wf.status()
        assert status.conflicts == 1 and status.pending_uploads == 0


def test_stock_hand_out_and_return_of_unused_numbers(db, server, terminal_key) -> None:
    wf = _workflow(db, server.url, terminal_key)
    block = wf.request_stock(10, "收费员01")
    assert (block.bill_batch_code, block.number(block.bgn_no), block.number(block.end_no)) == (
        "42060126", "0009000000", "0009000009")
    server.stop()  # issue two offline
    wf.issue(METHOD, outpatient("R0"))
    wf.issue(METHOD, outpatient("R1"))
    results = wf.return_stock("交班申退")  # link down: marked returning, not acknowledged
    assert [r.acknowledged for r in results] == [False]
    with pytest.raises(NoStockError):  # a returning block is never issued from again
        wf.issue(METHOD, outpatient("R2"))
    server.start()
    _probe_until_up(wf)
    done = wf.maintain()  # the background round retries the return and uploads
    assert done["returns"][0]["acknowledged"] and done["upload"]["accepted"] == 2
    assert server.state.returns == [{"placeCode": "001", "billBatchCode": "42060126", "billBgnNo": "0009000002",
                                     "billEndNo": "0009000009", "reason": "终端申退未使用的应急票号",
                                     "terminalId": "T1"}]
    assert stock.get_block(db, block.id).state == "returned"


def test_revoked_block_stops_issuing_but_earlier_bills_upload(db, server, terminal_key) -> None:
    wf = _workflow(db, server.url, terminal_key)
    block = wf.request_stock(5, "收费员01")
    server.stop()
    wf.issue(METHOD, outpatient("V0"))
    server.start()
    server.state.revoked.append({"billBatchCode": "42060126", "billBgnNo": "0009000000",
                                 "billEndNo": "0009000004", "holder": "T1"})
    _probe_until_up(wf)
    done = wf.maintain()
    assert done["revoked"] == 1 and done["upload"]["accepted"] == 1
    assert stock.get_block(db, block.id).state == "revoked"
    server.stop()
    with pytest.raises(NoStockError):
        wf.issue(METHOD, outpatient("V1"))


def test_catalog_refresh_replaces_the_emergency_base_data(db, server, terminal_key) -> None:
    server.state.catalog = {
        "chargeItems": [{"chargeCode": "A01", "chargeName": "西药费"}, {"chargeCode": "A02", "chargeName": "检查费"}],
        "payChannels": [{"payChannelCode": "02", "payChannelName": "现金"}],
    }
    wf = _workflow(db, server.url, terminal_key)
    assert wf.refresh_catalog() == {"charge_item": 2, "pay_channel": 1}
    assert [i["chargeName"] for i in catalog.items(db, "charge_item")] == ["西药费", "检查费"]


def test_outage_issues_emergency_and_drains_with_progress(db, server, terminal_key) -> None:
    """What a window does through the workflow: issue while the server is down, repeat a busNo,
    then upload with progress once it is back."""
    wf = _workflow(db, server.url, terminal_key)
    wf.request_stock(30, "收费员01")
    server.stop()
    outcomes = [wf.issue(METHOD, outpatient(f"SEAM-{i}")) for i in range(3)]
    assert [o.mode for o in outcomes] == ["emergency"] * 3
    assert [o.bill_no for o in outcomes] == ["0009000000", "0009000001", "0009000002"]
    assert wf.issue(METHOD, outpatient("SEAM-0")).bill_no == "0009000000"  # idempotent on busNo
    status = wf.status()
    assert (status.stock_remaining, status.pending_uploads) == (27, 3)
    server.start()
    _probe_until_up(wf)
    steps: list[tuple[int, int]] = []
    report = wf.upload_pending(lambda done, total: steps.append((done, total)))
    assert report.accepted == 3 and report.conflicts == 0 and report.rejected == 0
    assert steps[-1] == (3, 3) and wf.status().pending_uploads == 0
