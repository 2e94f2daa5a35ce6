"""CHECK constraints on the allowed values of the bill's six status columns (issue 13 §3).

``state`` pending|issued|void, ``origin`` online|emergency|terminal, ``carry``
none|pending|done|conflict, ``in_doubt`` / ``is_scarlet`` / ``is_prt_paper`` 0|1 — every value
any released version wrote (issuing claims, mark_issued, emergency issue, terminal uploads,
carry-forward done/conflict, write-off and paper flags), so rows of old databases satisfy them.
The values are frozen here (a migration must not follow later code); a unit test checks them
against sync_server/store/bill_status.py, whose constraints a fresh database gets from 0001.

SQLite cannot add a constraint to a table: Alembic's batch mode rebuilds ``bills`` (copy, drop,
rename), with foreign keys switched off around the migrations (store/db.py run_migrations, the
procedure SQLite documents for table rebuilds); ``PRAGMA foreign_key_check`` then proves every
row of the other tables still finds its bill before the transaction commits.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHECKS = {
    "ck_bills_state": "state IN ('pending', 'issued', 'void')",
    "ck_bills_origin": "origin IN ('online', 'emergency', 'terminal')",
    "ck_bills_carry": "carry IN ('none', 'pending', 'done', 'conflict')",
    "ck_bills_in_doubt": "in_doubt IN (0, 1)",
    "ck_bills_is_scarlet": "is_scarlet IN (0, 1)",
    "ck_bills_is_prt_paper": "is_prt_paper IN (0, 1)",
}


def _missing(bind: sa.engine.Connection) -> dict[str, str]:
    # a fresh database got them from 0001's create_all of the current schema
    have = {c["name"] for c in sa.inspect(bind).get_check_constraints("bills")}
    return {name: sql for name, sql in CHECKS.items() if name not in have}


def _foreign_key_check(bind: sa.engine.Connection) -> None:
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:  # raising rolls the whole migration back
        raise RuntimeError(f"migration 0006 left rows without their bill: {broken[:5]}")


def upgrade() -> None:
    bind = op.get_bind()
    missing = _missing(bind)
    if not missing:
        return
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("bills", recreate="always") as batch:
            for name, sql in missing.items():
                batch.create_check_constraint(name, sa.text(sql))
        _foreign_key_check(bind)
    else:
        for name, sql in missing.items():
            op.create_check_constraint(name, "bills", sa.text(sql))


def downgrade() -> None:
    bind = op.get_bind()
    have = {c["name"] for c in sa.inspect(bind).get_check_constraints("bills")}
    names = [n for n in CHECKS if n in have]
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("bills", recreate="always") as batch:
            for name in names:
                batch.drop_constraint(name, type_="check")
        _foreign_key_check(bind)
    else:
        for name in names:
            op.drop_constraint(name, "bills", type_="check")
