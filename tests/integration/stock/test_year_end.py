"""Year-end (年结, issue 18 §5) across a simulated 31 December with an outage spanning midnight.

One clock (billing_core.clock.ManualClock) drives the terminal and the server's business time;
the finance simulator and the sync server are real, the outage is a real refused connection. A
window takes an emergency block on 31 December at 23:40, loses the server at 23:50, issues one
bill at 23:55 and two after midnight from the same block, and gets the link back at 00:20:

* each bill is carried forward with the number and the time printed on it, so the platform's
  issue-date lists put the 23:55 bill on 31 December and the others on 1 January;
* the server's year summary counts the first in 2026, the others in 2027, and names the block
  that spans the year's end;
* closing 2026 is refused while the terminal has not been heard of since midnight, while its
  bills wait for upload and while carry-forward is pending; it succeeds once all of 2026 is in,
  and a second close answers the recorded closure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from billing_core.clock import CST, ManualClock
from billing_core.crypto import SM2PrivateKey
from offline_store.db import Database
from sync_server.stock import year_end
from sync_server.stock.errors import YearEndError
from sync_server.store.db import read_tx
from sync_server.store.schema import bills
from tests.integration.emergency.rig import METHOD, outpatient
from tests.rigs.stack import ServerThread, Simulator, Stack, free_port
from workflows.emergency.chain import BillSigner
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import Identity, IssuingWorkflow
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def year_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(tmp_path_factory.mktemp("year_end"), "sqlite").start() as st:
        yield st


def _terminal(server: ServerThread, clock: ManualClock, data_dir: Path) -> tuple[IssuingWorkflow, SyncClient, Database]:
    caller = next(c for c in server.demo["callers"] if c["appid"] == "TERM01")
    user = next(u for u in server.demo["users"] if u["role"] == "finance")
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(data_dir / "terminal.db")
    sync = SyncClient(f"http://127.0.0.1:{server.port}", "TERM01", caller["key"], clock=clock, connect_timeout=0.5,
                      read_timeout=30, failure_threshold=1, open_seconds=0.1, max_open_seconds=0.3)
    sync.use_account(user["username"], user["password"])
    wf = IssuingWorkflow(sync, db, None, clock, Identity("TERM01", "001", "测试医院", "门诊收费处"),
                         BillSigner(SM2PrivateKey.generate()),
                         limits=EmergencyLimits(max_bills=1000, max_total=Decimal("1000000.00")))
    return wf, sync, db


def _ivc_day(sim: Simulator, day: str) -> set[str]:
    """billNo of every e-bill the platform lists as issued on ``day`` (yyyyMMdd)."""
    got = sim.client().ok("getBillByIvcDate", {"busBgnDate": day + "000000000", "busEndDate": day + "235959999",
                                                "dataType": "1", "pageNo": "1", "pageSize": "200"})
    return {r["billNo"] for r in got["billList"]}


def _refused(server: ServerThread, expect: str) -> None:
    with pytest.raises(YearEndError) as err:
        year_end.close_year(server.ctx, _finance(server), {"year": "2026"})
    assert expect in err.value.message, err.value.message


def _finance(server: ServerThread):  # noqa: ANN202 - the audit actor
    from sync_server.security.audit import Actor

    return Actor("finance01", caller="TERM01", terminal="TERM01")


def _wait(fn, what: str, timeout: float = 30.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while not (got := fn()):
        assert time.monotonic() < deadline, f"{what} not reached"
        time.sleep(0.1)
    return got


def test_year_end_across_midnight_with_an_outage(year_stack: Stack, tmp_path: Path) -> None:
    server, sim = year_stack.server, year_stack.sim
    clock = ManualClock(datetime(2026, 12, 31, 23, 40, 0, tzinfo=CST))
    server.ctx.clock = clock  # the server's business time is the same simulated night
    wf, sync, db = _terminal(server, clock, tmp_path / "t1")
    try:
        assert wf.register_key()
        block = wf.request_stock(20, "财务01")  # reserved on 31 December: the block will span midnight
        assert wf.maintain()["linkUp"]  # heard of at 23:40
        online_urls, sync.base_urls = sync.base_urls, [f"http://127.0.0.1:{free_port()}"]  # the link is cut
        clock.advance(15 * 60)  # 23:55
        a = wf.issue(METHOD, outpatient(f"YE-A-{time.time_ns()}", "10.00"))
        clock.advance(10 * 60)  # 00:05 on 1 January 2027
        b = wf.issue(METHOD, outpatient(f"YE-B-{time.time_ns()}", "20.00"))
        clock.advance(5 * 60)  # 00:10
        c = wf.issue(METHOD, outpatient(f"YE-C-{time.time_ns()}", "30.00"))
        assert [x.mode for x in (a, b, c)] == ["emergency"] * 3
        assert a.create_time.startswith("20261231235") and b.create_time.startswith("202701010005")
        assert {a.bill_batch_code, b.bill_batch_code} == {block.bill_batch_code}  # one block, two years
        _refused(server, "年末后尚未上报")  # the terminal may hold 2026 bills offline
        view = year_end.year_end(server.ctx, _finance(server), {"year": "2026"})  # stockYearEnd, no close
        assert not view["closed"] and any("TERM01" in item for item in view["openItems"])

        clock.advance(10 * 60)  # 00:20: the link is back
        sync.base_urls = online_urls
        _wait(sync.probe, "link back")
        first = wf.maintain()  # heartbeat (3 pending, the oldest from 2026), then the upload
        assert first["upload"]["accepted"] == 3, first
        # carry-forward onto the platform: each as printed, on the day printed
        _wait(lambda: {a.bill_no} <= _ivc_day(sim, "20261231"), "2026 bill on the platform")
        _wait(lambda: {b.bill_no, c.bill_no} <= _ivc_day(sim, "20270101"), "2027 bills on the platform")
        assert a.bill_no not in _ivc_day(sim, "20270101") and b.bill_no not in _ivc_day(sim, "20261231")
        _refused(server, "未上传")  # the terminal's last heartbeat still reported them pending

        def carried() -> bool:
            with read_tx(server.ctx.engine) as conn:
                return {r[0] for r in conn.execute(select(bills.c.carry).where(
                    bills.c.bill_no.in_([a.bill_no, b.bill_no, c.bill_no])))} == {"done"}

        _wait(carried, "carry-forward done on the server")
        wf.maintain()  # heartbeat: nothing pending any more
        with read_tx(server.ctx.engine) as conn:
            y26, y27 = year_end.year_summary(conn, 2026), year_end.year_summary(conn, 2027)
        assert y26["bills"]["terminal"]["count"] == 1 and y26["bills"]["terminal"]["amount"] == "10.00"
        assert y27["bills"]["terminal"]["count"] == 2 and y27["bills"]["terminal"]["amount"] == "50.00"
        span = [s for s in y26["spanningBlocks"] if s["holder"] == "TERM01"]
        assert len(span) == 1 and (span[0]["thisYear"], span[0]["nextYear"]) == (1, 2)

        closed = year_end.close_year(server.ctx, _finance(server), {"year": "2026"})
        assert closed["closed"] and closed["closedAt"].startswith("20270101002")
        assert year_end.close_year(server.ctx, _finance(server), {"year": "2026"}) == closed  # recorded
        with pytest.raises(YearEndError, match="尚未结束"):
            year_end.close_year(server.ctx, _finance(server), {"year": "2027"})
    finally:
        db.close()
