"""The insurance settlement's state machine (sync_server/insurance/state.py) on a database built
by the real migrations: every transition from every state; allowed ones write their target and
``live_psn`` (set exactly in the open states), refused ones write nothing; the UNIQUE
``live_psn`` keeps one open settlement per person; the CHECK constraint refuses unknown states.
The expectations are written out by hand, not read from the module."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from billing_core.clock import ManualClock
from sync_server.insurance import state
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import make_engine, run_migrations, sqlite_url
from sync_server.store.insurance_schema import ins_settlements

pytestmark = pytest.mark.unit

ALL = ("registered", "fees_uploaded", "pre_settled", "settling", "settled", "cancelled", "reversed", "in_doubt",
       "cancelling", "cancel_in_doubt", "closed")
OPEN = {"registered", "fees_uploaded", "pre_settled", "settling", "in_doubt"}
EXPECTED = {
    "upload_fees": ({"registered", "fees_uploaded", "pre_settled"}, "fees_uploaded"),
    "pre_settle": ({"fees_uploaded", "pre_settled"}, "pre_settled"),
    "begin_settle": ({"pre_settled"}, "settling"),
    "settled": ({"settling", "in_doubt"}, "settled"),
    "settle_refused": ({"settling"}, "pre_settled"),
    "doubt": ({"settling"}, "in_doubt"),
    "doubt_cleared": ({"settling", "in_doubt"}, "pre_settled"),
    "reverse": ({"settled"}, "reversed"),
    "abandon": ({"registered", "fees_uploaded", "pre_settled"}, "cancelled"),
    # a settlement's cancel, recorded in flight like the settlement (migration 0013's states)
    "begin_cancel": ({"settled"}, "cancelling"),
    "cancel_done": ({"cancelling", "cancel_in_doubt"}, "cancelled"),
    "cancel_refused": ({"cancelling"}, "settled"),
    "cancel_doubt": ({"cancelling"}, "cancel_in_doubt"),
    "cancel_cleared": ({"cancelling", "cancel_in_doubt"}, "settled"),
    # the way back: fee details, then the registration
    "fees_cancelled_some": ({"fees_uploaded", "pre_settled"}, "fees_uploaded"),
    "fees_cancelled_all": ({"fees_uploaded", "pre_settled"}, "registered"),
    "close": ({"registered", "cancelled", "reversed"}, "closed"),
}


CLOCK = ManualClock()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database for the module (each case uses its own person)."""
    eng = make_engine(sqlite_url(tmp_path_factory.mktemp("ins_state") / "s.db"))
    run_migrations(eng)
    yield eng
    eng.dispose()


def _audit(conn: Connection) -> None:
    audit(conn, CLOCK, SERVER, "test", "ins_settlement", None)  # the store's audit guard wants one


def _row(engine: Engine, st: str, psn: str) -> int:
    with engine.begin() as conn:
        _audit(conn)
        return int(conn.execute(insert(ins_settlements).values(
            visit="outpatient", state=st, psn_no=psn, live_psn=psn if st in OPEN else None, insuplc_admdvs="440300",
            insutype="310", mdtrt_id="M", ipt_otp_no="O", settle_attempts=0, caller="T", opter="OP",
            request_json="{}", created_at="0", updated_at="0")).inserted_primary_key[0])


def test_the_table_is_the_one_written_out_here() -> None:
    assert {n: (set(t.guard), t.to) for n, t in state.TRANSITIONS.items()} == EXPECTED


@pytest.mark.parametrize(("name", "start"), list(itertools.product(sorted(EXPECTED), ALL)))
def test_every_transition_from_every_state(engine: Engine, name: str, start: str) -> None:
    psn = f"P-{name}-{start}"
    sid = _row(engine, start, psn)
    guard, target = EXPECTED[name]
    with engine.begin() as conn:
        _audit(conn)
        if start in guard:
            state.move(conn, sid, name, psn, note="x")
        else:
            with pytest.raises(state.TransitionRefused):
                state.move(conn, sid, name, psn, note="x")
    with engine.begin() as conn:
        got = conn.execute(select(ins_settlements.c.state, ins_settlements.c.live_psn, ins_settlements.c.note)
                           .where(ins_settlements.c.id == sid)).one()
    if start in guard:
        assert tuple(got) == (target, psn if target in OPEN else None, "x")
    else:
        assert tuple(got) == (start, psn if start in OPEN else None, None)


def test_one_open_settlement_per_person(engine: Engine) -> None:
    first = _row(engine, "registered", "P1")
    with pytest.raises(IntegrityError):
        _row(engine, "pre_settled", "P1")
    _row(engine, "settled", "P1")  # closed settlements do not hold the person
    with engine.begin() as conn:
        _audit(conn)
        state.move(conn, first, "abandon", "P1")
    again = _row(engine, "registered", "P1")  # free again
    with engine.begin() as conn:
        _audit(conn)
        state.move(conn, again, "abandon", "P1")


def test_update_values_keeps_the_state_or_refuses(engine: Engine) -> None:
    sid = _row(engine, "cancelled", "P3")
    with engine.begin() as conn:
        _audit(conn)
        state.update_values(conn, sid, "cancelled", note="fees gone")
        with pytest.raises(state.TransitionRefused):
            state.update_values(conn, sid, "settled", note="never")
    with engine.begin() as conn:
        got = conn.execute(select(ins_settlements.c.state, ins_settlements.c.note).where(ins_settlements.c.id == sid)).one()
    assert tuple(got) == ("cancelled", "fees gone")


def test_unknown_state_is_refused_by_the_database(engine: Engine) -> None:
    sid = _row(engine, "registered", "P2")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _audit(conn)
        conn.execute(update(ins_settlements).where(ins_settlements.c.id == sid).values(state="paid"))
