"""Terminal-management web (issue 19 §1): ``terminal_settings`` (functions, parameters and
upgrade pushed per scene; store/admin_schema.py) and ``terminal_status.config_version`` (the
pushed version a terminal reports having applied).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store import drift

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # schema drift of databases an older version carried past 0002/0005 (sync_server/store/drift.py)
    drift.repair_all()
    # idempotent like 0011/0012: a database whose version was set back already holds them
    have = sa.inspect(op.get_bind())
    schema = op.get_context().version_table_schema
    if not have.has_table("terminal_settings", schema=schema):
        op.create_table(
            "terminal_settings",
            sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("value_json", sa.Text, nullable=False),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("updated_at", sa.String(17), nullable=False),
            sa.Column("updated_by", sa.String(64), nullable=False),
        )
    if "config_version" not in {c["name"] for c in have.get_columns("terminal_status", schema=schema)}:
        op.add_column("terminal_status", sa.Column("config_version", sa.Integer()))


def downgrade() -> None:
    op.drop_column("terminal_status", "config_version")
    op.drop_table("terminal_settings")
