"""Helpers of the upgrade tests: the fixture manifest, old databases copied to tmp, PostgreSQL dumps
restored into a fresh schema."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from tests.rigs.stack import ensure_postgres, ensure_test_database

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
#: the schema make_fixtures.py dumps PostgreSQL fixtures from (renamed on restore)
DUMP_SCHEMA = "upg_fixture"


def manifest() -> dict[str, Any]:
    """tests/fixtures/upgrade/manifest.json (what each fixture holds)."""
    return dict(json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8")))


def gunzip(src: Path, dest: Path) -> Path:
    """Unpack a gzipped fixture file to ``dest``; returns ``dest``."""
    with gzip.open(src, "rb") as packed, open(dest, "wb") as out:
        shutil.copyfileobj(packed, out)
    return dest


def copy_server(entry: dict[str, Any], dest: Path) -> Path:
    """A server fixture's data dir (database, paired terminal store, keys) copied to ``dest`` with
    its SQLite files unpacked; returns ``dest``."""
    shutil.copytree(FIXTURES / entry["path"], dest)
    for packed in list(dest.glob("*.gz")):
        gunzip(packed, packed.with_suffix(""))
        packed.unlink()
    for f in dest.rglob("*"):  # the server refuses key files others can read (0600/0700)
        f.chmod(0o700 if f.is_dir() else 0o600)
    dest.chmod(0o700)
    return dest


def restore_pg(entry: dict[str, Any]) -> str:
    """Restore a PostgreSQL fixture's dump into a fresh schema; returns its name."""
    ensure_postgres()
    ensure_test_database()
    schema = f"upg_{uuid.uuid4().hex[:12]}"
    sql = (FIXTURES / entry["dump"]).read_text(encoding="utf-8").replace(DUMP_SCHEMA, schema)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-v", "ON_ERROR_STOP=1",
                    "-f", "-"], input=sql, text=True, check=True, capture_output=True)
    return schema
