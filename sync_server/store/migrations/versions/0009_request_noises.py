"""``request_noises``: the replay guard's record of accepted signed requests (issue 14 §7).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database created by 0001 from today's metadata already has the table: nothing to add
    if sa.inspect(op.get_bind()).has_table("request_noises", schema=op.get_context().version_table_schema):
        return
    op.create_table(
        "request_noises",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("appid", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("appid", "digest", name="uq_request_noises_appid_digest"),
    )
    op.create_index("ix_request_noises_expires", "request_noises", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_request_noises_expires", "request_noises")
    op.drop_table("request_noises")
