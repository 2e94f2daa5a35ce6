"""Issue 14: seal the personal data of rows written before it (ID number, phone, insurance ID,
diagnosis code, contact inside ``bills.request_json``, ``batches.request_json`` and
``outbox.payload_json``; ``bills.card_no`` whole, widened to 120 characters) with the engine's data key (store/sealing.py), and record the key's
check value. An engine without a key (tools, tests on a bare engine) has nothing to seal with.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store.drift import SEALED_COLUMNS, seal_clear_personal_data
from sync_server.store.sealing import sealer_for

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (table, primary key, JSON column): the columns sealed (sync_server/store/drift.py)
_COLUMNS = SEALED_COLUMNS


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # SQLite does not enforce lengths
        op.alter_column("bills", "card_no", type_=sa.String(120), existing_type=sa.String(50))
    # idempotent, also run by later migrations for rows an older version left in clear
    seal_clear_personal_data(bind)


def downgrade() -> None:
    bind = op.get_bind()
    sealer = sealer_for(bind.dialect)
    if sealer is None:
        return
    for name, key, column in _COLUMNS:
        table = sa.table(name, sa.column(key), sa.column(column))
        for pk, text in bind.execute(sa.select(table.c[key], table.c[column])).all():
            if text and sealer.open_json(text) != text:
                bind.execute(sa.update(table).where(table.c[key] == pk).values({column: sealer.open_json(text)}))
