"""Engine creation, migrations at startup, and write transactions with the audit guard.

SQLite (default) runs in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE`` so that two writers never deadlock upgrading a read lock (the
pysqlite default of deferred transactions does). PostgreSQL is used when ``DATABASE_URL``
names it; ``DATABASE_SCHEMA`` (optional) isolates one installation or test run in its own
schema through ``search_path``.

The audit guard (DESIGN.md §3 "every state change lands in an audit log"): every INSERT,
UPDATE or DELETE on an audited table is noted on the connection, and a commit that carries
such a change without an INSERT into ``audit_log`` raises :class:`AuditMissingError`, so the
transaction rolls back instead of committing an unaudited change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool, QueuePool

from sync_server.errors import ServerError
from sync_server.store.schema import AUDITED

_local = threading.local()


class AuditMissingError(ServerError):
    """A transaction changed an audited table without writing its audit row."""

    code = "E5027"
    default_message = "状态变更缺少审计记录，已回滚"


def make_engine(url: str, schema: str | None = None, pool_size: int = 20) -> Engine:
    """Create the engine for ``url`` (sqlite:///path or postgresql+psycopg://...)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=QueuePool, pool_size=pool_size, max_overflow=40,
                               connect_args={"check_same_thread": False, "timeout": 30,
                                             "isolation_level": None})
        _sqlite_events(engine)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, pool_size=pool_size, max_overflow=40, pool_pre_ping=True)
        if schema:
            _pg_schema_events(engine, schema)
    _audit_events(engine)
    return engine


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (only power loss can drop the last commits).
        cur.execute("PRAGMA synchronous=NORMAL")
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
        written: set[str] = conn.info.get("_written", set())
        conn.info["_written"] = set()
        if written & AUDITED and "audit_log" not in written:
            raise AuditMissingError(f"状态变更缺少审计记录（表：{'、'.join(sorted(written & AUDITED))}），已回滚")

    @event.listens_for(engine, "rollback")
    def _clear(conn: Connection) -> None:
        conn.info["_written"] = set()


_write_locks: dict[int, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """SQLite has one writer at a time; queueing writers of this process on a fair Python lock
    avoids SQLite's busy handler, which sleeps up to 100 ms per retry under contention."""
    if engine.dialect.name != "sqlite":
        return None
    with _write_locks_guard:
        return _write_locks.setdefault(id(engine), threading.Lock())


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (``BEGIN IMMEDIATE`` on SQLite); commits on success."""
    lock = _writer_lock(engine)
    if lock is not None:
        lock.acquire()
    _local.immediate = True
    try:
        with engine.begin() as conn:
            _local.immediate = False
            yield conn
    finally:
        _local.immediate = False
        if lock is not None:
            lock.release()


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
    _local.immediate = True
    try:
        with engine.begin() as conn:
            _local.immediate = False
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        _local.immediate = False


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
