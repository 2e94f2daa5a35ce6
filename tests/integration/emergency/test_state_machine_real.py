"""A hypothesis RuleBasedStateMachine against REAL ``python -m sync_server`` and
``python -m simulators.finance`` processes and two terminals (the Qt-free workflow of TERM01 and
KIOSK01, each with its own store, SM2 key and TCP proxy to the server): online issuing, outages
(the terminal's link refused and cut), emergency issuing, busNos repeated across terminals,
write-offs through the server, reconnects and uploads.

After every step: no number is held for two busNos. At teardown (links up, journals drained,
carry-forward and queued write-offs delivered): each busNo has exactly one valid bill, the same
at the terminals, the server and the platform (number and check code as printed); the totals of
valid bills agree at terminals, server and platform; every write-off reached the platform.
Processes are shared by all examples (module scope); each example starts fresh terminals whose
chains are seeded by an online bill. Hypothesis prints the failing steps and a reproduction
blob (``print_blob``); run with ``--hypothesis-seed=N`` to replay a seed.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from billing_core.errors import PlatformError
from offline_store import journal
from sync_server.connectors.errors import PlatformRejected
from tests.integration.emergency.rig import METHOD, Platform, Server, TerminalRig, outpatient, terminal, wait
from tests.rigs.tcp_proxy import TcpProxy
from workflows.errors import LinkError, NoStockError

pytestmark = pytest.mark.integration

STACK: dict[str, Any] = {}
AMOUNTS = ("1.00", "2.50", "10.00", "99.99")


@pytest.fixture(scope="module", autouse=True)
def _processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    base = tmp_path_factory.mktemp("sm_real")
    platform = Platform(base).start()
    server = Server(base, platform).start()
    STACK.update(platform=platform, server=server)
    try:
        yield
    finally:
        server.stop()
        platform.stop()
        STACK.clear()


class RealStackMachine(RuleBasedStateMachine):
    """Two terminals against the real server and platform."""

    def __init__(self) -> None:
        super().__init__()
        self.platform: Platform = STACK["platform"]
        self.server: Server = STACK["server"]
        self.tmp = tempfile.TemporaryDirectory()
        self.proxies: list[TcpProxy] = []
        self.terms: list[TerminalRig] = []
        self.requests: dict[str, dict[str, Any]] = {}  # busNo -> first request (amount reused)
        self.written_off: set[tuple[str, str]] = set()
        self.n = 0

    @initialize()
    def start_terminals(self) -> None:
        for appid in ("TERM01", "KIOSK01"):
            proxy = TcpProxy(("127.0.0.1", self.server.port))
            t = terminal(self.server, appid, Path(self.tmp.name) / appid, url=f"http://127.0.0.1:{proxy.port}")
            assert t.wf.register_key()
            t.wf.request_stock(6, "收费员")
            assert self._issue(t, self._new_bus(), "5.00") == "online"  # seeds the journal chain
            self.proxies.append(proxy)
            self.terms.append(t)

    def _new_bus(self) -> str:
        self.n += 1
        return f"SM-{time.time_ns()}-{self.n}"

    def _issue(self, t: TerminalRig, bus: str, amount: str) -> str:
        req = self.requests.setdefault(bus, outpatient(bus, amount))
        req = dict(req, placeCode=t.place)
        try:
            return t.wf.issue(METHOD, req).mode
        except PlatformError:
            return "refused"
        except NoStockError:  # the small block ran out while offline: nothing issued, by design
            return "no-stock"

    # -- rules --------------------------------------------------------------------------------
    @rule(i=st.integers(0, 1), amount=st.sampled_from(AMOUNTS))
    def issue_new(self, i: int, amount: str) -> None:
        self._issue(self.terms[i], self._new_bus(), amount)

    @rule(i=st.integers(0, 1), pick=st.integers(0, 1000))
    def issue_other_terminals_bus_no(self, i: int, pick: int) -> None:
        other = self.terms[1 - i]
        buses = [b for b in self.requests if not self._holds(self.terms[i], b) and self._holds(other, b)]
        if buses:
            bus = buses[pick % len(buses)]
            self._issue(self.terms[i], bus, str(self.requests[bus]["totalAmt"]))

    @rule(i=st.integers(0, 1))
    def outage(self, i: int) -> None:
        self.proxies[i].refuse = True
        self.proxies[i].cut()

    @rule(i=st.integers(0, 1))
    def reconnect_and_upload(self, i: int) -> None:
        self.proxies[i].refuse = False
        wait(self.terms[i].sync.probe, 20, "link back")
        self.terms[i].wf.maintain()

    @rule(i=st.integers(0, 1), pick=st.integers(0, 1000))
    def write_off(self, i: int, pick: int) -> None:
        t = self.terms[i]
        known = sorted(self._server_known(t) - self.written_off)
        if not known or self.proxies[i].refuse:
            return
        code, no = known[pick % len(known)]
        try:
            ans = t.sync.his("writeOffEBill", {"billBatchCode": code, "billNo": no, "reason": "退费",
                                                "operator": "收费员", "busDateTime": "20261123100000000",
                                                "placeCode": t.place})
        except LinkError:
            return
        if ans.ok:
            self.written_off.add((code, no))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _holds(t: TerminalRig, bus: str) -> bool:
        return journal.by_bus_no(t.db, bus) is not None or journal.online_by_bus_no(t.db, bus) is not None

    def _valid(self, t: TerminalRig) -> dict[tuple[str, str], tuple[str, Decimal, str]]:
        """The terminal's valid bills: number -> (busNo, amount, check code)."""
        out: dict[tuple[str, str], tuple[str, Decimal, str]] = {}
        for bus in self.requests:
            online = journal.online_by_bus_no(t.db, bus)
            if online is not None:
                r = online["response"]
                out[(r["billBatchCode"], r["billNo"])] = (bus, Decimal(str(online["request"]["totalAmt"])),
                                                          r["random"])
            e = journal.by_bus_no(t.db, bus)
            if e is not None and e.state not in ("conflict", "rejected"):
                out[(e.bill_batch_code, e.bill_no)] = (bus, Decimal(e.total_amt), e.random)
        return out

    def _server_known(self, t: TerminalRig) -> set[tuple[str, str]]:
        """Numbers of the terminal's bills that the server holds (online, or emergency uploaded)."""
        out = set()
        for key in self._valid(t):
            e = journal.by_bus_no(t.db, self._valid(t)[key][0])
            if e is None or e.state == "uploaded" or (e.bill_batch_code, e.bill_no) != key:
                out.add(key)
        return out

    @invariant()
    def numbers_are_never_shared_by_two_bus_nos(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for t in self.terms:
            for key, (bus, _amt, _rnd) in self._valid(t).items():
                assert seen.setdefault(key, bus) == bus, f"number {key} held for {seen[key]} and {bus}"

    def _platform_amounts(self) -> dict[tuple[str, str], Decimal]:
        """The platform's own amounts of its e-bills of the fixture's business day, both points."""
        out: dict[tuple[str, str], Decimal] = {}
        client = self.platform.client()
        for place in ("001", "005"):
            page = 1
            while True:
                got = client.call("getBillByBusDate", {"busBgnDate": "20261123000000000",
                                                       "busEndDate": "20261123235959999", "placeCode": place,
                                                       "pageNo": page, "pageSize": 200})
                rows = list(got.get("billList") or [])
                for r in rows:
                    if str(r.get("dataType")) == "1":
                        out[(str(r["billBatchCode"]), str(r["billNo"]))] = Decimal(str(r["totalAmt"]))
                if len(rows) < 200:
                    break
                page += 1
        return out

    def teardown(self) -> None:
        try:
            if len(self.terms) == 2:
                self._settle_and_check()
        finally:
            for t in self.terms:
                t.close()
            for p in self.proxies:
                p.close()
            self.tmp.cleanup()

    def _settle_and_check(self) -> None:
        for i, t in enumerate(self.terms):
            self.proxies[i].refuse = False
            wait(t.sync.probe, 20, "link back")
            wait(lambda t=t: t.wf.maintain() and t.wf.status().pending_uploads == 0, 30, "journal drained")
        buses = sorted(self.requests)
        db = self.server.data_dir / "sync_server.db"

        def settled() -> bool:
            with sqlite3.connect(db, timeout=30) as conn:
                marks = ",".join("?" * len(buses))
                pending = conn.execute(f"SELECT count(*) FROM outbox WHERE state='pending' AND group_key IN ({marks})",
                                       buses).fetchone()[0]
            return pending == 0
        wait(settled, 60, "carry-forward and queued write-offs delivered")
        valid: dict[tuple[str, str], tuple[str, Decimal, str]] = {}
        for t in self.terms:
            valid.update(self._valid(t))
        per_bus: dict[str, set[tuple[str, str]]] = {}
        for key, (bus, _a, _r) in valid.items():
            per_bus.setdefault(bus, set()).add(key)
        with sqlite3.connect(db, timeout=30) as conn:
            marks = ",".join("?" * len(buses))
            server = {(c, n): (b, Decimal(str(a)), r) for b, c, n, a, r in conn.execute(
                f"SELECT bus_no, bill_batch_code, bill_no, total_amt, random FROM bills WHERE state='issued' "
                f"AND busno_live IN ({marks})", buses)}
        amounts = self._platform_amounts()
        platform_total = Decimal("0")
        for bus in buses:
            got = self.platform.bill_by_bus_no(bus)
            keys = per_bus.get(bus, set())
            if got is None:
                assert not keys, f"{bus}: terminal holds {keys}, the platform none"
                continue
            key = (got["billBatchCode"], got["billNo"])
            assert keys == {key}, f"{bus}: terminals hold {keys}, platform {key}"
            assert valid[key][2] == got["random"], f"{bus}: check code differs from the printed one"
            assert server.get(key, ("",))[0] == bus, f"{bus}: server's live bill is not {key}"
            if key in self.written_off:
                assert str(got.get("isScarlet")) == "1", f"{key} written off at the server, not on the platform"
            try:
                state = self.platform.client().call("getEBillStatesByBillInfo", {"billBatchCode": key[0],
                                                                                  "billNo": key[1]})
            except PlatformRejected as exc:
                raise AssertionError(f"{key}: {exc}") from None
            assert state.get("state") in ("1", 1), state
            platform_total += amounts[key]
        terminal_total = sum((v[1] for v in valid.values()), Decimal("0"))
        server_total = sum((v[1] for v in server.values()), Decimal("0"))
        assert terminal_total == server_total == platform_total, (terminal_total, server_total, platform_total)


RealStackMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=6, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_real_stack_state_machine = RealStackMachine.TestCase
