"""One runtime per data directory: two processes issuing from one store is how Odoo's two tabs
handed out the same order number twice (offline_rules.md §1.1, #16781). SQLite's transactions
would keep the numbers unique, but two runtimes would also share print jobs and uploads, so the
second one refuses to start."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from billing_core.errors import BillingError


class AlreadyRunningError(BillingError):
    """Another terminal runtime holds the data directory."""

    code = "E8703"
    default_message = "另一个终端程序正在使用该数据目录"


class DataDirLock:
    """An exclusive, non-blocking OS lock on ``data_dir/terminal.lock`` (released when the process dies)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "terminal.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 - held for the process lifetime
        try:
            if sys.platform == "win32":  # pragma: no cover - Windows terminals
                import msvcrt
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise AlreadyRunningError(f"另一个终端程序正在使用数据目录{self.path.parent}，请勿重复启动") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
