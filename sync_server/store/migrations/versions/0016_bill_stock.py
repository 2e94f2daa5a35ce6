"""Bill stock lifecycle (issue 18 §2): ``stock_lots`` (ranges as received: opening stock or
stock-in), ``stock_pieces`` (where every number is now), ``stock_moves`` (the journal, request_id
UNIQUE), ``stock_applies`` (票据申领), ``stock_thresholds`` (low-stock warnings). See
sync_server/store/stock_schema.py and docs/STOCK.md.

Revision ID: 0016
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None

_PIECE_STATES = ("store", "distributed", "voided", "returned")
_MOVE_ACTIONS = ("opening", "in", "distribute", "recall", "void", "return")
_APPLY_STATES = ("applied", "approved", "rejected", "confirmed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    # idempotent like 0011: a database whose version was set back already holds the tables
    have = sa.inspect(op.get_bind())
    schema = op.get_context().version_table_schema
    if not have.has_table("stock_lots", schema=schema):
        op.create_table(
            "stock_lots",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("origin", sa.String(8), nullable=False),
            sa.Column("bill_code", sa.String(50), nullable=False),
            sa.Column("bill_name", sa.String(100), nullable=False, server_default=""),
            sa.Column("bill_batch_code", sa.String(50), nullable=False),
            sa.Column("bgn_no", sa.Integer, nullable=False),
            sa.Column("end_no", sa.Integer, nullable=False),
            sa.Column("width", sa.Integer, nullable=False),
            sa.Column("apply_id", sa.Integer),
            sa.Column("operator", sa.String(64), nullable=False),
            sa.Column("received_at", sa.String(17), nullable=False),
            sa.CheckConstraint(_in("origin", ("opening", "in")), name="ck_stock_lots_origin"),
            sa.CheckConstraint("end_no >= bgn_no", name="ck_stock_lots_range"),
            sa.UniqueConstraint("bill_batch_code", "bgn_no", name="uq_stock_lots_start"),
        )
    if not have.has_table("stock_pieces", schema=schema):
        op.create_table(
            "stock_pieces",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("lot_id", sa.Integer, nullable=False),
            sa.Column("bill_code", sa.String(50), nullable=False),
            sa.Column("bill_batch_code", sa.String(50), nullable=False),
            sa.Column("bgn_no", sa.Integer, nullable=False),
            sa.Column("end_no", sa.Integer, nullable=False),
            sa.Column("state", sa.String(12), nullable=False),
            sa.Column("place_code", sa.String(50)),
            sa.Column("terminal_id", sa.String(64)),
            sa.Column("busy", sa.String(64)),
            sa.Column("updated_at", sa.String(17), nullable=False),
            sa.CheckConstraint(_in("state", _PIECE_STATES), name="ck_stock_pieces_state"),
            sa.CheckConstraint("end_no >= bgn_no", name="ck_stock_pieces_range"),
            sa.UniqueConstraint("bill_batch_code", "bgn_no", name="uq_stock_pieces_start"),
        )
        op.create_index("ix_stock_pieces_lot", "stock_pieces", ["lot_id"])
        op.create_index("ix_stock_pieces_holder", "stock_pieces", ["state", "place_code"])
    if not have.has_table("stock_moves", schema=schema):
        op.create_table(
            "stock_moves",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("request_id", sa.String(64), unique=True),
            sa.Column("action", sa.String(12), nullable=False),
            sa.Column("lot_id", sa.Integer, nullable=False),
            sa.Column("bill_code", sa.String(50), nullable=False),
            sa.Column("bill_batch_code", sa.String(50), nullable=False),
            sa.Column("bgn_no", sa.Integer, nullable=False),
            sa.Column("end_no", sa.Integer, nullable=False),
            sa.Column("count", sa.Integer, nullable=False),
            sa.Column("from_state", sa.String(12)),
            sa.Column("place_code", sa.String(50)),
            sa.Column("terminal_id", sa.String(64)),
            sa.Column("apply_id", sa.Integer),
            sa.Column("operator", sa.String(64), nullable=False),
            sa.Column("reason", sa.String(250)),
            sa.Column("at", sa.String(17), nullable=False),
            sa.Column("day", sa.String(10), nullable=False),
            sa.CheckConstraint(_in("action", _MOVE_ACTIONS), name="ck_stock_moves_action"),
        )
        op.create_index("ix_stock_moves_day", "stock_moves", ["day", "action"])
        op.create_index("ix_stock_moves_lot", "stock_moves", ["lot_id"])
    if not have.has_table("stock_applies", schema=schema):
        op.create_table(
            "stock_applies",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("apply_no", sa.String(40), nullable=False, unique=True),
            sa.Column("bill_code", sa.String(50), nullable=False),
            sa.Column("count", sa.Integer, nullable=False),
            sa.Column("applicant", sa.String(64), nullable=False),
            sa.Column("reason", sa.String(250)),
            sa.Column("state", sa.String(12), nullable=False),
            sa.Column("opinion", sa.String(250)),
            sa.Column("ranges_json", sa.Text),
            sa.Column("applied_at", sa.String(17), nullable=False),
            sa.Column("decided_at", sa.String(17)),
            sa.Column("confirmed_at", sa.String(17)),
            sa.Column("confirmed_by", sa.String(64)),
            sa.CheckConstraint(_in("state", _APPLY_STATES), name="ck_stock_applies_state"),
        )
    # the row every stock write locks FOR UPDATE on PostgreSQL (sync_server/stock/ledger.py)
    settings = sa.table("settings", sa.column("name", sa.String), sa.column("value", sa.Text))
    if op.get_bind().execute(sa.select(settings.c.name).where(settings.c.name == "stock_lock")).first() is None:
        op.bulk_insert(settings, [{"name": "stock_lock", "value": "0"}])
    if not have.has_table("stock_thresholds", schema=schema):
        op.create_table(
            "stock_thresholds",
            sa.Column("place_code", sa.String(50), primary_key=True),
            sa.Column("terminal_id", sa.String(64), primary_key=True),
            sa.Column("bill_code", sa.String(50), primary_key=True),
            sa.Column("min_count", sa.Integer, nullable=False),
            sa.Column("updated_at", sa.String(17), nullable=False),
            sa.CheckConstraint("min_count >= 0", name="ck_stock_thresholds_min"),
        )


def downgrade() -> None:
    op.drop_table("stock_thresholds")
    op.drop_table("stock_applies")
    op.drop_index("ix_stock_moves_lot", "stock_moves")
    op.drop_index("ix_stock_moves_day", "stock_moves")
    op.drop_table("stock_moves")
    op.drop_index("ix_stock_pieces_holder", "stock_pieces")
    op.drop_index("ix_stock_pieces_lot", "stock_pieces")
    op.drop_table("stock_pieces")
    op.drop_table("stock_lots")
