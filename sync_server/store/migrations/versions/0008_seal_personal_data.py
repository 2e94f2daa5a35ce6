"""Issue 14: seal the personal data of rows written before it (ID number, phone, insurance ID,
diagnosis code, contact inside ``bills.request_json``, ``batches.request_json`` and
``outbox.payload_json``) with the engine's data key (store/sealing.py), and record the key's
check value. An engine without a key (tools, tests on a bare engine) has nothing to seal with.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store.schema import DATA_KEY_CHECK
from sync_server.store.sealing import sealer_for

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: (table, primary key, JSON column)
_COLUMNS = (("bills", "id", "request_json"), ("batches", "batch_no", "request_json"),
            ("outbox", "id", "payload_json"))
_PAGE = 500


def upgrade() -> None:
    bind = op.get_bind()
    sealer = sealer_for(bind.dialect)
    if sealer is None:
        return
    for name, key, column in _COLUMNS:
        # plain column objects: the rows are read and written as stored, without SealedJson
        table = sa.table(name, sa.column(key), sa.column(column))
        last: object = None
        while True:
            query = sa.select(table.c[key], table.c[column]).order_by(table.c[key]).limit(_PAGE)
            if last is not None:
                query = query.where(table.c[key] > last)
            rows = bind.execute(query).all()
            for pk, text in rows:
                sealed = sealer.seal_json(text) if text else text
                if sealed != text:
                    bind.execute(sa.update(table).where(table.c[key] == pk).values({column: sealed}))
            if len(rows) < _PAGE:
                break
            last = rows[-1][0]
    settings = sa.table("settings", sa.column("name"), sa.column("value"))
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == DATA_KEY_CHECK)).first() is None:
        bind.execute(sa.insert(settings).values(name=DATA_KEY_CHECK, value=sealer.check))


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
