"""``store.migrations.HEAD`` is the newest revision of ``versions/``, and a start on a database
left at another revision is refused (E5029): what the bundles' ``--self-test`` relies on."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

import sync_server.store.migrations as migrations
from sync_server.store.db import SchemaVersionError, make_engine, run_migrations

pytestmark = pytest.mark.unit


def test_head_constant_is_the_newest_migration() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(cfg).get_heads() == [migrations.HEAD]


def test_a_database_short_of_head_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    run_migrations(engine)  # at HEAD: starts
    monkeypatch.setattr(migrations, "HEAD", "9999")  # as if the code needed a migration the files lack
    with pytest.raises(SchemaVersionError) as err:
        run_migrations(engine)
    assert err.value.code == "E5029" and "9999" in str(err.value)
    engine.dispose()
