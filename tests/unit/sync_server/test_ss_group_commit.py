"""Group commit of SQLite writers (store/group_commit.py): queued writers share one COMMIT, each
returns only once its rows are committed, and one writer's failure touches no one else's rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, column, event, insert, table, text

from sync_server.store import db as store_db
from sync_server.store.db import AuditMissingError, make_engine, read_tx, write_tx
from sync_server.store.group_commit import GroupCommitError

pytestmark = pytest.mark.unit


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with write_tx(eng) as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
    yield eng
    eng.dispose()


def commits(engine: Engine) -> list[int]:
    """A list that grows by one per write transaction (group) begun on ``engine``'s file."""
    committer = store_db._committer(engine)
    assert committer is not None
    seen: list[int] = []
    begin = committer._begin

    def counting(eng: Engine) -> tuple[object, object]:
        seen.append(1)
        return begin(eng)

    committer._begin = counting  # type: ignore[assignment]
    return seen


def rows(engine: Engine) -> list[int]:
    with read_tx(engine) as conn:
        return [int(n) for n in conn.execute(text("SELECT n FROM t ORDER BY n")).scalars()]


def queued(engine: Engine, count: int, timeout: float = 10.0) -> None:
    """Wait until ``count`` writers queue behind the one holding the database."""
    committer = store_db._committer(engine)
    assert committer is not None
    deadline = time.monotonic() + timeout
    while committer._queued < count:
        assert time.monotonic() < deadline, "the other writers never queued"
        time.sleep(0.005)


def run_group(engine: Engine, bodies: list[Callable[[int], None]]) -> list[BaseException | None]:
    """Writer 0 holds the database until every other writer has queued, then all finish;
    each writer's outcome (None or its exception), and a check that it saw its row committed."""
    outcomes: list[BaseException | None] = [None] * len(bodies)

    def writer(i: int) -> None:
        try:
            with write_tx(engine) as conn:
                conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": i})
                if i == 0:
                    queued(engine, len(bodies) - 1)
                bodies[i](i)
            assert i in rows(engine), f"writer {i} returned before its row was committed"
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[i] = exc

    first = threading.Thread(target=writer, args=(0,))
    first.start()
    while store_db._committer(engine)._open is None:  # type: ignore[union-attr]
        time.sleep(0.001)
    others = [threading.Thread(target=writer, args=(i,)) for i in range(1, len(bodies))]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(30)
    return outcomes


def ok(_i: int) -> None:
    return None


def test_queued_writers_share_one_commit_and_each_returns_committed(engine: Engine) -> None:
    seen = commits(engine)
    outcomes = run_group(engine, [ok] * 6)
    assert outcomes == [None] * 6
    assert rows(engine) == [0, 1, 2, 3, 4, 5]
    assert len(seen) < 6, f"{len(seen)} commits for 6 queued writers: no group formed"


def test_an_idle_database_commits_each_writer_at_once(engine: Engine) -> None:
    seen = commits(engine)
    for n in range(3):
        with write_tx(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        assert rows(engine)[-1] == n
    assert len(seen) == 3


def test_a_failing_writer_is_rolled_back_alone(engine: Engine) -> None:
    def fail(_i: int) -> None:
        raise ValueError("refused")

    outcomes = run_group(engine, [ok, fail, ok, fail])
    assert isinstance(outcomes[1], ValueError) and isinstance(outcomes[3], ValueError)
    assert outcomes[0] is None and outcomes[2] is None
    assert rows(engine) == [0, 2]


def test_a_failing_first_writer_ends_its_group_and_the_queued_ones_commit(engine: Engine) -> None:
    def fail(_i: int) -> None:
        raise ValueError("refused")

    outcomes = run_group(engine, [fail, ok, ok])
    assert isinstance(outcomes[0], ValueError) and outcomes[1:] == [None, None]
    assert rows(engine) == [1, 2]


def test_the_audit_guard_holds_per_writer(engine: Engine) -> None:
    with write_tx(engine) as conn:
        conn.execute(text("CREATE TABLE bills (id INTEGER PRIMARY KEY)"))  # an audited table name

    def unaudited(_i: int) -> None:
        with store_db._committer(engine)._open.conn.begin_nested():  # type: ignore[union-attr]
            pass
        store_db._committer(engine)._open.conn.info.setdefault("_written", set()).add("bills")  # type: ignore[union-attr]

    outcomes = run_group(engine, [ok, unaudited, ok])
    assert isinstance(outcomes[1], AuditMissingError)
    assert rows(engine) == [0, 2]


def test_a_rolled_back_unaudited_change_does_not_fail_the_group(engine: Engine) -> None:
    """A writer that changed an audited table and then failed leaves nothing to audit: the
    group's commit must not count its rolled-back change (the write-off race of issue 14 §6)."""
    with write_tx(engine) as conn:
        conn.execute(text("CREATE TABLE red_bills (id INTEGER PRIMARY KEY)"))

    def change_then_fail(i: int) -> None:
        conn = store_db._committer(engine)._open.conn  # type: ignore[union-attr]
        conn.execute(insert(table("red_bills", column("id"))).values(id=i))  # Core: the guard notes it
        assert "red_bills" in conn.info["_written"]
        raise ValueError("refused after the change")

    outcomes = run_group(engine, [ok, change_then_fail])  # the failing writer is the group's last
    assert isinstance(outcomes[1], ValueError) and outcomes[0] is None
    assert rows(engine) == [0]


def test_a_failed_commit_is_reported_to_every_writer_of_the_group(engine: Engine) -> None:
    def refuse_commit(_conn: object) -> None:
        raise RuntimeError("disk full")

    event.listen(engine, "commit", refuse_commit)
    try:
        outcomes = run_group(engine, [ok, ok, ok])
    finally:
        event.remove(engine, "commit", refuse_commit)
    assert all(isinstance(o, (GroupCommitError, RuntimeError)) for o in outcomes), outcomes
    assert sum(isinstance(o, GroupCommitError) for o in outcomes) >= 1
    assert rows(engine) == []
    with write_tx(engine) as conn:  # the database is usable again
        conn.execute(text("INSERT INTO t VALUES (9)"))
    assert rows(engine) == [9]


def test_a_second_engine_on_the_file_gets_its_own_transaction(engine: Engine, tmp_path: Path) -> None:
    other = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    try:
        with write_tx(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        with write_tx(other) as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        assert rows(engine) == [1, 2]
    finally:
        other.dispose()
