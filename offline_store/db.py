"""The terminal's SQLite database: one connection, WAL, ``synchronous=FULL``, savepoint ``atomic()``.

Built on sqlite-utils (the product's chosen library, STYLE.md note and issue 7 §1) over one stdlib
:mod:`sqlite3` connection: its ``Database.atomic()`` (BEGIN at top level, SAVEPOINT when nested,
rollback that never masks the original error) and its named ``Migrations`` recorded in
``_sqlite_migrations``. This class adds the pragmas, a lock so that the threads of one process
share the connection safely, and small query helpers.

Durability (offline_rules.md §6.5, "survives power loss"; Odoo #125037 lost orders kept in
browser storage): the journal of emergency bills is the legal record of numbers handed to
patients, so every commit is flushed to disk (``synchronous=FULL`` in WAL mode syncs the WAL on
each commit). A bill is committed *before* its notice is printed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from billing_core.envelope import dumps, loads
from offline_store.errors import StoreError
from offline_store.migrations import MIGRATIONS, apply_migrations

Params = Sequence[Any] | Mapping[str, Any]


class Database:
    """A terminal database file (or ``":memory:"`` in unit tests).

    One connection shared by the threads of one process, guarded by a re-entrant lock: SQLite
    serialises writers anyway, and a single connection keeps ``atomic()`` nesting meaningful.
    Migrations are applied when the database is opened.

    :param path: the database file; parent directories are created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit BEGIN from the sqlite3 module; transactions are
            # sqlite-utils' atomic() only, and statements outside it autocommit.
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                         timeout=30.0)
        except sqlite3.Error as exc:
            raise StoreError(f"无法打开本地数据库：{self.path}（{exc}）") from exc
        self._conn.row_factory = sqlite3.Row
        self.utils = sqlite_utils.Database(self._conn, execute_plugins=False)
        self._lock = threading.RLock()
        #: Held by a caller that must check-then-write without another thread in between
        #: (e.g. a limit check followed by the emergency bill's transaction).
        self.lock = self._lock
        self._closed = False
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self.applied_now = apply_migrations(self, MIGRATIONS)

    # --- transactions ----------------------------------------------------------------------

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction or, when nested, a savepoint (sqlite-utils ``atomic()``).

        On an exception the innermost level is rolled back and the exception propagates
        unchanged. The process-wide lock is held throughout, so another thread's statements
        never land inside this transaction.
        """
        with self._lock:
            if self._closed:
                raise StoreError("本地数据库已关闭")
            with self.utils.atomic():
                yield self

    @property
    def in_transaction(self) -> bool:
        """True inside :meth:`atomic`."""
        return self._conn.in_transaction

    # --- statements ------------------------------------------------------------------------

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run one statement (autocommits when not inside :meth:`atomic`)."""
        with self._lock:
            return self._conn.execute(sql, params)

    def one(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row of a query, or None."""
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Every row of a query."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    def pragma(self, name: str) -> Any:
        """Read a PRAGMA (tests check WAL and synchronous)."""
        return self.scalar(f"PRAGMA {name}")

    # --- small key/value settings -------------------------------------------------------------

    def get_value(self, key: str, default: Any = None) -> Any:
        """A JSON value from the ``kv`` table."""
        text = self.scalar("SELECT value FROM kv WHERE key = ?", (key,))
        return default if text is None else loads(text)

    def set_value(self, key: str, value: Any) -> None:
        """Store a JSON value in the ``kv`` table (Decimals as strings)."""
        self.execute("INSERT INTO kv(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (key, dumps(value)))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()


def to_json(value: Any) -> str:
    """JSON text for a stored document (Decimals as strings, never float)."""
    return dumps(value)


def from_json(text: str | None) -> Any:
    """Parse stored JSON (non-integers as Decimal)."""
    return None if text is None else loads(text)


__all__ = ["Database", "from_json", "to_json"]
