"""Issue 18 §1: keyed digests of the payer's ID number, phone and card number on every bill
(``bills.id_digest``, ``tel_digest``, ``card_digest``: HMAC-SM3 under the data key,
store/person_digest.py) so a cashier can find a bill by them although the values are sealed;
rows written before are backfilled from their (opened) request. Plus an index on ``payer``.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.person_digest import digest, field_of
from sync_server.store.schema import AUDIT_HEAD
from sync_server.store.sealing import sealer_for

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ("id_digest", "tel_digest", "card_digest")
INDEXES = (("ix_bills_id_digest", "id_digest"), ("ix_bills_tel_digest", "tel_digest"),
           ("ix_bills_card_digest", "card_digest"), ("ix_bills_payer", "payer"))
_PAGE = 500


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # a database created by 0001 from today's metadata already has them
    have = {c["name"] for c in inspector.get_columns("bills")}
    for name in COLUMNS:
        if name not in have:
            op.add_column("bills", sa.Column(name, sa.String(64)))
    indexed = {i["name"] for i in inspector.get_indexes("bills")}
    for index, column in INDEXES:
        if index not in indexed:
            op.create_index(index, "bills", [column])
    _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    """Digest every bill row that has none yet, reading the sealed values opened with the data key."""
    sealer = sealer_for(bind.dialect)
    table = sa.table("bills", sa.column("id"), sa.column("request_json"), sa.column("card_no"),
                     *(sa.column(c) for c in COLUMNS))
    done, last = 0, 0
    while True:
        rows = bind.execute(sa.select(table.c.id, table.c.request_json, table.c.card_no)
                            .where(sa.and_(table.c.id > last, table.c.id_digest.is_(None),
                                           table.c.tel_digest.is_(None), table.c.card_digest.is_(None)))
                            .order_by(table.c.id).limit(_PAGE)).all()
        for pk, text, card in rows:
            clear = sealer.open_json(text) if sealer is not None and text else text
            card = sealer.open_value(card) if sealer is not None and card else card
            values = {"id_digest": digest(bind.dialect, field_of(clear, "idCardNo")),
                      "tel_digest": digest(bind.dialect, field_of(clear, "tel")),
                      "card_digest": digest(bind.dialect, field_of(clear, "cardNo") or str(card or ""))}
            if any(values.values()):
                bind.execute(sa.update(table).where(table.c.id == pk).values(values))
                done += 1
        if len(rows) < _PAGE:
            break
        last = rows[-1][0]
    if done:  # the store's audit guard wants changes to bills audited, on the chain like any row
        _audit(bind, done)


def _audit(bind: sa.Connection, count: int) -> None:
    """One audit row for the whole backfill, linked onto the SM3 chain (security/audit.py's rule)."""
    settings = sa.table("settings", sa.column("name"), sa.column("value"))
    head = bind.execute(sa.select(settings.c.value).where(settings.c.name == AUDIT_HEAD)).scalar() or GENESIS
    row = {"at": datetime.now().strftime("%Y%m%d%H%M%S%f")[:17], "actor": "server", "caller": None,
           "terminal": None, "action": "digest_personal_data", "entity": "bill", "entity_id": None,
           "before_json": None, "after_json": json.dumps({"rows": count}, separators=(",", ":"))}
    row |= {"prev_hash": head, "row_hash": row_digest(head, row)}
    log = sa.table("audit_log", *(sa.column(n) for n in row))
    bind.execute(sa.insert(log).values(row))
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == AUDIT_HEAD)).first() is None:
        bind.execute(sa.insert(settings).values(name=AUDIT_HEAD, value=row["row_hash"]))
    else:
        bind.execute(sa.update(settings).where(settings.c.name == AUDIT_HEAD).values(value=row["row_hash"]))


def downgrade() -> None:
    for index, _column in reversed(INDEXES):
        op.drop_index(index, table_name="bills")
    for name in reversed(COLUMNS):
        op.drop_column("bills", name)
