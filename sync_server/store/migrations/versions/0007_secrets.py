"""Issue 14: the audit log's SM3 hash chain (``audit_log.prev_hash``/``row_hash``, the
chain head in the ``settings`` row ``audit_chain_head``, existing rows chained in id order) and no clear demo password in the
database (the ``demo_json`` setting, which held them, is deleted).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.schema import AUDIT_HEAD

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    # a fresh database got the columns and the table from 0001's create_all of the current schema
    columns = {c["name"] for c in inspector.get_columns("audit_log")}
    if "prev_hash" not in columns:
        op.add_column("audit_log", sa.Column("prev_hash", sa.String(64)))
        op.add_column("audit_log", sa.Column("row_hash", sa.String(64)))
    log = sa.table("audit_log", *(sa.column(n) for n in (
        "id", "at", "actor", "caller", "terminal", "action", "entity", "entity_id", "before_json", "after_json",
        "prev_hash", "row_hash")))
    settings = sa.table("settings", sa.column("name"), sa.column("value"))
    head = GENESIS
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        digest = row_digest(head, row)
        bind.execute(sa.update(log).where(log.c.id == row["id"]).values(prev_hash=head, row_hash=digest))
        head = digest
    if bind.execute(sa.select(settings.c.name).where(settings.c.name == AUDIT_HEAD)).first() is None:
        bind.execute(sa.insert(settings).values(name=AUDIT_HEAD, value=head))
    else:
        bind.execute(sa.update(settings).where(settings.c.name == AUDIT_HEAD).values(value=head))
    bind.execute(sa.text("DELETE FROM settings WHERE name = 'demo_json'"))


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM settings WHERE name = '{AUDIT_HEAD}'"))
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
