"""Insurance settlement vouchers (issue 16 §2, seed 002): ``ins_vouchers``, one row per
(settlement, flag) with its upload state. See sync_server/store/voucher_schema.py.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # idempotent like 0011: a database whose version was set back already holds the table
    have = sa.inspect(op.get_bind())
    if have.has_table("ins_vouchers", schema=op.get_context().version_table_schema):
        return
    op.create_table(
        "ins_vouchers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("settlement_id", sa.Integer, nullable=False),
        sa.Column("flag", sa.String(1), nullable=False),
        sa.Column("bill_batch_code", sa.String(50), nullable=False),
        sa.Column("bill_no", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("upload_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
        sa.Column("result_json", sa.Text),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(17), nullable=False),
        sa.Column("updated_at", sa.String(17), nullable=False),
        sa.UniqueConstraint("settlement_id", "flag", name="uq_ins_vouchers_settlement_flag"),
        sa.CheckConstraint("state IN ('queued', 'uploaded', 'refused')", name="ck_ins_vouchers_state"),
        sa.CheckConstraint("flag IN ('0', '1')", name="ck_ins_vouchers_flag"),
    )


def downgrade() -> None:
    op.drop_table("ins_vouchers")
