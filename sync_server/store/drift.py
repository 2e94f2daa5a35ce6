"""Idempotent repairs of schema drift: columns and indexes that entered the metadata
(sync_server/store/schema.py) without a migration, so databases created before them never got them.

Found by the upgrade fixtures (tests/integration/upgrade, docs/UPGRADE.md): a database created by
the first release (revision 0001) had no ``red_bills.bus_date_time`` (added to the metadata the
same day, commit 40b29a6, without a migration) and today's worker failed on it when it delivered a
queued write-off; a database created at revision 0004 had no ``ix_outbox_state_kind_id`` (added to
migration 0004 after 0004 was released); a database written by the code that introduced 0008
(commit 9dc20a0) holds personal data in clear although it is at 0008. The migration that follows
each drift calls the repair, and 0013 calls all of them for databases an older version had already
carried past that point. Each repair checks before it changes anything (PostgreSQL and SQLite).
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.schema import AUDIT_HEAD, DATA_KEY_CHECK
from sync_server.store.sealing import sealer_for

#: (table, primary key, JSON column) sealed with the data key (migration 0008)
SEALED_COLUMNS = (("bills", "id", "request_json"), ("batches", "batch_no", "request_json"),
                  ("outbox", "id", "payload_json"))
_PAGE = 500


def _schema() -> str | None:
    return op.get_context().version_table_schema


def add_red_bills_bus_date_time() -> bool:
    """``red_bills.bus_date_time`` (busDateTime of the write-off request) when missing; True if added."""
    have = sa.inspect(op.get_bind())
    if not have.has_table("red_bills", schema=_schema()):
        return False
    if "bus_date_time" in {c["name"] for c in have.get_columns("red_bills", schema=_schema())}:
        return False
    op.add_column("red_bills", sa.Column("bus_date_time", sa.String(17)), schema=_schema())
    return True


def ensure_outbox_indexes() -> None:
    """The outbox's (state, id) and (state, kind, id) indexes of migration 0004, when missing."""
    have = sa.inspect(op.get_bind())
    names = {i["name"] for i in have.get_indexes("outbox", schema=_schema())}
    if "ix_outbox_state_id" not in names:
        op.create_index("ix_outbox_state_id", "outbox", ["state", "id"], schema=_schema())
    if "ix_outbox_state_kind_id" not in names:
        op.create_index("ix_outbox_state_kind_id", "outbox", ["state", "kind", "id"], schema=_schema())


def seal_clear_personal_data(bind: sa.Connection) -> int:
    """Seal every card number and JSON column value still in clear (migration 0008's pass; values
    already sealed are left alone); one audit row on the chain when rows changed. Returns the
    number of rows sealed (0 without a data key: the engine then stores clear text anyway)."""
    sealer = sealer_for(bind.dialect)
    if sealer is None:
        return 0
    sealed_rows = 0
    cards = sa.table("bills", sa.column("id"), sa.column("card_no"))
    for pk, card in bind.execute(sa.select(cards.c.id, cards.c.card_no).where(cards.c.card_no.is_not(None))).all():
        if card and sealer.seal_value(card) != card:
            bind.execute(sa.update(cards).where(cards.c.id == pk).values(card_no=sealer.seal_value(card)))
            sealed_rows += 1
    for name, key, column in SEALED_COLUMNS:
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
    return sealed_rows


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


def repair_all() -> None:
    """Every repair above (the newest migration runs them for databases past the older ones)."""
    add_red_bills_bus_date_time()
    ensure_outbox_indexes()
    seal_clear_personal_data(op.get_bind())
