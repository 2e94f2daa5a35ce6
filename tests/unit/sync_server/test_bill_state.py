"""The bill's state machine (issue 13 §3): every named transition tried from every combination of
the six status columns, on a database built by the real migrations; allowed ones write exactly
their values, refused ones write nothing. The expectations below are written out by hand (not
read from sync_server.bills.state), so a changed guard or target fails here."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import IntegrityError

from billing_core.clock import ManualClock
from sync_server.bills import state
from sync_server.his import changes
from sync_server.security.audit import SERVER
from sync_server.store import bill_status
from sync_server.store.db import make_engine, run_migrations, sqlite_url
from sync_server.store.schema import bills

pytestmark = pytest.mark.unit

STATES, ORIGINS, CARRIES, FLAGS = ("pending", "issued", "void"), ("online", "emergency", "terminal"), \
    ("none", "pending", "done", "conflict"), (0, 1)
COMBOS = [dict(zip(("state", "origin", "carry", "in_doubt", "is_scarlet", "is_prt_paper"), c, strict=True))
          for c in itertools.product(STATES, ORIGINS, CARRIES, FLAGS, FLAGS, FLAGS)]


def _live(r: dict[str, Any]) -> bool:
    return r["state"] == "issued" and r["is_scarlet"] == 0


# name -> (allowed from, values written, free values passed)
EXPECTED: dict[str, tuple[Callable[[dict[str, Any]], bool], dict[str, Any], dict[str, Any]]] = {
    "issue": (lambda r: r["state"] == "pending",
              {"state": "issued", "origin": "online", "in_doubt": 0, "carry": "none"}, {}),
    "issue_emergency": (lambda r: r["state"] == "pending",
                        {"state": "issued", "origin": "emergency", "in_doubt": 1, "carry": "pending"},
                        {"in_doubt": True}),
    "carry_done": (lambda r: r["state"] == "issued" and r["carry"] == "pending", {"carry": "done", "in_doubt": 0}, {}),
    "carry_conflict_void": (lambda r: r["state"] == "issued" and r["carry"] == "pending",
                            {"state": "void", "carry": "conflict"}, {}),
    "write_off": (lambda r: _live(r) and r["is_prt_paper"] == 0, {"is_scarlet": 1}, {}),
    "write_off_to_paper": (lambda r: _live(r) and r["is_prt_paper"] == 1, {"is_scarlet": 1}, {}),
    "invalid_paper": (lambda r: _live(r) and r["is_prt_paper"] == 1, {"is_scarlet": 1}, {}),
    "turn_paper": (lambda r: _live(r) and r["is_prt_paper"] == 0, {"is_prt_paper": 1}, {}),
    "re_turn_paper": (lambda r: _live(r) and r["is_prt_paper"] == 1, {"is_prt_paper": 1}, {}),
    "inherit_changes": (lambda r: r["state"] == "issued" and r["is_scarlet"] == 0 and r["is_prt_paper"] == 0,
                        {"is_scarlet": 1, "is_prt_paper": 1}, {"is_scarlet": 1, "is_prt_paper": 1}),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = make_engine(sqlite_url(tmp_path_factory.mktemp("state") / "s.db"))
    run_migrations(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    # never committed: the audit guard is not what this tests, and each test starts empty
    with engine.connect() as c:
        yield c
        c.rollback()


def _insert(conn: Connection, status: dict[str, Any], n: int = 0) -> int:
    return int(conn.execute(insert(bills).values(
        bus_no=f"B{n}", method="invoiceEBillOutpatient", place_code="001", caller_appid="HIS01",
        request_json="{}", created_at="20260101000000000", updated_at="20260101000000000", **status,
    )).inserted_primary_key[0])


def _status(conn: Connection, bill_id: int) -> dict[str, Any]:
    row = conn.execute(select(bills).where(bills.c.id == bill_id)).mappings().one()
    return {c: row[c] for c in bill_status.STATUS_COLUMNS}


def test_every_transition_is_specified() -> None:
    assert set(EXPECTED) | {"release"} == set(state.TRANSITIONS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_transition_from_every_status(conn: Connection, name: str) -> None:
    allowed_from, sets, free = EXPECTED[name]
    tr = state.TRANSITIONS[name]
    ids = [_insert(conn, combo, i) for i, combo in enumerate(COMBOS)]
    moved = refused = 0
    for bill_id, combo in zip(ids, COMBOS, strict=True):
        if allowed_from(combo):
            written = state.move(conn, tr, bill_id, values={"updated_at": "20260102000000000"}, **free)
            assert _status(conn, bill_id) == combo | sets, (name, combo)
            assert written["updated_at"] == "20260102000000000"
            moved += 1
        else:
            with pytest.raises(state.TransitionRefused) as err:
                state.move(conn, tr, bill_id, values={"updated_at": "20260102000000000"}, **free)
            assert err.value.code == "E5025"
            assert _status(conn, bill_id) == combo, (name, combo)  # nothing written
            assert not state.try_move(conn, tr, bill_id, **free)
            refused += 1
    assert moved and refused  # every transition has both sides


def test_release_deletes_pending_claims_only(conn: Connection) -> None:
    ids = [_insert(conn, combo, i) for i, combo in enumerate(COMBOS)]
    for bill_id, combo in zip(ids, COMBOS, strict=True):
        assert state.release(conn, bill_id) is (combo["state"] == "pending")
    left = {r[0] for r in conn.execute(select(bills.c.state))}
    assert left == {"issued", "void"}
    with pytest.raises(ValueError):
        state.move(conn, state.TRANSITIONS["release"], ids[0])


def test_bulk_form_moves_only_rows_holding_the_guard(conn: Connection) -> None:
    ids = [_insert(conn, combo, i) for i, combo in enumerate(COMBOS)]
    moved = state.move_many(conn, state.TRANSITIONS["carry_done"], ids + [999_999], values={"updated_at": "x"})
    expect = {bid for bid, c in zip(ids, COMBOS, strict=True) if c["state"] == "issued" and c["carry"] == "pending"}
    assert moved == expect
    for bid, combo in zip(ids, COMBOS, strict=True):
        assert _status(conn, bid) == (combo | {"carry": "done", "in_doubt": 0} if bid in expect else combo)
    assert state.move_many(conn, state.TRANSITIONS["carry_done"], ids) == set()  # all carried now
    with pytest.raises(ValueError):
        state.move_many(conn, state.TRANSITIONS["inherit_changes"], ids)


def test_births(conn: Connection) -> None:
    assert state.born("claim") == {"state": "pending", "origin": "online", "in_doubt": 0, "carry": "none",
                                   "is_scarlet": 0, "is_prt_paper": 0}
    assert state.born("terminal_accepted", in_doubt=True) == {
        "state": "issued", "origin": "terminal", "in_doubt": 1, "carry": "pending", "is_scarlet": 0, "is_prt_paper": 0}
    assert state.born("terminal_conflict", in_doubt=False) == {
        "state": "void", "origin": "terminal", "in_doubt": 0, "carry": "conflict", "is_scarlet": 0, "is_prt_paper": 0}
    for i, name in enumerate(("claim", "terminal_accepted", "terminal_conflict")):
        free = {} if name == "claim" else {"in_doubt": 0}
        bid = _insert(conn, state.born(name, **free), i)
        assert _status(conn, bid) == state.born(name, **free)


def test_misuse_is_refused_before_any_sql(conn: Connection) -> None:
    bid = _insert(conn, state.born("claim"))
    with pytest.raises(ValueError):  # status columns only through the transition
        state.move(conn, state.TRANSITIONS["issue"], bid, values={"carry": "done"})
    with pytest.raises(ValueError):  # not a free column of this transition
        state.move(conn, state.TRANSITIONS["issue"], bid, in_doubt=1)
    with pytest.raises(ValueError):  # free column missing
        state.move(conn, state.TRANSITIONS["issue_emergency"], bid)
    with pytest.raises(ValueError):  # not an allowed value
        state.born("terminal_accepted", in_doubt=2)
    assert _status(conn, bid)["state"] == "pending"


def test_migration_values_match_the_enums() -> None:
    mig = importlib.import_module("sync_server.store.migrations.versions.0006_bill_status_checks")
    assert mig.CHECKS == {bill_status.check_name(c): bill_status.check_sql(c) for c in bill_status.STATUS_COLUMNS}
    assert set(bill_status.ALLOWED["state"]) == set(STATES)
    assert set(bill_status.ALLOWED["origin"]) == set(ORIGINS)
    assert set(bill_status.ALLOWED["carry"]) == set(CARRIES)


def test_fresh_sqlite_database_refuses_invalid_values(conn: Connection) -> None:
    for column, bad in (("state", "released"), ("origin", "paper"), ("carry", "maybe"), ("in_doubt", 2),
                        ("is_scarlet", -1), ("is_prt_paper", 5)):
        with pytest.raises(IntegrityError, match=f"ck_bills_{column}"), conn.begin_nested():
            _insert(conn, state.born("claim") | {column: bad})


def test_change_on_a_stale_row_is_refused_at_write_time(engine: Engine) -> None:
    """his/changes.py checks the bill before calling the platform and writes after: a write-off
    that landed in between (another request) makes the write refuse instead of writing twice."""
    with engine.connect() as conn:
        bid = _insert(conn, state.born("claim") | {"total_amt": "12.50"})
        state.move(conn, state.TRANSITIONS["issue"], bid)
        stale = conn.execute(select(bills).where(bills.c.id == bid)).mappings().one()  # read before the race
        state.move(conn, state.TRANSITIONS["write_off"], bid)  # the other request's write-off
        data = {"billBatchCode": "E01", "billNo": "1", "reason": "退费", "operator": "张三",
                "busDateTime": "20260101000000000", "placeCode": "001"}
        ctx = SimpleNamespace(clock=ManualClock())
        with pytest.raises(state.TransitionRefused):
            changes.apply_local(conn, ctx, SERVER, "writeOffEBill", data, stale, None)  # type: ignore[arg-type]
        conn.rollback()
