"""Fixtures of the server's socket-free tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sync_server.store.db import make_engine, run_migrations, sqlite_url


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A server database migrated to head in a temporary SQLite file."""
    eng = make_engine(sqlite_url(tmp_path / "s.db"))
    run_migrations(eng)
    yield eng
    eng.dispose()
