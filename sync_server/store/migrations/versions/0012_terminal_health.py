"""``terminal_status`` keeps what a terminal reports of itself in its heartbeat (issue 15 §4):
its kind, software version, receipt-paper state, whether it is in emergency mode, each device's
health (JSON), and unfinished kiosk orders — for the people watching terminals (issue 19's
management web reads them).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("kind", sa.String(16)), ("software_version", sa.String(40)), ("paper", sa.String(16)),
    ("emergency", sa.Integer()), ("devices_json", sa.Text()), ("unfinished_orders", sa.Integer()),
)


def upgrade() -> None:
    # a database created by 0001 from today's metadata already has them
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("terminal_status")}
    for name, kind in COLUMNS:
        if name not in have:
            op.add_column("terminal_status", sa.Column(name, kind))


def downgrade() -> None:
    for name, _kind in reversed(COLUMNS):
        op.drop_column("terminal_status", name)
