"""The terminal's durable local store (SQLite, WAL, ``synchronous=FULL``).

Modules: :mod:`~offline_store.db` (connection, savepoint ``atomic()``), :mod:`~offline_store.migrations`
(named, recorded migrations), :mod:`~offline_store.catalog` (应急开票基础信息),
:mod:`~offline_store.stock` (emergency stock blocks), :mod:`~offline_store.journal` (emergency bill
journal and online bills), :mod:`~offline_store.outbox`, :mod:`~offline_store.print_jobs`,
:mod:`~offline_store.window_bills` (a cashier window's marks on its bills; its own migration set).
Imports only billing_core (DESIGN.md §2).
"""

from __future__ import annotations

from offline_store.db import Database

__all__ = ["Database", "open_store"]


def open_store(path: str) -> Database:
    """Open (creating and migrating) the terminal database at ``path``."""
    return Database(path)
