"""``bills.request_digest``: SHA-256 of the canonical issuing request, stored at claim time, so a
repeat of a busNo with different content (or another caller's busNo) is refused with E5033
instead of being answered with the existing bill (issue 14 item 3).

The claim key itself (the unique ``busno_live``) is unchanged: the platform keeps one bill per
busNo for the whole unit (spec: "unique within the unit"), so two bills for one busNo cannot
exist there either; what is scoped to the caller is the *answer*. Rows claimed before this
revision have no digest and are compared by billing point (sync_server.his.issuing).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a fresh database got the column from 0001's create_all of the current schema
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("bills")}
    if "request_digest" not in columns:
        op.add_column("bills", sa.Column("request_digest", sa.String(64)))


def downgrade() -> None:
    op.drop_column("bills", "request_digest")
