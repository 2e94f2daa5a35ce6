"""``batches.owner``: the server process running a batch, so that several processes sharing one
database resume only the batches of processes that died (sync_server.store.liveness).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store import drift

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a fresh database got the column from 0001's create_all of the current schema
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("batches")}
    if "owner" not in columns:
        op.add_column("batches", sa.Column("owner", sa.String(40)))
    # 0004 gained its second index after its release: a database created at 0004 lacks it
    drift.ensure_outbox_indexes()


def downgrade() -> None:
    op.drop_column("batches", "owner")
