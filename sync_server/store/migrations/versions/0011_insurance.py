"""Insurance connector (issue 16 §3, §5): ``ins_transactions`` (every transaction, msgid UNIQUE),
``ins_settlements`` (visit + settlement state; ``live_psn`` UNIQUE = one settlement at a time per
person), ``ins_recon_reports`` (3201 / 3202 reports). See sync_server/store/insurance_schema.py.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_STATES = ("registered", "fees_uploaded", "pre_settled", "settling", "settled", "cancelled", "reversed", "in_doubt")
_OUTCOMES = ("sent", "ok", "rejected", "not_sent", "in_doubt", "reversed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    amount = sa.Numeric(18, 2)
    # idempotent like 0009/0010: a database whose version was set back (tests of older
    # migrations) already holds the tables
    have = sa.inspect(op.get_bind())
    schema = op.get_context().version_table_schema
    if not have.has_table("ins_transactions", schema=schema):
        _transactions()
    if not have.has_table("ins_settlements", schema=schema):
        _settlements(amount)
    if not have.has_table("ins_recon_reports", schema=schema):
        op.create_table(
            "ins_recon_reports",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("created_at", sa.String(17), nullable=False),
            sa.Column("clean", sa.Integer, nullable=False),
            sa.Column("report_json", sa.Text, nullable=False),
        )


def _transactions() -> None:
    op.create_table(
        "ins_transactions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("msgid", sa.String(40), nullable=False, unique=True),
        sa.Column("infno", sa.String(8), nullable=False),
        sa.Column("opter", sa.String(64), nullable=False),
        sa.Column("settlement_id", sa.Integer),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("infcode", sa.String(8)),
        sa.Column("err_msg", sa.Text),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("output_json", sa.Text),
        sa.Column("elapsed_ms", sa.Integer),
        sa.Column("created_at", sa.String(17), nullable=False),
        sa.Column("ended_at", sa.String(17)),
        sa.CheckConstraint(_in("outcome", _OUTCOMES), name="ck_ins_transactions_outcome"),
    )
    op.create_index("ix_ins_transactions_created", "ins_transactions", ["created_at"])


def _settlements(amount: sa.Numeric[Any]) -> None:
    op.create_table(
        "ins_settlements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("visit", sa.String(12), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("psn_no", sa.String(30), nullable=False),
        sa.Column("live_psn", sa.String(30), unique=True),
        sa.Column("insuplc_admdvs", sa.String(6), nullable=False),
        sa.Column("insutype", sa.String(6), nullable=False),
        sa.Column("mdtrt_id", sa.String(30), nullable=False),
        sa.Column("ipt_otp_no", sa.String(30), nullable=False),
        sa.Column("chrg_bchno", sa.String(30)),
        sa.Column("medfee_sumamt", amount),
        sa.Column("fund_pay_sumamt", amount),
        sa.Column("acct_pay", amount),
        sa.Column("psn_cash_pay", amount),
        sa.Column("setl_id", sa.String(30)),
        sa.Column("clr_type", sa.String(6)),
        sa.Column("clr_optins", sa.String(6)),
        sa.Column("settle_msgid", sa.String(40), unique=True),
        sa.Column("settle_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cancel_setl_id", sa.String(30)),
        sa.Column("owner", sa.String(32)),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("opter", sa.String(64), nullable=False),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("answer_json", sa.Text),
        sa.Column("settle_day", sa.String(10)),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.String(17), nullable=False),
        sa.Column("updated_at", sa.String(17), nullable=False),
        sa.CheckConstraint(_in("state", _STATES), name="ck_ins_settlements_state"),
        sa.CheckConstraint(_in("visit", ("outpatient", "inpatient")), name="ck_ins_settlements_visit"),
    )
    op.create_index("ix_ins_settlements_state", "ins_settlements", ["state"])
    op.create_index("ix_ins_settlements_day", "ins_settlements", ["settle_day"])


def downgrade() -> None:
    op.drop_table("ins_recon_reports")
    op.drop_index("ix_ins_settlements_day", "ins_settlements")
    op.drop_index("ix_ins_settlements_state", "ins_settlements")
    op.drop_table("ins_settlements")
    op.drop_index("ix_ins_transactions_created", "ins_transactions")
    op.drop_table("ins_transactions")
