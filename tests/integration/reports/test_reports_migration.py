"""Migration 0018 on a database of the revision before it (0017): ``bills.payee`` added and filled from each
stored request, the create-time index and the base-information tables made; idempotent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, inspect, select, text

from sync_server.bills.state import born
from sync_server.security.audit import Actor, audit_many, audit_row, verify_chain
from sync_server.store.db import run_migrations
from sync_server.store.schema import bills
from tests.rigs.stack import ROOT

pytestmark = pytest.mark.integration


def _upgrade_to(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "sync_server" / "store" / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_a_database_before_0018_gets_payee_and_base_info_tables(empty_engine: Engine) -> None:
    _upgrade_to(empty_engine, "0017")
    with empty_engine.begin() as conn:  # as a database before 0018 had it: no payee, no index
        conn.execute(text("DROP INDEX IF EXISTS ix_bills_create_time"))
        conn.execute(text("ALTER TABLE bills DROP COLUMN payee"))
        for table in ("fin_base_info", "departments", "checkers", "common_payers", "item_groups"):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    assert "payee" not in {c["name"] for c in inspect(empty_engine).get_columns("bills")}
    old = [{"bus_no": f"M{i}", "busno_live": f"M{i}", "method": "invoiceEBillOutpatient", "place_code": "001",
            "caller_appid": "HIS01", **born("claim"), "total_amt": "1.00",
            "request_json": json.dumps({"busNo": f"M{i}", "payee": payee} if payee else {"busNo": f"M{i}"},
                                       ensure_ascii=False),
            "created_at": "20260101000000000", "updated_at": "20260101000000000"}
           for i, payee in enumerate(("李娜", "", None, "王强"))]
    with empty_engine.begin() as conn:
        cols = [c for c in old[0]]
        conn.execute(text(f"INSERT INTO bills ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"), old)
        audit_many(conn, [audit_row("20260101000000000", Actor("t"), "seed", "bill", None)])

    run_migrations(empty_engine)

    insp = inspect(empty_engine)
    assert "payee" in {c["name"] for c in insp.get_columns("bills")}
    assert "ix_bills_create_time" in {i["name"] for i in insp.get_indexes("bills")}
    assert {"fin_base_info", "departments", "checkers", "common_payers", "item_groups"} <= set(insp.get_table_names())
    with empty_engine.connect() as conn:
        got = dict(conn.execute(select(bills.c.bus_no, bills.c.payee).order_by(bills.c.id)).all())
        chain = verify_chain(conn)
    assert got == {"M0": "李娜", "M1": None, "M2": None, "M3": "王强"}
    assert chain.ok, chain  # the fill is audited on the hash chain
    run_migrations(empty_engine)  # idempotent at head
