"""The charge-item catalog handed to terminals (see sync_server/store/catalog_schema.py).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "charge_items",
        sa.Column("charge_code", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False, server_default="项"),
        sa.Column("std", sa.Numeric(14, 2), nullable=False, server_default="0"),
        sa.Column("initials", sa.String(20), nullable=False, server_default=""),
        sa.Column("enabled", sa.Integer, nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_table("charge_items")
