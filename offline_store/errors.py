"""Errors of the terminal's local store (codes E8001-E8019, docs/ERRORS.md "terminal emergency mode")."""

from __future__ import annotations

from billing_core.errors import BillingError


class StoreError(BillingError):
    """The local database cannot be opened, read or written."""

    code = "E8001"
    default_message = "本地数据库读写失败"


class MigrationError(StoreError):
    """A schema migration failed; the database is left at the last applied migration."""

    code = "E8002"
    default_message = "本地数据库升级失败"


class NotFoundError(StoreError):
    """A stored record (bill, block, print job) does not exist."""

    code = "E8003"
    default_message = "本地记录不存在"
