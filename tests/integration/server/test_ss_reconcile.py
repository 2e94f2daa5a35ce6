"""Reconciliation (seed 000 items 4-9): the server's local answers equal the platform's for the
same bills, and the daily job names a bill added or removed on the platform behind the
server's back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from ss_rig import ServerThread, Simulator, Stack, load_sample, other_sample

from sync_server.reconcile import daily as reconcile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, ServerThread, list[dict]]]:
    stack = Stack(tmp_path_factory.mktemp("stack")).start(settle=True)
    sim, srv = stack.sim, stack.server
    his = srv.his()
    issued = []
    for i in range(6):
        bill = load_sample("outpatient.json") | {"busNo": f"REC{uuid.uuid4().hex[:12]}", "placeCode": "003",
                                                 "totalAmt": "386.50"}
        ans = his.ok("invoiceEBillOutpatient", bill)
        issued.append({"bill": bill, "answer": ans})
        if i == 2:
            his.ok("writeOffEBill", other_sample("writeOffEBill") | {"placeCode": "003",
                                                                     "billBatchCode": ans["billBatchCode"],
                                                                     "billNo": ans["billNo"]})
    yield sim, srv, issued
    stack.stop()


def _days(issued: list[dict]) -> tuple[str, str]:
    bus = issued[0]["bill"]["busDateTime"][:8]
    ivc = issued[0]["answer"]["createTime"][:8]
    return f"{bus[:4]}-{bus[4:6]}-{bus[6:]}", f"{ivc[:4]}-{ivc[4:6]}-{ivc[6:]}"


@pytest.mark.parametrize("method", ["checkTotalData", "checkTotalDataByIvcDate", "checkDataByPlace",
                                    "checkDataPlaceByIvcDate", "checkWriteOffData", "checkWriteOffDataByIvcDate"])
def test_local_totals_equal_the_platform(rig: tuple[Simulator, ServerThread, list[dict]], method: str) -> None:
    sim, srv, issued = rig
    bus_day, ivc_day = _days(issued)
    key, day = ("ivcDate", ivc_day) if "Ivc" in method else ("busDate", bus_day)
    query = {key: day, "busType": "02", "placeCode": "003", "isReturnList": "1", "pageNo": 1, "pageSize": 200}
    local = srv.his().ok(method, query)
    platform = sim.client().ok(method, query)
    assert int(local["allTotalNum"]) >= 1
    assert (int(local["allTotalNum"]), str(local["allTotalAmt"])) == (int(platform["allTotalNum"]),
                                                                      str(platform["allTotalAmt"]))


@pytest.mark.parametrize("method", ["getBillByBusDate", "getBillByIvcDate"])
def test_local_bill_lists_equal_the_platform(rig: tuple[Simulator, ServerThread, list[dict]], method: str) -> None:
    sim, srv, issued = rig
    bus_day, ivc_day = _days(issued)
    d = (ivc_day if "Ivc" in method else bus_day).replace("-", "")
    query = {"busBgnDate": d + "000000000", "busEndDate": d + "235959999", "placeCode": "003", "pageNo": 1,
             "pageSize": 200}
    local = srv.his().ok(method, query)
    platform = sim.client().ok(method, query)

    def keys(rows: list[dict]) -> set[tuple[str, str, str, str]]:
        return {(r["billBatchCode"], r["billNo"], str(r["dataType"]), str(r["state"])) for r in rows}

    assert keys(local["billList"]) == keys(platform["billList"])
    assert int(local["total"]) == int(platform["total"]) >= 7


def test_daily_report_names_bills_added_and_removed_behind_the_servers_back(
        rig: tuple[Simulator, ServerThread, list[dict]]) -> None:
    sim, srv, issued = rig
    _, ivc_day = _days(issued)
    clean = reconcile.run(srv.ctx, ivc_day)
    assert clean["clean"], clean
    # added: issued on the platform directly, not through the server
    extra = load_sample("outpatient.json") | {"busNo": f"SIDE{uuid.uuid4().hex[:12]}", "placeCode": "003"}
    added = sim.client().ok("invoiceEBillOutpatient", extra)
    # removed: one of the server's bills deleted from the platform's database
    gone = issued[4]["answer"]
    assert sim.sql("DELETE FROM bills WHERE bill_batch_code = ? AND bill_no = ?",
                   (gone["billBatchCode"], gone["billNo"])) == 1
    report = reconcile.run(srv.ctx, ivc_day)
    assert not report["clean"]
    point = report["points"]["003"]
    assert [(m["billNo"], m["busNo"]) for m in point["missingLocally"]] == [(added["billNo"], extra["busNo"])]
    assert [m["billNo"] for m in point["missingOnPlatform"]] == [gone["billNo"]]
    # one added and one removed bill of the same amount: equal totals, yet both are named
    assert point["local"] == point["platform"]
    path = srv.ctx.config.data_dir / "reports" / f"reconcile-{ivc_day}.json"
    text = path.read_text(encoding="utf-8")
    assert extra["busNo"] in text and gone["billNo"] in text


def test_the_worker_runs_the_daily_job_once_a_day(rig: tuple[Simulator, ServerThread, list[dict]]) -> None:
    import dataclasses
    from datetime import datetime

    from sqlalchemy import select

    from billing_core.clock import CST, ManualClock
    from sync_server.store.db import read_tx
    from sync_server.store.schema import recon_reports

    _, srv, issued = rig
    ivc = issued[0]["answer"]["createTime"]
    # 02:00 the day after the bills were issued
    day_after = datetime(int(ivc[:4]), int(ivc[4:6]), int(ivc[6:8]), 2, 0, tzinfo=CST)
    ctx = dataclasses.replace(srv.ctx, clock=ManualClock(day_after))
    assert reconcile.maybe_daily(ctx)
    assert not reconcile.maybe_daily(ctx)  # once a day
    with read_tx(srv.ctx.engine) as conn:
        days = [r[0] for r in conn.execute(select(recon_reports.c.day))]
    assert f"{ivc[:4]}-{ivc[4:6]}-{ivc[6:8]}" in days
