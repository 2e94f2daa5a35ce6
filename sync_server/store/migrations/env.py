"""Alembic environment: runs on the connection handed over by sync_server.store.db."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
context.run_migrations()
