"""Exactly-once carry-forward of terminal emergency bills under faults, against real
``python -m sync_server`` and ``python -m simulators.finance`` processes:

* the server SIGKILLed (twice) while its outbox carries the bills onto the platform, restarted —
  or, with the outbox worker in its own process (``python -m sync_server worker``, server
  ``--worker none``), that worker process SIGKILLed and restarted;
* the link between terminal and server cut mid-upload (tests/rigs/tcp_proxy.py: an answer
  dropped after the server stored the batch, then every connection cut), upload resumed.

Every bill must end on the platform once, with the number and check code that were printed.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing_core.bills import validate_request
from billing_core.clock import SystemClock
from tests.integration.emergency.rig import (
    METHOD,
    Platform,
    Server,
    TerminalRig,
    link_back,
    outpatient,
    terminal,
    wait,
)
from tests.rigs.tcp_proxy import TcpProxy

pytestmark = pytest.mark.faults


@pytest.fixture
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Platform, Server]]:
    platform = Platform(tmp_path).start()
    server = Server(tmp_path, platform, worker=getattr(request, "param", "thread")).start()
    try:
        yield platform, server
    finally:
        server.stop()
        platform.stop()


def _journal(t: TerminalRig, n: int, tag: str) -> list[tuple[str, str, str, str]]:
    """``n`` real emergency bills (signed, chained) in the terminal's journal: (busNo, code, no, random)."""
    assert t.wf.register_key()
    t.wf.request_stock(n, "收费员01")
    assert t.wf.issue(METHOD, outpatient(f"{tag}-ON-{time.time_ns()}")).mode == "online"
    out = []
    with t.db.atomic():
        for i in range(n):
            bill = validate_request(METHOD, outpatient(f"{tag}-{i:04d}-{time.time_ns()}", f"{1 + i % 50}.00"))
            seq, _job = t.wf.emergency.issue(METHOD, bill, SystemClock().now(), in_doubt=False)
            from offline_store import journal
            e = journal.by_seq(t.db, seq)
            assert e is not None
            out.append((e.bus_no, e.bill_batch_code, e.bill_no, e.random))
    return out


def _carried(server: Server) -> int:
    with sqlite3.connect(server.data_dir / "sync_server.db", timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM bills WHERE origin='terminal' AND carry='done'").fetchone()[0])


def _assert_on_platform_once(platform: Platform, bills: list[tuple[str, str, str, str]], *, resends: int) -> None:
    """Each bill on the platform once, as printed; at most ``resends`` repeated (idempotent) uploads
    of a bill (one per kill: the round in flight is re-sent after the restart)."""
    ok = Counter(c["bus_no"] for c in platform.calls("uploadEmergencyEBill") if c["result"] == "S0000")
    with sqlite3.connect(platform.data_dir / "finance.sqlite3", timeout=30) as db:
        held = Counter(r[0] for r in db.execute("SELECT bus_no FROM bills WHERE doc = 'bill' AND kind = 'blue'"))
    for bus, code, no, random in bills:
        got = platform.bill_by_bus_no(bus)
        assert got is not None, f"{bus} never reached the platform"
        assert (got["billBatchCode"], got["billNo"], got["random"]) == (code, no, random)
        assert held[bus] == 1, (bus, held[bus])  # the platform's own records: one bill
        assert 1 <= ok[bus] <= 1 + resends, (bus, ok[bus])
    assert len({(b[1], b[2]) for b in bills}) == len(bills)


@pytest.mark.parametrize("stack", ["thread", "process"], indirect=True)
def test_sigkill_server_mid_carry_forward(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    # the process that carries: the server itself, or its separate worker process
    carrier = server.worker if server.worker is not None else server
    t = terminal(server, "TERM01", tmp_path / "term")
    try:
        bills = _journal(t, 120, "KILL")
        platform.faults(latency=0.1)  # a slow platform: the carry-forward takes a few seconds
        report = t.wf.upload_pending()
        assert report.accepted == 120, report.as_dict()
        for target in (25, 70):
            wait(lambda target=target: len(platform.calls("uploadEmergencyEBill")) >= target, 60, "carry started")
            carrier.kill()
            assert _carried(server) < 120
            carrier.start()
        platform.faults(latency=0)
        wait(lambda: _carried(server) == 120, 120, "every bill carried after the kills")
        _assert_on_platform_once(platform, bills, resends=2)
        with sqlite3.connect(server.data_dir / "sync_server.db") as conn:
            assert conn.execute("SELECT count(*) FROM outbox WHERE state = 'dead'").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM conflicts").fetchone()[0] == 0
    finally:
        t.close()


def test_cut_link_mid_upload_and_resume(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    proxy = TcpProxy(("127.0.0.1", server.port))
    try:
        t = terminal(server, "TERM01", tmp_path / "term", url=f"http://127.0.0.1:{proxy.port}")
        try:
            bills = _journal(t, 150, "CUT")
            proxy.drop_reply_of = proxy.requests_seen + 2  # the 2nd batch is stored, its answer lost
            first = t.wf.upload_pending()
            assert first.accepted == 50 and first.remaining == 100 and first.stopped, first.as_dict()
            proxy.refuse = True  # then the link is gone altogether
            assert t.wf.upload_pending().accepted == 0
            proxy.refuse = False
            link_back(t)
            resumed = t.wf.upload_pending()
            assert (resumed.duplicates, resumed.accepted, resumed.remaining) == (50, 50, 0), resumed.as_dict()
            wait(lambda: _carried(server) == 150, 120, "every bill carried")
            _assert_on_platform_once(platform, bills, resends=0)
        finally:
            t.close()
    finally:
        proxy.close()
