"""Migration 0013 (issue 19 §1): a 0012 database gains ``terminal_settings`` and
``terminal_status.config_version``, keeps its terminals' status rows, and runs again at head
unchanged — SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, select, text
from ss_rig import upgrade_to

from sync_server.store.db import run_migrations
from sync_server.store.emergency_schema import terminal_status

pytestmark = pytest.mark.integration


def test_0012_database_gains_the_admin_tables(empty_engine: Engine) -> None:
    upgrade_to(empty_engine, "0012")
    insp = inspect(empty_engine)
    assert not insp.has_table("terminal_settings")
    assert "config_version" not in {c["name"] for c in insp.get_columns("terminal_status")}
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO terminal_status (terminal_id, last_seen, kind) VALUES ('T9', :t, 'kiosk')"),
                     {"t": "20261203080000000"})
    run_migrations(empty_engine)
    insp = inspect(empty_engine)
    assert insp.has_table("terminal_settings")
    assert {"name", "value_json", "version", "updated_at", "updated_by"} <= \
        {c["name"] for c in insp.get_columns("terminal_settings")}
    with empty_engine.connect() as conn:
        row = conn.execute(select(terminal_status).where(terminal_status.c.terminal_id == "T9")).mappings().one()
    assert row["kind"] == "kiosk" and row["config_version"] is None
    run_migrations(empty_engine)  # idempotent at head
