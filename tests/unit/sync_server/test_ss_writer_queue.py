"""SQLite writers queue across processes on ``<database>.writer`` (store.db.WriterQueue): held
exactly for the length of a write transaction, by any engine of the process on that file."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from sync_server.store.db import make_engine, read_tx, write_tx

pytestmark = pytest.mark.unit


def held_by_someone(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops our lock if we got it
    return False


def test_the_writer_lock_spans_exactly_the_write_transaction(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    engine = make_engine(f"sqlite:///{db}")
    with write_tx(engine) as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        assert held_by_someone(Path(f"{db}.writer"))
    assert not held_by_someone(Path(f"{db}.writer"))
    with read_tx(engine) as conn:  # readers never queue
        conn.execute(text("SELECT COUNT(*) FROM t")).scalar()
        assert not held_by_someone(Path(f"{db}.writer"))
    with pytest.raises(RuntimeError):
        with write_tx(engine) as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("rolled back")
    assert not held_by_someone(Path(f"{db}.writer")), "released after a failed transaction"
    other = make_engine(f"sqlite:///{db}")  # a second engine on the same file shares the queue
    with write_tx(other) as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        assert held_by_someone(Path(f"{db}.writer"))
    with read_tx(engine) as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [2]
    engine.dispose()
    other.dispose()
