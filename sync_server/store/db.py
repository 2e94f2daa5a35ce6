"""Engine creation, migrations at startup, and write transactions with the audit guard.

SQLite (default) runs in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE`` so that two writers never deadlock upgrading a read lock (the
pysqlite default of deferred transactions does); writers queue for the file first
(:class:`WriterQueue`) and share one commit when several are queued (store/group_commit.py).
PostgreSQL is used when ``DATABASE_URL``
names it; ``DATABASE_SCHEMA`` (optional) isolates one installation or test run in its own
schema through ``search_path``.

The audit guard (DESIGN.md §3 "every state change lands in an audit log"): every INSERT,
UPDATE or DELETE on an audited table is noted on the connection, and a commit that carries
such a change without an INSERT into ``audit_log`` raises :class:`AuditMissingError`, so the
transaction rolls back instead of committing an unaudited change.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, insert, select, text
from sqlalchemy.pool import NullPool, QueuePool

from sync_server.errors import ServerError
from sync_server.store.group_commit import GroupCommit
from sync_server.store.schema import AUDITED, DATA_KEY_CHECK, settings
from sync_server.store.sealing import DataKeyError, Sealer

if sys.platform == "win32":  # one server process, threads queue on the Python lock alone
    fcntl = None
else:
    import fcntl

_local = threading.local()


class SchemaVersionError(ServerError):
    """After the migrations the database is not at the revision this code needs."""

    code = "E5029"
    default_message = "数据库结构版本与程序不符"


class AuditMissingError(ServerError):
    """A transaction changed an audited table without writing its audit row."""

    code = "E5027"
    default_message = "状态变更缺少审计记录，已回滚"


def pg_application_name(schema: str | None) -> str:
    """The PostgreSQL application_name of every session of the installation in ``schema``."""
    return f"sync_server:{schema or 'public'}"[:63]


def make_engine(url: str, schema: str | None = None, pool_size: int = 20) -> Engine:
    """Create the engine for ``url`` (sqlite:///path or postgresql+psycopg://...)."""
    if url.startswith("sqlite"):
        # hide_parameters: a failed statement's log line and error never show the values it bound
        # (personal data, keys; issue 14)
        engine = create_engine(url, poolclass=QueuePool, pool_size=pool_size, max_overflow=40, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": 30,
                                             "isolation_level": None})
        _sqlite_events(engine)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        # the application name tells which installation a session belongs to (pg_stat_activity):
        # ``admin restore`` refuses while a server of the same schema is connected
        engine = create_engine(url, pool_size=pool_size, max_overflow=40, pool_pre_ping=True, hide_parameters=True,
                               connect_args={"application_name": pg_application_name(schema)})
        if schema:
            _pg_schema_events(engine, schema)
    _audit_events(engine)
    return engine


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before its answer leaves (an emergency number answered S0000
        # must survive power loss; NORMAL in WAL mode could drop the last commits, issue 14).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "BEGIN IMMEDIATE" if getattr(_local, "immediate", False) else "BEGIN"
        conn.exec_driver_sql(mode)


def _pg_schema_events(engine: Engine, schema: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        cur.execute(f'SET search_path TO "{schema}"')
        cur.close()
        dbapi_conn.commit()


def _audit_events(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _reset(conn: Connection) -> None:
        conn.info["_written"] = set()

    # after_cursor_execute: a statement that failed (e.g. a unique violation inside a savepoint)
    # changed nothing and must not demand an audit row; neither does an UPDATE matching no row.
    @event.listens_for(engine, "after_cursor_execute")
    def _note(conn: Connection, cursor: Any, _stmt: str, _params: Any, context: Any, _many: bool) -> None:
        if context is None or context.compiled is None or cursor.rowcount == 0:
            return
        if context.isinsert or context.isupdate or context.isdelete:
            table = getattr(context.compiled.statement, "table", None)
            name = getattr(table, "name", None)
            if name:
                conn.info.setdefault("_written", set()).add(name)

    @event.listens_for(engine, "commit")
    def _check(conn: Connection) -> None:
        check_audited(conn)

    @event.listens_for(engine, "rollback")
    def _clear(conn: Connection) -> None:
        conn.info["_written"] = set()


def check_audited(conn: Connection) -> None:
    """The audit guard: the changes noted on ``conn`` since the last check include an audit row
    if they touched an audited table (raises :class:`AuditMissingError` otherwise)."""
    written: set[str] = conn.info.get("_written", set())
    conn.info["_written"] = set()
    if written & AUDITED and "audit_log" not in written:
        raise AuditMissingError(f"状态变更缺少审计记录（表：{'、'.join(sorted(written & AUDITED))}），已回滚")


class WriterQueue:
    """Queues the SQLite writers of one database: threads of this process on a Python lock, and
    the processes sharing the file (``--processes N``, a worker process, the admin CLI) on an
    ``flock`` of ``<database>.writer``.

    SQLite allows one writer at a time and makes the others retry in its busy handler, which
    sleeps up to 100 ms per retry under contention — the tail latency of the issuing benchmark.
    Writers that wait here are woken the moment the lock is free instead. SQLite's own locking
    still guarantees correctness for anyone who does not queue here.
    """

    def __init__(self, database: str | None) -> None:
        self._thread = threading.Lock()
        self._path = database + ".writer" if fcntl is not None and database and database != ":memory:" else None
        self._fd: int | None = None
        self._pid = 0

    def acquire_thread(self) -> None:
        """Queue behind this process's other writers."""
        self._thread.acquire()

    def release_thread(self) -> None:
        """Let this process's next writer in."""
        self._thread.release()

    def acquire_file(self) -> None:
        """Queue behind the other processes' writers (held while a transaction is open)."""
        if self._path is None:
            return
        if self._pid != os.getpid():  # a forked child must not share its parent's lock
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        fd = self._fd
        if fd is None:  # set just above or by an earlier call in this process
            raise RuntimeError(f"writer lock file {self._path} is not open")
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks without the GIL

    def release_file(self) -> None:
        """Let the other processes' writers in."""
        if self._path is not None and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


_committers: dict[str | int, GroupCommit] = {}
_committers_guard = threading.Lock()


def _begin_immediate(engine: Engine) -> tuple[Connection, Any]:
    """A connection of ``engine`` in a ``BEGIN IMMEDIATE`` transaction (a group's transaction)."""
    conn = engine.connect()
    _local.immediate = True
    try:
        return conn, conn.begin()
    except BaseException:
        conn.close()
        raise
    finally:
        _local.immediate = False


def _committer(engine: Engine) -> GroupCommit | None:
    """The group committer of a SQLite engine's database file (shared by every engine of this
    process on that file); None on PostgreSQL (row locks, many writers, its own group commit)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    key: str | int = os.path.abspath(database) if database and database != ":memory:" else id(engine)
    with _committers_guard:
        committer = _committers.get(key)
        if committer is None:
            committer = _committers[key] = GroupCommit(WriterQueue(database), _begin_immediate, check_audited)
        return committer


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction; returns once it is committed (durably: ``synchronous=FULL``).

    On SQLite the body runs in a savepoint of a transaction shared with the writers queued
    behind it, committed once for all (store/group_commit.py); on PostgreSQL it is a
    transaction of its own.
    """
    committer = _committer(engine)
    if committer is not None:
        with committer.transaction(engine) as conn:
            yield conn
        return
    with engine.begin() as conn:
        yield conn


def inserted_id(result: CursorResult[Any]) -> int:
    """The integer primary key of the row a single-row INSERT just added.

    :raises RuntimeError: the statement was not a single-row INSERT (no primary key to report).
    """
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row with a primary key")
    return int(key[0])


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction."""
    with engine.begin() as conn:
        yield conn


def run_migrations(engine: Engine) -> None:
    """Apply every Alembic migration up to head (called at startup; idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.connect() as conn:
        # SQLite rebuilds a table to change its constraints (migration 0006): with foreign keys
        # on, dropping the old table counts every referencing row as a violation. They can only
        # be switched off outside a transaction; the migration runs PRAGMA foreign_key_check.
        raw = conn.connection.driver_connection if engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        _local.immediate = True
        try:
            with conn.begin():
                _local.immediate = False
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        finally:
            _local.immediate = False
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
    from sync_server.store.migrations import HEAD

    with engine.connect() as conn:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    if revision != HEAD:
        raise SchemaVersionError(f"数据库结构版本为 {revision}，程序需要 {HEAD}：迁移文件缺失或程序版本过旧，请重新安装")


def check_data_key(engine: Engine, sealer: Sealer) -> None:
    """Record the data key's check value on first start; refuse a start with another key (the
    sealed personal data could not be read back: a data dir or SYNC_DATA_KEY mix-up)."""
    with write_tx(engine) as conn:
        stored = conn.execute(select(settings.c.value).where(settings.c.name == DATA_KEY_CHECK)).scalar()
        if stored is None:
            conn.execute(insert(settings).values(name=DATA_KEY_CHECK, value=sealer.check))
        elif stored != sealer.check:
            raise DataKeyError("数据密钥与数据库不符：请使用加密这些数据时的 keys/data.key 或 SYNC_DATA_KEY")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def ping(engine: Engine) -> bool:
    """True when the database answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - health check reports, never raises
        return False


__all__ = ["AuditMissingError", "NullPool", "make_engine", "ping", "read_tx", "run_migrations",
           "sqlite_url", "write_tx"]
