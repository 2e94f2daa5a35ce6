"""Acceptance (issue 18): random stock operations against a real sync server and finance simulator.

A hypothesis RuleBasedStateMachine opens, distributes, recalls, voids and returns random ranges
of a small number area (so ranges overlap, straddle lots and hit numbers in the wrong state) and
keeps its own model: every number's lot, state, point and terminal. After every step:

* the server accepted the operation exactly when the model says it is allowed;
* a refused operation changed nothing (every number, the journal, the lots);
* every number's state and holder on the server is the model's (read from the tables);
* per lot: received - distributed - voided - returned = balance = the model's store count, and
  ``held`` = the model's distributed count (an independent count, not the server's read API);
* no two pieces of a batch overlap.

CI-sized: runs in well under 60 s on SQLite. The same checks run once on PostgreSQL with a fixed
sequence (test_a_fixed_sequence_on_postgresql).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from sync_server.stock.stock_read import lot_balances
from sync_server.store.db import read_tx
from sync_server.store.stock_schema import stock_pieces
from tests.integration.stock.rig import PAPER_BATCH, PAPER_CODE, Finance, rng, snapshot
from tests.rigs.stack import ServerThread, Stack

pytestmark = pytest.mark.integration

#: Each example works in its own area of the unit's paper stock (900001..999999 on the simulator).
AREA, FIRST = 120, 950_000
_areas = itertools.count()
POINTS = (("001", ""), ("001", "TERM01"), ("002", ""))

Holder = tuple[int, str, str | None, str | None]  # (lot, state, place, terminal)


class StockMachine(RuleBasedStateMachine):
    """The model and the rules (module docstring)."""

    server: ServerThread
    fin: Finance
    #: (method, accepted) -> how often, over the whole run: the rules must really be exercised
    seen: Counter[tuple[str, bool]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.base = FIRST + AREA * next(_areas)
        self.model: dict[int, Holder] = {}

    # --- helpers --------------------------------------------------------------------------

    def _span(self, a: int, b: int) -> tuple[int, int]:
        lo, hi = sorted((a, b))
        return self.base + lo, self.base + hi

    def _runs(self, states: tuple[str, ...]) -> list[tuple[int, int]]:
        """Maximal runs of numbers sharing lot, state, point and terminal, in ``states``."""
        runs: list[tuple[int, int]] = []
        for n in sorted(self.model):
            if self.model[n][1] not in states:
                continue
            if runs and runs[-1][1] == n - 1 and self.model[n - 1] == self.model[n]:
                runs[-1] = (runs[-1][0], n)
            else:
                runs.append((n, n))
        return runs

    def _pick(self, data: st.DataObject, states: tuple[str, ...]) -> tuple[int, int]:
        """Mostly a sub-range of a run in ``states`` (accepted), sometimes any range (often refused)."""
        runs = self._runs(states)
        if runs and data.draw(st.integers(0, 3), label="from_run") > 0:
            lo, hi = data.draw(st.sampled_from(runs), label="run")
            a = data.draw(st.integers(lo, hi), label="first")
            return a, data.draw(st.integers(a, hi), label="last")
        a, b = data.draw(st.integers(0, AREA - 1)), data.draw(st.integers(0, AREA - 1))
        return self._span(a, b)

    def _same(self, bgn: int, end: int) -> Holder | None:
        """The one (lot, state, place, terminal) of every number in [bgn, end], if they share it."""
        got = {self.model.get(n) for n in range(bgn, end + 1)}
        if len(got) != 1 or None in got:
            return None
        return next(iter(got))  # type: ignore[return-value]

    def _do(self, method: str, data: dict[str, Any], allowed: bool) -> Any:
        before = snapshot(self.server)
        code, msg = self.fin.call(method, data)
        self.seen[(method, code == "S0000")] += 1
        if allowed:
            assert code == "S0000", f"{method} {data}: {code} {msg}"
            return msg
        assert code != "S0000", f"{method} {data} was accepted against the model"
        assert code in ("E5942", "E5943"), f"{method}: {code} {msg}"
        assert snapshot(self.server) == before, f"refused {method} changed the stock"
        return None

    def _lot_of(self, n: int) -> int:
        with read_tx(self.server.ctx.engine) as conn:
            return int(conn.execute(select(stock_pieces.c.lot_id).where(
                (stock_pieces.c.bill_batch_code == PAPER_BATCH) & (stock_pieces.c.bgn_no <= n)
                & (stock_pieces.c.end_no >= n))).scalar_one())

    # --- rules ----------------------------------------------------------------------------

    @rule(a=st.integers(0, AREA - 1), size=st.integers(1, 40))
    def opening(self, a: int, size: int) -> None:
        bgn, end = self.base + a, min(self.base + a + size - 1, self.base + AREA - 1)
        allowed = all(n not in self.model for n in range(bgn, end + 1))
        if self._do("stockOpening", rng(bgn, end, billCode=PAPER_CODE), allowed) is not None:
            lot = self._lot_of(bgn)
            for n in range(bgn, end + 1):
                self.model[n] = (lot, "store", None, None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data(), to=st.sampled_from(POINTS))
    def distribute(self, data: st.DataObject, to: tuple[str, str]) -> None:
        self.distribute_range(*self._pick(data, ("store",)), to)

    def distribute_range(self, bgn: int, end: int, to: tuple[str, str]) -> None:
        same = self._same(bgn, end)
        allowed = same is not None and same[1] == "store"
        if self._do("stockDistribute", rng(bgn, end, placeCode=to[0], terminalId=to[1]), allowed) is not None:
            assert same is not None
            for n in range(bgn, end + 1):
                self.model[n] = (same[0], "distributed", to[0], to[1] or None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def recall(self, data: st.DataObject) -> None:
        self.recall_range(*self._pick(data, ("distributed",)))

    def recall_range(self, bgn: int, end: int) -> None:
        same = self._same(bgn, end)
        allowed = same is not None and same[1] == "distributed"
        if self._do("stockRecall", rng(bgn, end), allowed) is not None:
            assert same is not None
            for n in range(bgn, end + 1):
                self.model[n] = (same[0], "store", None, None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        self.void_range(*self._pick(data, ("store", "distributed")))

    def void_range(self, bgn: int, end: int) -> None:
        same = self._same(bgn, end)
        allowed = same is not None and same[1] in ("store", "distributed")
        if self._do("stockVoid", rng(bgn, end, reason="损毁"), allowed) is not None:
            assert same is not None
            for n in range(bgn, end + 1):
                self.model[n] = (same[0], "voided", same[2], same[3])

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def give_back(self, data: st.DataObject) -> None:
        self.give_back_range(*self._pick(data, ("store",)))

    def give_back_range(self, bgn: int, end: int) -> None:
        same = self._same(bgn, end)
        allowed = same is not None and same[1] == "store"
        if self._do("stockReturn", rng(bgn, end, reason="申退"), allowed) is not None:
            assert same is not None
            for n in range(bgn, end + 1):
                self.model[n] = (same[0], "returned", None, None)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def server_matches_the_model(self) -> None:
        check(self.server, self.model, self.base)


def check(server: ServerThread, model: dict[int, Holder], base: int) -> None:
    """Numbers, balance equation per lot and no overlaps (module docstring)."""
    numbers = {n: v for (batch, n), v in snapshot(server)["numbers"].items()
               if batch == PAPER_BATCH and base <= n < base + AREA}
    assert {n: (lot, state, place, term) for n, (lot, state, place, term, _busy) in numbers.items()} == model
    assert all(v[4] is None for v in numbers.values())  # nothing left held
    with read_tx(server.ctx.engine) as conn:
        lots = {lot["lotId"]: lot for lot in lot_balances(conn, PAPER_CODE)}
        pieces = conn.execute(select(stock_pieces.c.bgn_no, stock_pieces.c.end_no).where(
            stock_pieces.c.bill_batch_code == PAPER_BATCH).order_by(stock_pieces.c.bgn_no)).all()
    for lot_id in {v[0] for v in model.values()}:
        lot = lots[lot_id]
        mine = [v for v in model.values() if v[0] == lot_id]
        assert lot["received"] == len(mine)
        assert lot["received"] - lot["distributed"] - lot["voided"] - lot["returned"] == lot["balance"]
        assert lot["balance"] == lot["store"] == sum(1 for v in mine if v[1] == "store")
        assert lot["held"] == sum(1 for v in mine if v[1] == "distributed")
        assert lot["returned"] == sum(1 for v in mine if v[1] == "returned")
        assert lot["voided"] + lot["voidedHeld"] == sum(1 for v in mine if v[1] == "voided")
    for (_a, end), (bgn, _b) in itertools.pairwise(pieces):
        assert end < bgn, "two pieces overlap"


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    with Stack(tmp_path_factory.mktemp("stock_machine"), "sqlite").start() as st_:
        yield st_.server


def test_random_stock_operations_keep_the_balance_and_never_overlap(sqlite_server: ServerThread) -> None:
    StockMachine.server = sqlite_server
    StockMachine.fin = Finance(sqlite_server)
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=8, stateful_step_count=25, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    seen = StockMachine.seen
    print("stock machine:", dict(seen))
    for method in ("stockOpening", "stockDistribute", "stockRecall", "stockVoid", "stockReturn"):
        assert seen[(method, True)] > 0, f"{method} never accepted: {seen}"
    assert sum(n for (_m, ok), n in seen.items() if not ok) > 0, "nothing was ever refused"


def test_a_fixed_sequence_on_postgresql(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same rules and checks once on PostgreSQL, with a sequence that splits, merges and
    refuses (overlapping opening, distributing voided numbers)."""
    with Stack(tmp_path_factory.mktemp("stock_pg"), "postgresql").start() as st_:
        StockMachine.server = st_.server
        StockMachine.fin = Finance(st_.server)
        m = StockMachine()
        b = m.base
        for step in (lambda: m.opening(0, 30), lambda: m.opening(20, 10),
                     lambda: m.distribute_range(b + 5, b + 9, POINTS[1]), lambda: m.void_range(b + 7, b + 7),
                     lambda: m.recall_range(b + 5, b + 6), lambda: m.recall_range(b + 8, b + 9),
                     lambda: m.distribute_range(b, b + 29, POINTS[0]), lambda: m.give_back_range(b + 10, b + 19),
                     lambda: m.void_range(b + 7, b + 8), lambda: m.opening(30, 20),
                     lambda: m.distribute_range(b + 30, b + 49, POINTS[2]), lambda: m.void_range(b + 40, b + 41),
                     lambda: m.recall_range(b + 30, b + 35)):
            step()
            m.server_matches_the_model()
        assert len({v[0] for v in m.model.values()}) == 2 and m.model[m.base + 7][1] == "voided"
