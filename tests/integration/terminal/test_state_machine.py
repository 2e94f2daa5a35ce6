"""A hypothesis RuleBasedStateMachine: two terminals (in-process workflows, own stores and keys)
against the stand-in server over real HTTP, through online issuing, outages, emergency issuing,
repeated busNos across terminals, reconnects and uploads.

Invariants after every step: no number is used twice, across terminals, the online series and
the emergency blocks. At teardown (server up, every journal drained): the server holds every
emergency bill exactly once with the number and check code printed, each busNo has exactly one
valid bill (online, or an accepted emergency bill; every other one is a reported conflict), and
the totals of valid bills agree between the terminals and the server.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from billing_core.clock import SystemClock
from billing_core.crypto import SM2PrivateKey
from offline_store import journal
from offline_store.db import Database
from tests.integration.terminal.helpers import METHOD, outpatient
from tests.integration.terminal.standin import StandInServer
from workflows.emergency.chain import BillSigner
from workflows.emergency.limits import EmergencyLimits
from workflows.issuing import Identity, IssuingWorkflow
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration

KEYS = [SM2PrivateKey.generate(), SM2PrivateKey.generate()]
AMT = Decimal("386.50")


class TerminalsMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.server = StandInServer()
        self.server.state.keys.update({"T1": "k1", "T2": "k2"})
        self.server.start()
        self.up = True
        self.dbs: list[Database] = []
        self.terminals: list[IssuingWorkflow] = []
        for i, appid in enumerate(("T1", "T2")):
            db = Database(Path(self.tmp.name) / f"{appid}.db")
            sync = SyncClient(self.server.url, appid, f"k{i + 1}", connect_timeout=0.5, read_timeout=3,
                              failure_threshold=1, open_seconds=0, max_open_seconds=0)
            wf = IssuingWorkflow(sync, db, None, SystemClock(), Identity(appid, "001", "测试医院"), BillSigner(KEYS[i]),
                                 limits=EmergencyLimits(max_bills=1000, max_total=Decimal("10000000")))
            wf.request_stock(40, "收费员")
            self.dbs.append(db)
            self.terminals.append(wf)
        self.bus_counter = 0
        self.issued_bus: list[str] = []

    def teardown(self) -> None:
        try:
            if not self.up:
                self.server.start()
            for wf in self.terminals:
                report = wf.upload_pending()
                if report.remaining:  # the breaker may need its half-open probe first
                    wf.sync.probe()
                    report = wf.upload_pending()
                assert report.remaining == 0, report
            self._check_final()
        finally:
            self.server.stop()
            for db in self.dbs:
                db.close()
            self.tmp.cleanup()

    # --- rules -----------------------------------------------------------------------------

    @rule(t=st.integers(0, 1), repeat=st.booleans())
    def issue(self, t: int, repeat: bool) -> None:
        if repeat and self.issued_bus:
            bus = self.issued_bus[self.bus_counter % len(self.issued_bus)]
        else:
            self.bus_counter += 1
            bus = f"SM-{self.bus_counter}"
        outcome = self.terminals[t].issue(METHOD, outpatient(bus))
        if not outcome.duplicate:
            assert outcome.mode == ("online" if self.up else "emergency")
        self.issued_bus.append(bus)

    @rule()
    def outage(self) -> None:
        if self.up:
            self.server.stop()
            self.up = False

    @rule()
    def recover(self) -> None:
        if not self.up:
            self.server.start()
            self.up = True
            for wf in self.terminals:
                wf.sync.probe()

    @rule(t=st.integers(0, 1))
    def upload(self, t: int) -> None:
        report = self.terminals[t].upload_pending()
        if self.up:
            assert report.remaining == 0 or report.stopped

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def numbers_unique(self) -> None:
        numbers = [(e.bill_batch_code, e.bill_no) for db in self.dbs for e in journal.entries(db)]
        numbers += [(a["billBatchCode"], a["billNo"]) for a in self.server.state.online.values()]
        assert len(numbers) == len(set(numbers))

    def _check_final(self) -> None:
        state = self.server.state
        entries = [e for db in self.dbs for e in journal.entries(db)]
        assert all(e.state in ("uploaded", "conflict") for e in entries)
        # Every emergency bill reached the server exactly once, as printed.
        assert len(state.uploads) == len(entries)
        printed = {(e.terminal_id, e.bill_no, e.random) for e in entries}
        assert printed == {(p["terminalId"], p["billNo"], p["random"]) for p in state.uploads.values()}
        # One valid bill per busNo.
        valid: dict[str, str] = {bus: a["billNo"] for bus, a in state.online.items()}
        for e in entries:
            if e.state == "uploaded":
                assert e.bus_no not in valid or state.emergency_bus.get(e.bus_no) is None or \
                    state.uploads[state.emergency_bus[e.bus_no]]["billNo"] == e.bill_no
                valid.setdefault(e.bus_no, e.bill_no)
        assert set(valid) == set(self.issued_bus)
        # Totals agree: every busNo is one 386.50 bill on the server and at the terminals.
        server_total = AMT * (len(state.online) + len(state.emergency_bus))
        terminal_valid = {e.bus_no for e in entries if e.state == "uploaded"}
        for db in self.dbs:
            terminal_valid |= {r["bus_no"] for r in db.all("SELECT bus_no FROM online_bills")}
        assert server_total == AMT * len(terminal_valid) == AMT * len(valid)


TerminalsMachine.TestCase.settings = settings(
    max_examples=50, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow], print_blob=True)
test_terminals_state_machine = TerminalsMachine.TestCase
