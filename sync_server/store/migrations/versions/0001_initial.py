"""Initial schema: callers, users, billing points, bills, items, pay channels, red bills,
paper bills, stock ranges, outbox, audit log, batches, conflicts, reconciliation reports.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the tables from the frozen definitions of schema.py; later
    # revisions must use explicit op.* calls so that old databases upgrade step by step.
    from sync_server.store.schema import metadata

    metadata.create_all(bind=op.get_bind())
