"""Error codes of backup and restore (docs/ERRORS.md, E5160-E5169)."""

from __future__ import annotations

from billing_core.errors import BillingError


class BackupError(BillingError):
    """The backup could not be written (pg_dump missing or failed, folder not writable)."""

    code = "E5160"
    default_message = "备份失败"


class RestoreRefused(BillingError):
    """Restore refused before anything changed: a server still runs on the database, the folder
    is not a backup, or the backup is of another database kind."""

    code = "E5161"
    default_message = "不能恢复"


class RestoreFailed(BillingError):
    """The restore tool failed (pg_restore, SQLite backup); the message says what to check."""

    code = "E5162"
    default_message = "恢复失败"
