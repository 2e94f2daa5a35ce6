"""Issue 14: seal the personal data of rows written before it (ID number, phone, insurance ID,
diagnosis code, contact inside ``bills.request_json``, ``batches.request_json`` and
``outbox.payload_json``; ``bills.card_no`` whole, widened to 120 characters) with the engine's data key (store/sealing.py), and record the key's
check value. An engine without a key (tools, tests on a bare engine) has nothing to seal with.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.schema import AUDIT_HEAD, DATA_KEY_CHECK
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
    if bind.dialect.name == "postgresql":  # SQLite does not enforce lengths
        op.alter_column("bills", "card_no", type_=sa.String(120), existing_type=sa.String(50))
    sealer = sealer_for(bind.dialect)
    if sealer is None:
        return
    sealed_rows = 0
    cards = sa.table("bills", sa.column("id"), sa.column("card_no"))
    for pk, card in bind.execute(sa.select(cards.c.id, cards.c.card_no).where(cards.c.card_no.is_not(None))).all():
        if card and sealer.seal_value(card) != card:
            bind.execute(sa.update(cards).where(cards.c.id == pk).values(card_no=sealer.seal_value(card)))
            sealed_rows += 1
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
                    sealed_rows += 1
            if len(rows) < _PAGE:
                break
            last = rows[-1][0]
    settings = sa.table("settings", sa.column("name"), sa.column("value"))
    if sealed_rows:  # the store's audit guard wants the change audited, on the chain like any row
        _audit(bind, settings, sealed_rows)
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == DATA_KEY_CHECK)).first() is None:
        bind.execute(sa.insert(settings).values(name=DATA_KEY_CHECK, value=sealer.check))


def _audit(bind: sa.Connection, settings: sa.TableClause, count: int) -> None:
    """One audit row for the whole sealing, linked onto the SM3 chain (security/audit.py's rule)."""
    head = bind.execute(sa.select(settings.c.value).where(settings.c.name == AUDIT_HEAD)).scalar() or GENESIS
    row = {"at": datetime.now().strftime("%Y%m%d%H%M%S%f")[:17], "actor": "server", "caller": None,
           "terminal": None, "action": "seal_personal_data", "entity": "bill", "entity_id": None,
           "before_json": None, "after_json": json.dumps({"rows": count}, separators=(",", ":"))}
    row |= {"prev_hash": head, "row_hash": row_digest(head, row)}
    log = sa.table("audit_log", *(sa.column(n) for n in row))
    bind.execute(sa.insert(log).values(row))
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == AUDIT_HEAD)).first() is None:
        bind.execute(sa.insert(settings).values(name=AUDIT_HEAD, value=row["row_hash"]))
    else:
        bind.execute(sa.update(settings).where(settings.c.name == AUDIT_HEAD).values(value=row["row_hash"]))


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
