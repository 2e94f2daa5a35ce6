"""File modes of the server's data: the data dir is 0700, every file in it 0600.

The data dir holds the database, the server's SM2 key, the data key of the personal-data
columns and (demo mode) the demo callers' keys: nobody but the server's own account may read
them (issue 14). Commands set a private umask at start (:func:`secure_umask`) so that files
SQLite creates later (``-wal``, ``-shm``) are private too; :func:`secure_data_dir` and
:func:`private_file` repair what an older version created with wider modes.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def secure_umask() -> None:
    """Make every file and directory this process creates private to its owner."""
    os.umask(0o077)


def secure_data_dir(path: Path) -> Path:
    """Create the data dir (0700) or tighten an existing one; returns the path."""
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if missing, or tighten its mode; returns the path.

    Created before SQLite opens a database file, so that its journal files (which SQLite gives
    the main file's mode) are private as well.
    """
    path = Path(path)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE))
    if os.name == "posix":
        path.chmod(FILE_MODE)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 (a temporary file, then a rename)."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    if os.name == "posix":
        tmp.chmod(FILE_MODE)
    tmp.replace(path)
