"""Group commit for SQLite write transactions: several writers, one ``COMMIT`` (one fsync).

With ``synchronous=FULL`` (issue 14: an answered emergency number must survive power loss)
every SQLite commit waits for an fsync of the WAL, and SQLite has one writer at a time, so the
writers of a busy server queue behind each other's fsyncs: the issuing benchmark lost a third of
its throughput to them. Databases solve this with group commit (PostgreSQL's ``commit_delay``,
InnoDB's binlog group commit) and so does this module, for the writers of one process:

* writers queue for the database as before (:class:`~sync_server.store.db.WriterQueue`: a
  thread lock, and an ``flock`` shared with the other processes on the file);
* the first writer of a group opens the connection and ``BEGIN IMMEDIATE``; each later writer's
  ``with write_tx(...)`` body runs in its own ``SAVEPOINT``, released on success and rolled
  back on failure, so one writer's failure never touches another's rows (a failing first
  writer rolls back the transaction, which holds nothing else, and the next one begins anew);
* a writer that finishes while others are already queued hands the open transaction on and
  waits; the writer that finds nobody queued (or the group full) commits for all and wakes them.

Nobody returns from ``write_tx`` before its rows are durable: a waiting writer learns the
commit's outcome and raises :class:`GroupCommitError` if the commit failed, so an answer is never
sent for rows that were not committed. No writer waits for a writer that has not started yet —
a group only grows while writers are queued, so an idle server commits each transaction at once.

The audit guard (store/db.py) is checked per writer, when its savepoint is released: a writer
that changed an audited table without its audit row is rolled back alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from sync_server.errors import ServerError

#: Writers per group at most: bounds the latency the first writer of a busy group waits.
MAX_GROUP = 16


class GroupCommitError(ServerError):
    """The shared commit of a group of writers failed: this writer's rows were not committed."""

    code = "E5028"
    default_message = "数据库提交失败，本次操作未生效"


class Queue(Protocol):
    """The writer queue of a database file (store.db.WriterQueue)."""

    def acquire_thread(self) -> None: ...
    def release_thread(self) -> None: ...
    def acquire_file(self) -> None: ...
    def release_file(self) -> None: ...


class _Group:
    """One open transaction shared by the writers of a group."""

    __slots__ = ("engine", "conn", "tx", "members", "ended", "broken", "error", "done")

    def __init__(self, engine: Engine, conn: Connection, tx: Any) -> None:
        self.engine = engine
        self.conn = conn
        self.tx = tx
        self.members = 0  # writers whose changes were released into this transaction
        self.ended = False  # its first writer failed: roll back, start anew
        self.broken: BaseException | None = None  # a savepoint could not be rolled back
        self.error: BaseException | None = None  # the commit's failure, for every member
        self.done = threading.Event()


class GroupCommit:
    """The group committer of one SQLite database file (shared by every engine on it)."""

    def __init__(self, queue: Queue, begin: Callable[[Engine], tuple[Connection, Any]],
                 check: Callable[[Connection], None]) -> None:
        """:param queue: the file's writer queue (thread lock + flock).
        :param begin: opens a connection and its ``BEGIN IMMEDIATE`` transaction.
        :param check: the audit guard of one writer's changes (raises to roll them back)."""
        self._queue = queue
        self._begin = begin
        self._check = check
        self._mutex = threading.Lock()
        self._queued = 0  # writers waiting for the queue's thread lock
        self._open: _Group | None = None

    @contextmanager
    def transaction(self, engine: Engine) -> Iterator[Connection]:
        """One writer's part of a group: its body in a savepoint; returns once committed."""
        group = self._join(engine)
        # The first writer of a group needs no savepoint: if it fails, the whole (otherwise
        # empty) transaction is rolled back and the group ends (a savepoint costs ~0.2 ms).
        savepoint = group.conn.begin_nested() if group.members else None
        group.conn.info["_written"] = set()
        released = False
        try:
            yield group.conn
            self._check(group.conn)
            if savepoint is not None:
                savepoint.commit()
            released = True
        finally:
            if released:
                group.members += 1
            elif savepoint is None:
                group.ended = True  # _finish rolls the transaction back: it holds nothing else
            else:
                try:
                    savepoint.rollback()
                except BaseException as exc:  # noqa: BLE001 - the whole group is rolled back below
                    group.broken = exc
                group.conn.info["_written"] = set()  # its rolled-back changes need no audit row
            leader = self._leave(group)
        if not leader:
            group.done.wait()
        if group.error is not None:
            raise GroupCommitError(f"数据库提交失败，本次操作未生效：{type(group.error).__name__}") from group.error

    def _join(self, engine: Engine) -> _Group:
        """Queue for the database; the open group (or a new one). Holds the queue on return."""
        with self._mutex:
            self._queued += 1
        self._queue.acquire_thread()
        with self._mutex:
            self._queued -= 1
        try:
            group = self._open
            if group is not None and group.engine is not engine:
                self._finish(group)  # another engine on this file: its own connection, its own group
                group = None
            if group is None:
                self._queue.acquire_file()
                try:
                    conn, tx = self._begin(engine)
                except BaseException:
                    self._queue.release_file()
                    raise
                group = self._open = _Group(engine, conn, tx)
            return group
        except BaseException:
            self._queue.release_thread()
            raise

    def _leave(self, group: _Group) -> bool:
        """Hand the group on to a queued writer, or commit it; True when this writer committed
        (or its group was already finished for it). Releases the queue."""
        try:
            with self._mutex:
                queued = self._queued
            if group.ended or group.broken is not None or queued == 0 or group.members >= MAX_GROUP:
                self._finish(group)
                return True
            return False
        finally:
            self._queue.release_thread()

    def _finish(self, group: _Group) -> None:
        """Commit (or roll back) the group, close its connection, release the file, wake its writers."""
        try:
            if group.broken is not None:
                group.error = group.broken
                group.tx.rollback()
            elif group.members == 0:
                group.tx.rollback()  # nothing to keep: every writer of it failed
            else:
                group.tx.commit()
        except BaseException as exc:  # noqa: BLE001 - told to every member of the group
            group.error = group.error or exc
            try:
                group.tx.rollback()
            except BaseException:  # noqa: BLE001 - the connection is discarded below anyway
                group.conn.invalidate()
        finally:
            self._open = None
            try:
                group.conn.close()
            finally:
                self._queue.release_file()
                group.done.set()
