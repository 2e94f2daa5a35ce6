"""Migration 0007 (issue 14 items 4-5): a 0006 database gains ``sessions`` and the users' password
columns, keeps its users, and its existing users can then log in — SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, inspect, select, text
from ss_rig import upgrade_to

from billing_core.clock import SystemClock
from sync_server.security import sessions
from sync_server.security.auth import hash_password
from sync_server.store import schema
from sync_server.store.db import run_migrations
from sync_server.store.schema import users

pytestmark = pytest.mark.integration


def _schema_before_0007() -> MetaData:
    """schema.py as it was at revision 0006: no ``sessions``, users without the password columns."""
    old = MetaData()
    for table in schema.metadata.sorted_tables:
        if table.name != "sessions":
            table.to_metadata(old)
    old_users = old.tables["users"]
    for name in ("password_changed_at", "must_change"):
        old_users._columns.remove(old_users.c[name])  # noqa: SLF001 - a frozen copy of the old table
    return old


def test_0006_database_migrates_forward_and_its_users_log_in(empty_engine: Engine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(schema, "metadata", _schema_before_0007())
        upgrade_to(empty_engine, "0006")
    insp = inspect(empty_engine)
    assert not insp.has_table("sessions")
    assert "must_change" not in {c["name"] for c in insp.get_columns("users")}
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, display_name, role, password_hash, enabled, created_at) "
                          "VALUES (:u, :n, :r, :h, 1, :c)"),
                     {"u": "old01", "n": "老用户", "r": "finance", "h": hash_password("Old-pass-1"),
                      "c": "20260101000000000"})
    run_migrations(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
        row = conn.execute(select(users).where(users.c.username == "old01")).mappings().one()
    assert row["must_change"] == 0 and row["password_changed_at"] is None
    clock = SystemClock()
    got = sessions.login(empty_engine, clock, sessions.Policy(password_max_age_days=0), "old01", "Old-pass-1",
                         "TERM01")
    assert got["role"] == "finance" and got["mustChangePassword"] == "0"
    assert sessions.resolve(empty_engine, clock, sessions.Policy(), got["sessionToken"], "TERM01").username == "old01"
    run_migrations(empty_engine)  # idempotent at head


def _head() -> str:
    """The newest revision (migrations are numbered files: 0001_initial.py ...)."""
    import sync_server.store.migrations.versions as versions

    return max(p.name[:4] for p in Path(versions.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.py"))
