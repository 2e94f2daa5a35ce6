"""Which server processes are alive: a lock each process holds for as long as it runs.

Pending issuing claims and running batches carry the ``instance`` id of the process that owns
them. Before one process takes over another's claim it must know the owner is dead — a killed
process's claim is taken over at once (its request may have reached the platform, so the new
owner looks the busNo up first), a live sibling's claim is waited for. Time-based heartbeats
would make a restarted server wait out the staleness window; a lock the operating system (or
PostgreSQL) drops the instant its holder dies answers at once and cannot go stale while the
holder lives:

* SQLite: an exclusive ``flock`` on ``<database>.instances/<instance>.lock``. The kernel
  releases it when the process dies, however it dies. The database is a local file, so every
  process that shares it shares this folder.
* PostgreSQL: a session-level advisory lock held on a connection of its own, visible to every
  host in ``pg_locks`` and released by the server when the session ends.

Where neither applies (Windows, an in-memory database) a process is alone by construction —
``python -m sync_server --processes N`` needs Linux — and any other owner counts as dead, the
rule single-process servers always used.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

if sys.platform == "win32":  # one server process per database (see module docstring)
    fcntl = None
else:
    import fcntl

log = logging.getLogger(__name__)
_RECHECK = 10.0  # seconds between checks that the PostgreSQL lock session is still there


def _pg_keys(instance: str) -> tuple[int, int]:
    """Two non-negative int4 keys from the instance id (``pg_locks`` shows them as oids)."""
    k = int.from_bytes(hashlib.blake2b(instance.encode(), digest_size=8).digest(), "big")
    return (k >> 31) & 0x7FFFFFFF, k & 0x7FFFFFFF


class Liveness:
    """Holds this process's liveness lock; tells whether another instance still holds its own."""

    def __init__(self, engine: Engine, instance: str) -> None:
        self.engine = engine
        self.instance = instance
        self._dir: Path | None = None
        self._fd: int | None = None
        self._pg: Any = None
        self._stop = threading.Event()
        if engine.dialect.name == "sqlite":
            db = engine.url.database
            if fcntl is not None and db and db != ":memory:":
                self._dir = Path(db + ".instances")
        self.supported = self._dir is not None or engine.dialect.name == "postgresql"

    # -- this process -----------------------------------------------------------------------
    def hold(self, start: Callable[[Callable[[threading.Event], None]], object] | None = None) -> Liveness:
        """Take this instance's lock (kept until :meth:`release` or process death).

        :param start: starts the PostgreSQL session watch (:meth:`watch`) — the server passes its
            context's thread owner, which stops and joins it at shutdown; without one the watch
            runs in a daemon thread of its own until :meth:`release`.
        """
        if self._dir is not None:
            self._dir.mkdir(parents=True, exist_ok=True)
            self._sweep()
            # Locked before it gets its name: a prober never finds this file unlocked (and
            # removes it as a dead instance's) in the moment between creating and locking it.
            tmp = self._dir / f".{self.instance}.tmp"
            self._fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(self._fd, str(os.getpid()).encode())  # for an operator looking at the folder
            os.replace(tmp, self._dir / f"{self.instance}.lock")
        elif self.engine.dialect.name == "postgresql":
            self._pg_lock()
            if start is None:
                threading.Thread(target=self.watch, args=(self._stop,), name="liveness", daemon=True).start()
            else:
                start(self.watch)
        atexit.register(self.release)  # a clean exit leaves no file for the next start to sweep
        return self

    def release(self) -> None:
        """Drop the lock at a clean shutdown (death drops it anyway); idempotent."""
        self._stop.set()
        atexit.unregister(self.release)
        if self._fd is not None:
            if self._dir is not None:  # always: the lock file descriptor is only opened in _dir
                with suppress(OSError):
                    os.unlink(self._dir / f"{self.instance}.lock")
            os.close(self._fd)
            self._fd = None
        if self._pg is not None:
            with suppress(Exception):  # closing a dead session is fine
                self._pg.close()
            self._pg = None

    def _pg_lock(self) -> None:
        # A raw DBAPI connection detached from the pool: the lock lives as long as this session,
        # and no pooled checkout may ever run (and end) a transaction on it.
        # Autocommit on the driver's own connection: otherwise the session would sit "idle in
        # transaction", which idle_in_transaction_session_timeout ends (and the lock with it).
        fairy = self.engine.raw_connection()
        fairy.detach()
        raw = fairy.dbapi_connection
        if raw is None:  # only after the pool invalidated it, never on a fresh checkout
            raise RuntimeError("the pool gave a connection without its driver connection")
        raw.rollback()
        raw.autocommit = True
        cur = raw.cursor()
        cur.execute("SELECT pg_advisory_lock(%s, %s)", _pg_keys(self.instance))
        cur.close()
        self._pg = raw

    def watch(self, stop: threading.Event) -> None:
        """Re-take the lock on a new session if the database dropped ours (restart, network), until
        ``stop`` is set (the server context's, at shutdown) or the lock released."""
        while not (stop.wait(_RECHECK) or self._stop.is_set()):
            try:
                cur = self._pg.cursor()
                cur.execute("SELECT 1")
                cur.close()
            except Exception:  # noqa: BLE001 - the session is gone; take the lock again
                log.warning("liveness session lost; taking the lock again")
                with suppress(Exception):  # already broken
                    self._pg.close()
                try:
                    self._pg_lock()
                except Exception:  # noqa: BLE001 - database still down: try at the next check
                    log.exception("could not take the liveness lock")

    def _sweep(self) -> None:
        """Remove lock files of dead instances (killed processes leave theirs behind)."""
        if self._dir is None:
            raise RuntimeError("lock files are swept only for a file database (SQLite)")
        for path in self._dir.glob("*.lock"):
            self._probe_file(path)

    # -- other processes --------------------------------------------------------------------
    def is_alive(self, instance: str | None) -> bool:
        """True while the process that took ``instance``'s lock runs (this one included)."""
        if not instance:
            return False
        if instance == self.instance:
            return True
        if self._dir is not None:
            return self._probe_file(self._dir / f"{instance}.lock")
        if self.engine.dialect.name == "postgresql":
            a, b = _pg_keys(instance)
            with self.engine.connect() as conn:
                return bool(conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :a"
                    " AND objid = :b AND objsubid = 2 AND granted"), {"a": a, "b": b}).scalar())
        return False

    @staticmethod
    def _probe_file(path: Path) -> bool:
        """True when another open file description holds the lock on ``path``; a dead holder's
        file is removed (while we hold its lock, so no second prober removes a new one)."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return True
        with suppress(OSError):
            os.unlink(path)
        os.close(fd)
        return False
