"""The bill's status columns are checked by the database itself (issue 13 §3): a fresh database
and an existing 0005 database migrated forward (rows kept, foreign keys and indexes intact)
refuse a value outside the allowed ones, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Engine, MetaData, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError
from ss_rig import upgrade_to

from sync_server.bills.state import born
from sync_server.store import db as store_db
from sync_server.store import schema
from sync_server.store.db import run_migrations
from sync_server.store.schema import audit_log, bill_items, bills, pay_channels, red_bills

pytestmark = pytest.mark.integration
BAD = (("state", "released"), ("origin", "paper"), ("carry", "maybe"), ("in_doubt", 2), ("is_scarlet", -1),
       ("is_prt_paper", 5))
CHECKS = {f"ck_bills_{c}" for c, _ in BAD}


def _head() -> str:
    """The newest Alembic revision of the server's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store_db.__file__).parent / "migrations"))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


def _schema_before_0006() -> MetaData:
    """schema.py as it was at revision 0005: the same tables without the CHECK constraints."""
    old = MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(old)
    old_bills = old.tables["bills"]
    for c in [c for c in old_bills.constraints if isinstance(c, CheckConstraint)]:
        old_bills.constraints.discard(c)
    return old


def _bill(n: int, **status: Any) -> dict[str, Any]:
    return {"bus_no": f"B{n}", "busno_live": f"B{n}" if status.get("state") != "void" else None,
            "method": "invoiceEBillOutpatient", "place_code": "001", "caller_appid": "HIS01",
            "bill_batch_code": None if status.get("state") == "pending" else "E01", "total_amt": "12.50",
            "bill_no": None if status.get("state") == "pending" else f"{n:010d}", "request_json": "{}",
            "created_at": "20260101000000000", "updated_at": "20260101000000000", **status}


# every status any code path of 0005 wrote
OLD_ROWS = [
    _bill(1, state="pending", origin="online", in_doubt=0, carry="none", is_scarlet=0, is_prt_paper=0),
    _bill(2, state="issued", origin="online", in_doubt=0, carry="none", is_scarlet=1, is_prt_paper=1),
    _bill(3, state="issued", origin="emergency", in_doubt=1, carry="pending", is_scarlet=0, is_prt_paper=0),
    _bill(4, state="issued", origin="emergency", in_doubt=0, carry="done", is_scarlet=0, is_prt_paper=1),
    _bill(5, state="void", origin="emergency", in_doubt=1, carry="conflict", is_scarlet=0, is_prt_paper=0),
    _bill(6, state="issued", origin="terminal", in_doubt=1, carry="pending", is_scarlet=0, is_prt_paper=0),
    _bill(7, state="void", origin="terminal", in_doubt=0, carry="conflict", is_scarlet=0, is_prt_paper=0),
]


def _refuses_bad_values(engine: Engine) -> None:
    names = {c["name"] for c in inspect(engine).get_check_constraints("bills")}
    assert CHECKS <= names
    for n, (column, bad) in enumerate(BAD, start=100):
        with pytest.raises(IntegrityError, match=f"ck_bills_{column}"), engine.connect() as conn:
            conn.execute(insert(bills).values(_bill(n, **(born("claim") | {column: bad}))))
    with engine.connect() as conn:  # the allowed values still go in (rolled back: no audit row)
        conn.execute(insert(bills).values(_bill(200, **born("claim"))))
        conn.rollback()


def test_fresh_database_refuses_invalid_status_values(empty_engine: Engine) -> None:
    run_migrations(empty_engine)
    _refuses_bad_values(empty_engine)


def _head() -> str:
    """The newest migration (0006 when this test was written; later ones keep its checks)."""
    from alembic.script import ScriptDirectory

    from sync_server.store import db

    head = ScriptDirectory(str(Path(db.__file__).parent / "migrations")).get_current_head()
    assert head is not None and head >= "0006"
    return head


def test_0005_database_migrates_forward_keeping_its_rows(empty_engine: Engine,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(schema, "metadata", _schema_before_0006())  # what 0001 created back then
        upgrade_to(empty_engine, "0005")
    assert not {c["name"] for c in inspect(empty_engine).get_check_constraints("bills")} & CHECKS
    with empty_engine.begin() as conn:
        conn.execute(insert(bills), OLD_ROWS)
        ids = [r[0] for r in conn.execute(select(bills.c.id).order_by(bills.c.id))]
        conn.execute(insert(bill_items), [{"bill_id": i, "kind": "charge", "name": "检查费", "amt": "12.5"}
                                          for i in ids])
        conn.execute(insert(pay_channels), [{"bill_id": i, "code": "02", "value": "12.50"} for i in ids])
        conn.execute(insert(red_bills).values(bill_id=ids[1], kind="writeOffEBill", state="issued",
                                              created_at="20260101000000000"))
        conn.execute(insert(audit_log).values(at="20260101000000000", actor="t", action="seed", entity="bill"))
    with empty_engine.connect() as conn:
        before = [dict(r) for r in conn.execute(select(bills).order_by(bills.c.id)).mappings()]
        details_before = conn.execute(select(bill_items.c.bill_id, bill_items.c.amt).order_by(bill_items.c.id)).all()

    run_migrations(empty_engine)

    with empty_engine.connect() as conn:
        # at head (0006 when this test was written; later revisions such as 0007 follow it)
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _head()
        assert [dict(r) for r in conn.execute(select(bills).order_by(bills.c.id)).mappings()] == before
        assert conn.execute(select(bill_items.c.bill_id, bill_items.c.amt).order_by(bill_items.c.id)
                            ).all() == details_before
        assert conn.execute(select(red_bills.c.bill_id)).scalar() == ids[1]
        if empty_engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # switched back on
    insp = inspect(empty_engine)
    assert {"ix_bills_bus_no", "ix_bills_place_day", "ix_bills_state"} <= {i["name"] for i in insp.get_indexes("bills")}
    _refuses_bad_values(empty_engine)
    with pytest.raises(IntegrityError), empty_engine.connect() as conn:  # unique busno_live kept
        conn.execute(insert(bills).values(_bill(1, **born("claim"))))
    with pytest.raises(IntegrityError), empty_engine.connect() as conn:  # unique number kept
        conn.execute(insert(bills).values(_bill(2, **born("claim")) | {"busno_live": None, "bill_batch_code": "E01",
                                                                      "bill_no": f"{2:010d}"}))
    run_migrations(empty_engine)  # idempotent at head
