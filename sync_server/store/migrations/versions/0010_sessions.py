"""Server sessions of terminal logins and password state of users (issue 14 items 4-5).

``sessions`` holds one row per terminal login (SHA-256 of the token, user, role, terminal,
expiry, revoked); ``users`` gains ``password_changed_at`` (password expiry) and ``must_change``
(set by an admin reset: the user must choose a new password at the next login).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a fresh database got both from 0001's create_all of the current schema
    inspector = sa.inspect(op.get_bind())
    columns = {c["name"] for c in inspector.get_columns("users")}
    if "password_changed_at" not in columns:
        op.add_column("users", sa.Column("password_changed_at", sa.String(17)))
    if "must_change" not in columns:
        op.add_column("users", sa.Column("must_change", sa.Integer, nullable=False, server_default="0"))
    if not inspector.has_table("sessions"):
        op.create_table(
            "sessions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
            sa.Column("username", sa.String(64), nullable=False),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("caller", sa.String(64), nullable=False),
            sa.Column("created_at", sa.String(17), nullable=False),
            sa.Column("expires_at", sa.String(17), nullable=False),
            sa.Column("revoked", sa.Integer, nullable=False, server_default="0"),
        )


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_column("users", "must_change")
    op.drop_column("users", "password_changed_at")
