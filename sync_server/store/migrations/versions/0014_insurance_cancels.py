"""Insurance cancels and the way back (issue 16, server remainder): ``ins_settlements`` gains
``cancel_msgid`` (the 2208/2305 msgid, recorded before it is sent, so a cancel whose answer is lost
is resolved like a settlement), ``cancel_day`` (the day the platform's cancel row counts in
reconciliation with ``refd_setl_flag`` 1) and ``setl_list_id`` (4101's answer); the state CHECK
constraint gains ``cancelling``, ``cancel_in_doubt`` and ``closed`` (registration / admission
cancelled on the platform). See sync_server/store/insurance_schema.py.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CHECK = "ck_ins_settlements_state"
_OLD = ("registered", "fees_uploaded", "pre_settled", "settling", "settled", "cancelled", "reversed", "in_doubt")
_NEW = (*_OLD, "cancelling", "cancel_in_doubt", "closed")
COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("cancel_msgid", sa.String(40)), ("cancel_day", sa.String(10)), ("setl_list_id", sa.String(40)),
)


def _in(values: tuple[str, ...]) -> str:
    return f"state IN ({', '.join(repr(v) for v in values)})"


def _swap(columns: tuple[tuple[str, sa.types.TypeEngine[Any]], ...], drop: tuple[str, ...],
          states: tuple[str, ...]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite alters a CHECK constraint only by rebuilding the table (as 0006 does for bills)
        with op.batch_alter_table("ins_settlements", recreate="always") as batch:
            for name, kind in columns:
                batch.add_column(sa.Column(name, kind))
            for name in drop:
                batch.drop_column(name)
            batch.drop_constraint(CHECK, type_="check")
            batch.create_check_constraint(CHECK, sa.text(_in(states)))
        return
    for name, kind in columns:
        op.add_column("ins_settlements", sa.Column(name, kind))
    for name in drop:
        op.drop_column("ins_settlements", name)
    op.drop_constraint(CHECK, "ins_settlements", type_="check")
    op.create_check_constraint(CHECK, "ins_settlements", sa.text(_in(states)))


def upgrade() -> None:
    # 0011 creates ins_settlements from its own column list, so the columns are always missing here
    # unless this revision ran before (a database whose version was set back)
    have = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("ins_settlements")}
    if all(name in have for name, _ in COLUMNS):
        return
    _swap(tuple(c for c in COLUMNS if c[0] not in have), (), _NEW)


def downgrade() -> None:
    _swap((), tuple(name for name, _ in reversed(COLUMNS)), _OLD)
