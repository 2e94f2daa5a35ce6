"""Terminal emergency mode on the server (issue 7): terminal uploads, chain heads, 申退 ranges,
revocations, terminal status and alarms (see sync_server/store/emergency_schema.py).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store import drift

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database created by 0001's code lacks a column its metadata gained without a migration
    drift.add_red_bills_bus_date_time()
    op.create_table(
        "terminal_uploads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idem_key", sa.String(160), nullable=False, unique=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("bill_id", sa.Integer),
        sa.Column("bill_batch_code", sa.String(50), nullable=False),
        sa.Column("bill_no", sa.String(20), nullable=False),
        sa.Column("bus_no", sa.String(50), nullable=False),
        sa.Column("place_code", sa.String(50), nullable=False),
        sa.Column("issue_time", sa.String(17), nullable=False),
        sa.Column("total_amt", sa.Numeric(18, 2), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("in_doubt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("result_code", sa.String(8), nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("received_at", sa.String(17), nullable=False),
    )
    op.create_index("ix_terminal_uploads_day", "terminal_uploads", ["terminal_id", "issue_time"])
    op.create_table(
        "terminal_chain",
        sa.Column("terminal_id", sa.String(64), primary_key=True),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("head_seq", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(17), nullable=False),
    )
    op.create_table(
        "stock_returns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("range_id", sa.Integer, nullable=False),
        sa.Column("holder", sa.String(64)),
        sa.Column("place_code", sa.String(50), nullable=False),
        sa.Column("bill_batch_code", sa.String(50), nullable=False),
        sa.Column("bgn_no", sa.String(20), nullable=False),
        sa.Column("end_no", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(250)),
        sa.Column("platform_answer", sa.Text),
        sa.Column("at", sa.String(17), nullable=False),
    )
    op.create_index("ix_stock_returns_range", "stock_returns", ["range_id"])
    op.create_table(
        "stock_revocations",
        sa.Column("range_id", sa.Integer, primary_key=True),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("revoked_at", sa.String(17), nullable=False),
        sa.Column("reason", sa.String(250), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
    )
    op.create_table(
        "terminal_status",
        sa.Column("terminal_id", sa.String(64), primary_key=True),
        sa.Column("place_code", sa.String(50)),
        sa.Column("stock_remaining", sa.Integer),
        sa.Column("pending_uploads", sa.Integer),
        sa.Column("oldest_pending", sa.String(17)),
        sa.Column("last_seen", sa.String(17), nullable=False),
    )
    op.create_table(
        "terminal_alarms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("terminal_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("raised_at", sa.String(17), nullable=False),
        sa.Column("closed_at", sa.String(17)),
    )
    op.create_index("ix_terminal_alarms_open", "terminal_alarms", ["terminal_id", "kind", "state"])


def downgrade() -> None:
    for name in ("terminal_alarms", "terminal_status", "stock_revocations", "stock_returns", "terminal_chain",
                 "terminal_uploads"):
        op.drop_table(name)
