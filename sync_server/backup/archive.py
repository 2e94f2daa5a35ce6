"""Writing and restoring backup folders.

A backup is a folder ``sync_server-<yyyyMMddTHHmmss>`` (0700) holding ``manifest.json`` (kind,
time, schema, migration revision), the database (``sync_server.db`` — a SQLite online backup, or
``database.dump`` — ``pg_dump -Fc`` of the installation's schema) and the keys the database
needs: ``keys/data.key`` (personal data is sealed with it) and ``server_sm2.json``. Keep the
backup folder as private as the data dir itself.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, make_url, text

from sync_server.backup.errors import BackupError, RestoreFailed, RestoreRefused
from sync_server.config import ServerConfig
from sync_server.store.db import make_engine, pg_application_name

if sys.platform == "win32":  # one waitress process per database there; nothing else to find
    fcntl = None
else:
    import fcntl

log = logging.getLogger(__name__)
PREFIX = "sync_server-"
KEY_FILES = ("keys/data.key", "server_sm2.json")


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq URI for pg_dump / pg_restore (password kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到{name}：请安装 PostgreSQL 客户端工具（Debian 包 postgresql-client）")
    return found


def make_backup(cfg: ServerConfig, dest: Path, now: datetime | None = None) -> Path:
    """Write one backup of the configured database into a new folder under ``dest``; its path."""
    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S%f")[:-3]
    folder = Path(dest) / f"{PREFIX}{stamp}"
    try:
        (folder / "keys").mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)
    except OSError as exc:
        raise BackupError(f"无法创建备份目录{folder}：{exc}") from exc
    data = Path(cfg.data_dir)
    for name in KEY_FILES:
        if (data / name).exists():
            shutil.copy2(data / name, folder / name)
            (folder / name).chmod(0o600)
    engine = make_engine(cfg.db_url, cfg.database_schema or None, pool_size=1)
    try:
        manifest: dict[str, Any] = {"kind": engine.dialect.name, "created": stamp, "revision": _revision(engine),
                                    "schema": cfg.database_schema or ""}
    finally:
        engine.dispose()
    if manifest["kind"] == "sqlite":
        source = make_url(cfg.db_url).database or ""
        target = folder / "sync_server.db"
        # the online backup API: a consistent copy while the server keeps writing (WAL included)
        with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        target.chmod(0o600)
    else:
        args = [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(folder / "database.dump")]
        if cfg.database_schema:
            args += ["-n", cfg.database_schema]
        done = subprocess.run([*args, _libpq_url(cfg.db_url)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise BackupError(f"pg_dump失败：{done.stderr.strip()[:400]}")
        (folder / "database.dump").chmod(0o600)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    log.info("backup written: %s", folder)
    return folder


def prune(dest: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backup folders under ``dest``; the removed ones."""
    found = sorted(p for p in Path(dest).glob(f"{PREFIX}*") if (p / "manifest.json").exists())
    gone = found[:-keep] if keep > 0 else []
    for path in gone:
        shutil.rmtree(path)
    return gone


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a backup folder; :raises RestoreRefused: when it is not one."""
    try:
        manifest: dict[str, Any] = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RestoreRefused(f"{folder}不是备份目录（缺少或无法读取manifest.json）") from exc
    return manifest


def running_servers(cfg: ServerConfig) -> int:
    """How many server processes use the configured database now (0 before a restore)."""
    engine = make_engine(cfg.db_url, cfg.database_schema or None, pool_size=1)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                # a server process holds its liveness lock (an advisory lock, store/liveness.py) on a
                # session named after the installation's schema
                return int(conn.execute(text(
                    "SELECT count(DISTINCT a.pid) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
                    " WHERE a.application_name = :name AND l.locktype = 'advisory' AND l.objsubid = 2"
                    " AND l.granted"), {"name": pg_application_name(cfg.database_schema)}).scalar() or 0)
    finally:
        engine.dispose()
    if sys.platform == "win32":
        return 0
    # SQLite: every server process holds an flock on its file here (store/liveness.py)
    folder = Path((make_url(cfg.db_url).database or "") + ".instances")
    alive = 0
    for lock in folder.glob("*.lock"):
        with open(lock, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                alive += 1
    return alive


def restore_backup(cfg: ServerConfig, folder: Path) -> dict[str, Any]:
    """Put the backup in ``folder`` back as the configured database (servers stopped); its manifest.

    :raises RestoreRefused: a server still uses the database, or the backup is of another kind.
    :raises RestoreFailed: the copy or pg_restore failed.
    """
    manifest = read_manifest(folder)
    kind = "sqlite" if cfg.db_url.startswith("sqlite") else "postgresql"
    if manifest.get("kind") != kind:
        raise RestoreRefused(f"备份是{manifest.get('kind')}数据库，当前配置的是{kind}数据库")
    alive = running_servers(cfg)
    if alive:
        raise RestoreRefused(f"仍有{alive}个服务器进程在使用数据库：请先停止全部同步服务器（两台主机都要停）")
    data = Path(cfg.data_dir)
    for name in KEY_FILES:
        if (Path(folder) / name).exists():
            (data / name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.copy2(Path(folder) / name, data / name)
            (data / name).chmod(0o600)
    if kind == "sqlite":
        target = make_url(cfg.db_url).database or ""
        try:
            # the backup API again, backwards: the live file's pages replaced under SQLite's own locks
            with closing(sqlite3.connect(Path(folder) / "sync_server.db")) as src, \
                    closing(sqlite3.connect(target, timeout=30)) as dst:
                src.backup(dst)
        except sqlite3.Error as exc:
            raise RestoreFailed(f"SQLite恢复失败：{exc}") from exc
    else:
        schema = manifest.get("schema") or ""
        if schema != (cfg.database_schema or ""):
            raise RestoreRefused(f"备份的schema为{schema or 'public'}，当前配置为{cfg.database_schema or 'public'}")
        args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                "-d", _libpq_url(cfg.db_url), str(Path(folder) / "database.dump")]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RestoreFailed(f"pg_restore失败：{done.stderr.strip()[:400]}")
    return manifest
