"""Issue 18 §3/§4: ``bills.payee`` (the request's 收费员, filled from ``request_json`` for the
bills already stored) and an index on ``bills.create_time`` for the hospital-wide reports; the
base-information and configuration tables of store/baseinfo_schema.py.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.baseinfo_schema import metadata as baseinfo_metadata
from sync_server.store.schema import AUDIT_HEAD

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_PAGE = 500


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # a database created by 0001 from today's metadata already has the column and the index
    if "payee" not in {c["name"] for c in inspector.get_columns("bills")}:
        op.add_column("bills", sa.Column("payee", sa.String(50)))
    if "ix_bills_create_time" not in {i["name"] for i in inspector.get_indexes("bills")}:
        op.create_index("ix_bills_create_time", "bills", ["create_time"])
    _fill_payee(bind)
    baseinfo_metadata.create_all(bind=bind)  # checkfirst: only the tables still missing


def _fill_payee(bind: sa.Connection) -> None:
    # ``payee`` is never a sealed key (store/sealing.py), so the stored JSON text is read as is
    table = sa.table("bills", sa.column("id"), sa.column("request_json"), sa.column("payee"))
    last, filled = 0, 0
    while True:
        rows = bind.execute(sa.select(table.c.id, table.c.request_json).where(
            (table.c.id > last) & table.c.payee.is_(None)).order_by(table.c.id).limit(_PAGE)).all()
        for pk, text in rows:
            try:
                payee = json.loads(text).get("payee") if text else None
            except (ValueError, AttributeError):
                payee = None
            if payee:
                bind.execute(sa.update(table).where(table.c.id == pk).values(payee=str(payee)[:50]))
                filled += 1
        if len(rows) < _PAGE:
            break
        last = rows[-1][0]
    if filled:  # the store's audit guard wants the change audited, on the chain like any row
        _audit(bind, filled)


def _audit(bind: sa.Connection, count: int) -> None:
    """One audit row for the whole fill, linked onto the SM3 chain (as revision 0008 does)."""
    settings = sa.table("settings", sa.column("name"), sa.column("value"))
    head = bind.execute(sa.select(settings.c.value).where(settings.c.name == AUDIT_HEAD)).scalar() or GENESIS
    row = {"at": datetime.now().strftime("%Y%m%d%H%M%S%f")[:17], "actor": "server", "caller": None,
           "terminal": None, "action": "fill_bill_payee", "entity": "bill", "entity_id": None,
           "before_json": None, "after_json": json.dumps({"rows": count}, separators=(",", ":"))}
    row |= {"prev_hash": head, "row_hash": row_digest(head, row)}
    bind.execute(sa.insert(sa.table("audit_log", *(sa.column(n) for n in row))).values(row))
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == AUDIT_HEAD)).first() is None:
        bind.execute(sa.insert(settings).values(name=AUDIT_HEAD, value=row["row_hash"]))
    else:
        bind.execute(sa.update(settings).where(settings.c.name == AUDIT_HEAD).values(value=row["row_hash"]))


def downgrade() -> None:
    baseinfo_metadata.drop_all(bind=op.get_bind())
    op.drop_index("ix_bills_create_time", "bills")
    op.drop_column("bills", "payee")
